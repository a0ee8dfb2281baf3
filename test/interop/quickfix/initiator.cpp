// A QuickFIX/C++ initiator used by the interop test: logs on to our acceptor with a signed Logon
// (HMAC-SHA256 over the documented prehash, base64 in Password(554)), validates everything it
// receives against our published dictionary, and runs a scenario:
//   full  places, fills, asks for status (live, finished, unknown order), replaces, is refused a
//         replace and a cancel (OrderCancelReject), cancels, mass-cancels, gets a session Reject
//         for a user-defined tag and a BusinessMessageReject for a message type we do not take,
//         subscribes to market data and keeps a book from W then X (printed as "BOOK ..."),
//         and logs out;
//   tls   the same Logon over TLS 1.2 (trusting only <ca file>), one order and its report, logout.
// Prints "OK <step>" per step; exits 0 on success.
//
// usage: initiator <port> <senderCompId> <targetCompId> <keyId> <base64url secret> <dictionary> <workdir> [tls <ca file>]
// Debian's libquickfix is built with OpenSSL, but its installed headers leave HAVE_SSL undefined.
#define HAVE_SSL 1
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/SSLSocketInitiator.h>
#include <quickfix/Values.h>
#include "signed-logon.h"

// QuickFIX 1.15 as packaged by Debian declares dynamic exception specifications: build as C++14.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

struct Report { std::string msgType; FIX::Message message; };

class Client : public FIX::Application {
 public:
  Client(std::string keyId, std::string secret) : keyId_(std::move(keyId)), secret_(std::move(secret)) {}

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override { std::lock_guard<std::mutex> l(m_); session_ = id; loggedOn_ = true; cv_.notify_all(); }
  void onLogout(const FIX::SessionID&) override { std::lock_guard<std::mutex> l(m_); loggedOut_ = true; cv_.notify_all(); }
  void toAdmin(FIX::Message& message, const FIX::SessionID&) override { signLogon(message, keyId_, secret_); }
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& message, const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    const std::string type = message.getHeader().getField(FIX::FIELD::MsgType);
    if (type == "3") { std::lock_guard<std::mutex> l(m_); rejects_.push_back(message.toString()); cv_.notify_all(); }
  }
  void fromApp(const FIX::Message& message, const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    std::lock_guard<std::mutex> l(m_);
    reports_.push_back(Report{message.getHeader().getField(FIX::FIELD::MsgType), message});
    cv_.notify_all();
  }

  bool waitLogon() {
    std::unique_lock<std::mutex> l(m_);
    return cv_.wait_for(l, std::chrono::seconds(20), [&] { return loggedOn_; });
  }
  bool waitLogout() {
    std::unique_lock<std::mutex> l(m_);
    return cv_.wait_for(l, std::chrono::seconds(30), [&] { return loggedOut_; });
  }
  // The next session-level Reject, or throws after a timeout (or if an application message came instead).
  FIX::Message nextReject() {
    std::unique_lock<std::mutex> l(m_);
    if (!cv_.wait_for(l, std::chrono::seconds(30), [&] { return !reports_.empty() || !rejects_.empty(); })) throw std::runtime_error("timed out waiting for a Reject");
    if (rejects_.empty()) throw std::runtime_error("expected a Reject, got " + reports_.front().message.toString());
    FIX::Message m(rejects_.front(), false);
    rejects_.pop_front();
    return m;
  }
  // The next application message of any type, or throws after a timeout or on a session Reject.
  FIX::Message nextApp() {
    std::unique_lock<std::mutex> l(m_);
    if (!cv_.wait_for(l, std::chrono::seconds(30), [&] { return !reports_.empty() || !rejects_.empty(); })) throw std::runtime_error("timed out waiting for an application message");
    if (!rejects_.empty()) throw std::runtime_error("session Reject received: " + rejects_.front());
    Report r = reports_.front();
    reports_.pop_front();
    return r.message;
  }
  // The next application message, or throws after a timeout.
  FIX::Message next(const std::string& msgType) {
    std::unique_lock<std::mutex> l(m_);
    if (!cv_.wait_for(l, std::chrono::seconds(30), [&] { return !reports_.empty() || !rejects_.empty(); })) throw std::runtime_error("timed out waiting for " + msgType);
    if (!rejects_.empty()) throw std::runtime_error("session Reject received: " + rejects_.front());
    Report r = reports_.front();
    reports_.pop_front();
    if (r.msgType != msgType) throw std::runtime_error("expected " + msgType + ", got " + r.message.toString());
    return r.message;
  }
  // The first application message of this type, wherever it is in the queue (market data and
  // ExecutionReports come from different streams, so their relative order is not fixed).
  FIX::Message take(const std::string& msgType) {
    std::unique_lock<std::mutex> l(m_);
    std::deque<Report>::iterator found;
    auto has = [&] {
      found = std::find_if(reports_.begin(), reports_.end(), [&](const Report& r) { return r.msgType == msgType; });
      return found != reports_.end() || !rejects_.empty();
    };
    if (!cv_.wait_for(l, std::chrono::seconds(30), has)) throw std::runtime_error("timed out waiting for " + msgType);
    if (!rejects_.empty()) throw std::runtime_error("session Reject received: " + rejects_.front());
    FIX::Message m = found->message;
    reports_.erase(found);
    return m;
  }
  FIX::SessionID session() { std::lock_guard<std::mutex> l(m_); return session_; }

 private:
  std::string keyId_, secret_;
  std::mutex m_;
  std::condition_variable cv_;
  bool loggedOn_ = false, loggedOut_ = false;
  FIX::SessionID session_;
  std::deque<Report> reports_;
  std::deque<std::string> rejects_;
};

static void expectField(const FIX::Message& m, int tag, const std::string& value) {
  const std::string actual = m.getField(tag);
  if (actual != value) throw std::runtime_error("tag " + std::to_string(tag) + " is " + actual + ", expected " + value + " in " + m.toString());
}

// A client's L2 book kept from MarketDataSnapshotFullRefresh (W) and MarketDataIncrementalRefresh (X).
struct Book {
  std::map<std::string, std::string> bids, asks;
  long rptSeq = 0;
  int trades = 0;

  void snapshot(const FIX::Message& w) {
    bids.clear();
    asks.clear();
    rptSeq = std::stol(w.getField(83));
    const int n = std::stoi(w.getField(268));
    for (int i = 1; i <= n; i++) {
      FIX::Group e(268, 269);
      w.getGroup(i, e);
      const std::string type = e.getField(269);
      if (type == "0") bids[e.getField(270)] = e.getField(271);
      if (type == "1") asks[e.getField(270)] = e.getField(271);
    }
  }
  void apply(const FIX::Message& x) {
    const int n = std::stoi(x.getField(268));
    for (int i = 1; i <= n; i++) {
      FIX::Group e(268, 279);
      x.getGroup(i, e);
      const std::string type = e.getField(269);
      if (type == "2") { trades++; continue; }
      auto& side = type == "0" ? bids : asks;
      if (e.getField(279) == "2") side.erase(e.getField(270));
      else side[e.getField(270)] = e.getField(271);
      rptSeq = std::stol(e.getField(83));
    }
  }
  // "BOOK <rptSeq> <bids best first> | <asks best first>", each level price:quantity.
  std::string str() const {
    std::vector<std::pair<std::string, std::string>> b(bids.begin(), bids.end()), a(asks.begin(), asks.end());
    auto byPrice = [](const std::pair<std::string, std::string>& l, const std::pair<std::string, std::string>& r) { return std::stod(l.first) < std::stod(r.first); };
    std::sort(b.begin(), b.end(), [&](const auto& l, const auto& r) { return byPrice(r, l); });
    std::sort(a.begin(), a.end(), byPrice);
    std::string out = "BOOK " + std::to_string(rptSeq);
    for (const auto& l : b) out += " " + l.first + ":" + l.second;
    out += " |";
    for (const auto& l : a) out += " " + l.first + ":" + l.second;
    return out;
  }
};

static FIX::Message newOrder(const std::string& clOrdId, char side, const std::string& qty, const std::string& price) {
  FIX::Message m;
  m.getHeader().setField(FIX::MsgType("D"));
  m.setField(FIX::ClOrdID(clOrdId));
  m.setField(FIX::Symbol("BTC-USD"));
  m.setField(FIX::Side(side));
  m.setField(FIX::TransactTime());
  m.setField(FIX::FIELD::OrderQty, qty);
  m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
  m.setField(FIX::FIELD::Price, price);
  return m;
}

static FIX::Message statusRequest(const std::string& clOrdId, char side) {
  FIX::Message m;
  m.getHeader().setField(FIX::MsgType("H"));
  m.setField(FIX::ClOrdID(clOrdId));
  m.setField(FIX::Symbol("BTC-USD"));
  m.setField(FIX::Side(side));
  return m;
}

static FIX::Message replaceRequest(const std::string& origClOrdId, const std::string& clOrdId, const std::string& qty, const std::string& price) {
  FIX::Message m;
  m.getHeader().setField(FIX::MsgType("G"));
  m.setField(FIX::OrigClOrdID(origClOrdId));
  m.setField(FIX::ClOrdID(clOrdId));
  m.setField(FIX::Symbol("BTC-USD"));
  m.setField(FIX::Side(FIX::Side_BUY));
  m.setField(FIX::TransactTime());
  m.setField(FIX::FIELD::OrderQty, qty);
  m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
  m.setField(FIX::FIELD::Price, price);
  return m;
}

static FIX::Message cancelRequest(const std::string& origClOrdId, const std::string& clOrdId) {
  FIX::Message m;
  m.getHeader().setField(FIX::MsgType("F"));
  m.setField(FIX::OrigClOrdID(origClOrdId));
  m.setField(FIX::ClOrdID(clOrdId));
  m.setField(FIX::Symbol("BTC-USD"));
  m.setField(FIX::Side(FIX::Side_BUY));
  m.setField(FIX::TransactTime());
  return m;
}

static void expectPrefix(const FIX::Message& m, int tag, const std::string& prefix) {
  const std::string actual = m.getField(tag);
  if (actual.compare(0, prefix.size(), prefix) != 0) throw std::runtime_error("tag " + std::to_string(tag) + " is " + actual + ", expected it to start with " + prefix);
}

// Places, fills, asks for status, replaces, cancels, mass-cancels and provokes both kinds of reject.
static void fullScenario(Client& client, const FIX::SessionID& id) {
  // 1. Aggressive buy against the resting sell the test placed: New, then a full fill.
  FIX::Message b1 = newOrder("QF-B1", FIX::Side_BUY, "0.4", "100");
  FIX::Session::sendToTarget(b1, id);
  FIX::Message ack = client.next("8");
  expectField(ack, FIX::FIELD::ExecType, "0");
  expectField(ack, FIX::FIELD::ClOrdID, "QF-B1");
  FIX::Message fill = client.next("8");
  expectField(fill, FIX::FIELD::ExecType, "F");
  expectField(fill, FIX::FIELD::OrdStatus, "2");
  expectField(fill, FIX::FIELD::LastQty, "0.4");
  expectField(fill, FIX::FIELD::LastPx, "100");
  expectField(fill, FIX::FIELD::CumQty, "0.4");
  expectField(fill, FIX::FIELD::LeavesQty, "0");
  expectField(fill, FIX::FIELD::AvgPx, "100");
  std::cout << "OK fill" << std::endl;

  // 2. A resting buy; its status while live.
  FIX::Message b2 = newOrder("QF-B2", FIX::Side_BUY, "1", "50");
  FIX::Session::sendToTarget(b2, id);
  FIX::Message rest = client.next("8");
  expectField(rest, FIX::FIELD::ExecType, "0");
  expectField(rest, FIX::FIELD::OrdStatus, "0");
  const std::string orderId = rest.getField(FIX::FIELD::OrderID);
  std::cout << "OK rest" << std::endl;

  FIX::Message s1 = statusRequest("QF-B2", FIX::Side_BUY);
  FIX::Session::sendToTarget(s1, id);
  FIX::Message live = client.next("8");
  expectField(live, FIX::FIELD::ExecType, "I");
  expectField(live, FIX::FIELD::OrdStatus, "0");
  expectField(live, FIX::FIELD::OrderID, orderId);
  expectField(live, FIX::FIELD::ClOrdID, "QF-B2");
  expectField(live, FIX::FIELD::LeavesQty, "1");
  expectField(live, FIX::FIELD::CumQty, "0");
  std::cout << "OK status-live" << std::endl;

  // 3. Replace it: new price and quantity, new ClOrdID.
  FIX::Message replace = replaceRequest("QF-B2", "QF-B3", "2", "60");
  FIX::Session::sendToTarget(replace, id);
  FIX::Message replaced = client.next("8");
  expectField(replaced, FIX::FIELD::ExecType, "5");
  expectField(replaced, FIX::FIELD::ClOrdID, "QF-B3");
  expectField(replaced, FIX::FIELD::OrigClOrdID, "QF-B2");
  expectField(replaced, FIX::FIELD::OrderID, orderId);
  expectField(replaced, FIX::FIELD::Price, "60");
  expectField(replaced, FIX::FIELD::LeavesQty, "2");
  std::cout << "OK replace" << std::endl;

  // 4. A replace of an order that never existed: OrderCancelReject in answer to a replace.
  FIX::Message badReplace = replaceRequest("QF-NEVER", "QF-B9", "1", "61");
  FIX::Session::sendToTarget(badReplace, id);
  FIX::Message replaceRefused = client.next("9");
  expectField(replaceRefused, FIX::FIELD::CxlRejResponseTo, "2");
  expectField(replaceRefused, FIX::FIELD::ClOrdID, "QF-B9");
  expectField(replaceRefused, FIX::FIELD::OrigClOrdID, "QF-NEVER");
  expectField(replaceRefused, FIX::FIELD::OrdStatus, "8");
  expectPrefix(replaceRefused, FIX::FIELD::Text, "ORDER_NOT_FOUND");
  std::cout << "OK replace-reject" << std::endl;

  // 5. Cancel the replaced order, then cancel it again: refused as too late, with its final state.
  FIX::Message cancel = cancelRequest("QF-B3", "QF-C1");
  FIX::Session::sendToTarget(cancel, id);
  FIX::Message canceled = client.next("8");
  expectField(canceled, FIX::FIELD::ExecType, "4");
  expectField(canceled, FIX::FIELD::OrdStatus, "4");
  expectField(canceled, FIX::FIELD::ClOrdID, "QF-C1");
  expectField(canceled, FIX::FIELD::OrigClOrdID, "QF-B3");
  expectField(canceled, FIX::FIELD::LeavesQty, "0");
  std::cout << "OK cancel" << std::endl;

  FIX::Message again = cancelRequest("QF-B3", "QF-C2");
  FIX::Session::sendToTarget(again, id);
  FIX::Message refused = client.next("9");
  expectField(refused, FIX::FIELD::CxlRejResponseTo, "1");
  expectField(refused, FIX::FIELD::ClOrdID, "QF-C2");
  expectField(refused, FIX::FIELD::OrdStatus, "4");
  expectField(refused, FIX::FIELD::CxlRejReason, "0");
  std::cout << "OK cancel-reject" << std::endl;

  // 6. Status of a finished order (the filled one) and of one the account never had.
  FIX::Message s2 = statusRequest("QF-B1", FIX::Side_BUY);
  FIX::Session::sendToTarget(s2, id);
  FIX::Message filled = client.next("8");
  expectField(filled, FIX::FIELD::ExecType, "I");
  expectField(filled, FIX::FIELD::OrdStatus, "2");
  expectField(filled, FIX::FIELD::ClOrdID, "QF-B1");
  expectField(filled, FIX::FIELD::CumQty, "0.4");
  expectField(filled, FIX::FIELD::AvgPx, "100");
  std::cout << "OK status-filled" << std::endl;

  FIX::Message s3 = statusRequest("QF-UNKNOWN", FIX::Side_SELL);
  FIX::Session::sendToTarget(s3, id);
  FIX::Message unknown = client.next("8");
  expectField(unknown, FIX::FIELD::ExecType, "I");
  expectField(unknown, FIX::FIELD::OrdStatus, "8");
  expectField(unknown, FIX::FIELD::OrderID, "NONE");
  expectPrefix(unknown, FIX::FIELD::Text, "ORDER_NOT_FOUND");
  std::cout << "OK status-unknown" << std::endl;

  // 7. Mass cancel of everything: the resting order's Canceled report and the OrderMassCancelReport, in either order.
  FIX::Message mc1 = newOrder("QF-MC1", FIX::Side_BUY, "0.5", "40");
  FIX::Session::sendToTarget(mc1, id);
  expectField(client.next("8"), FIX::FIELD::ExecType, "0");
  FIX::Message mass;
  mass.getHeader().setField(FIX::MsgType("q"));
  mass.setField(FIX::ClOrdID("QF-M1"));
  mass.setField(FIX::FIELD::MassCancelRequestType, "7");
  mass.setField(FIX::TransactTime());
  FIX::Session::sendToTarget(mass, id);
  bool sawCancel = false, sawReport = false;
  for (int i = 0; i < 2; i++) {
    FIX::Message m = client.nextApp();
    const std::string type = m.getHeader().getField(FIX::FIELD::MsgType);
    if (type == "8") {
      expectField(m, FIX::FIELD::ExecType, "4");
      expectField(m, FIX::FIELD::ClOrdID, "QF-MC1");
      sawCancel = true;
    } else if (type == "r") {
      expectField(m, FIX::FIELD::ClOrdID, "QF-M1");
      expectField(m, FIX::FIELD::MassCancelResponse, "7");
      expectField(m, FIX::FIELD::TotalAffectedOrders, "1");
      sawReport = true;
    } else {
      throw std::runtime_error("unexpected " + m.toString());
    }
  }
  if (!sawCancel || !sawReport) throw std::runtime_error("mass cancel: expected one ExecutionReport and one OrderMassCancelReport");
  std::cout << "OK mass-cancel" << std::endl;

  // 8. A user-defined tag we do not define: session Reject, Undefined Tag, naming the tag and message.
  FIX::Message odd = statusRequest("QF-B1", FIX::Side_BUY);
  odd.setField(5001, "X");
  FIX::Session::sendToTarget(odd, id);
  FIX::Message reject = client.nextReject();
  expectField(reject, FIX::FIELD::SessionRejectReason, "3");
  expectField(reject, FIX::FIELD::RefTagID, "5001");
  expectField(reject, FIX::FIELD::RefMsgType, "H");
  std::cout << "OK session-reject" << std::endl;

  // 9. A FIX 4.4 message type we do not take (Advertisement): BusinessMessageReject, unsupported type.
  FIX::Message advert;
  advert.getHeader().setField(FIX::MsgType("7"));
  advert.setField(FIX::FIELD::AdvId, "QF-AD1");
  advert.setField(FIX::FIELD::AdvTransType, "N");
  advert.setField(FIX::Symbol("BTC-USD"));
  advert.setField(FIX::FIELD::AdvSide, "B");
  advert.setField(FIX::FIELD::Quantity, "1");
  FIX::Session::sendToTarget(advert, id);
  FIX::Message bmr = client.next("j");
  expectField(bmr, FIX::FIELD::RefMsgType, "7");
  expectField(bmr, FIX::FIELD::BusinessRejectReason, "3");
  std::cout << "OK business-reject" << std::endl;

  // 10. Market data, last (its reports interleave with the rest, so it takes them by type):
  // subscribe to BTC-USD depth 10 (bids, offers, trades), keep a book from W then X.
  FIX::Message md;
  md.getHeader().setField(FIX::MsgType("V"));
  md.setField(FIX::MDReqID("QF-MD1"));
  md.setField(FIX::SubscriptionRequestType('1'));
  md.setField(FIX::MarketDepth(10));
  md.setField(FIX::MDUpdateType(1));
  for (const char type : {'0', '1', '2'}) {
    FIX::Group g(267, 269);
    g.setField(FIX::MDEntryType(type));
    md.addGroup(g);
  }
  FIX::Group sym(146, 55);
  sym.setField(FIX::Symbol("BTC-USD"));
  md.addGroup(sym);
  FIX::Session::sendToTarget(md, id);
  Book book;
  FIX::Message w = client.take("W");
  expectField(w, FIX::FIELD::MDReqID, "QF-MD1");
  expectField(w, FIX::FIELD::Symbol, "BTC-USD");
  book.snapshot(w);
  if (book.asks.count("100") == 0) throw std::runtime_error("snapshot lacks the resting ask at 100: " + w.toString());
  std::cout << "OK md-snapshot" << std::endl;

  // A new resting bid: its ExecutionReport, and an X adding the level.
  FIX::Message b4 = newOrder("QF-B4", FIX::Side_BUY, "0.3", "70");
  FIX::Session::sendToTarget(b4, id);
  expectField(client.take("8"), FIX::FIELD::ExecType, "0");
  const long before = book.rptSeq;
  book.apply(client.take("X"));
  if (book.bids["70"] != "0.3" || book.rptSeq <= before) throw std::runtime_error("X did not add the bid: " + book.str());
  std::cout << "OK md-update" << std::endl;

  // A trade against the resting ask: an X with the trade and the ask's new quantity.
  FIX::Message b5 = newOrder("QF-B5", FIX::Side_BUY, "0.1", "100");
  FIX::Session::sendToTarget(b5, id);
  expectField(client.take("8"), FIX::FIELD::ExecType, "0");
  expectField(client.take("8"), FIX::FIELD::ExecType, "F");
  while (book.trades == 0) book.apply(client.take("X"));
  std::cout << "OK md-trade" << std::endl;
  std::cout << book.str() << std::endl;
}

// One order over TLS and its New report.
static void tlsScenario(Client& client, const FIX::SessionID& id) {
  FIX::Message b = newOrder("QF-T1", FIX::Side_BUY, "0.1", "10");
  FIX::Session::sendToTarget(b, id);
  FIX::Message ack = client.next("8");
  expectField(ack, FIX::FIELD::ExecType, "0");
  expectField(ack, FIX::FIELD::ClOrdID, "QF-T1");
  std::cout << "OK order" << std::endl;
}

int main(int argc, char** argv) {
  if (argc != 8 && !(argc == 10 && std::string(argv[8]) == "tls")) {
    std::cerr << "usage: initiator <port> <sender> <target> <keyId> <secret> <dictionary> <workdir> [tls <ca file>]\n";
    return 2;
  }
  const std::string port = argv[1], sender = argv[2], target = argv[3], keyId = argv[4], secret = base64urlDecode(argv[5]), dictionary = argv[6], workdir = argv[7];
  const bool tls = argc == 10;
  std::stringstream cfg;
  cfg << "[DEFAULT]\nConnectionType=initiator\nReconnectInterval=60\nFileStorePath=" << workdir << "/store\n"
      << "StartTime=00:00:00\nEndTime=00:00:00\nUseDataDictionary=Y\nDataDictionary=" << dictionary << "\n"
      << "HeartBtInt=30\nResetOnLogon=Y\nValidateUserDefinedFields=Y\nSocketConnectHost=127.0.0.1\nSocketConnectPort=" << port << "\n";
  if (tls) cfg << "SSLProtocol=-all +TLSv1_2\nCertificationAuthoritiesFile=" << argv[9] << "\nCertificateVerifyLevel=1\n";
  cfg << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << sender << "\nTargetCompID=" << target << "\n";
  try {
    FIX::SessionSettings settings(cfg);
    Client client(keyId, secret);
    FIX::FileStoreFactory store(settings);
    std::unique_ptr<FIX::Initiator> initiator;
    if (tls) initiator.reset(new FIX::SSLSocketInitiator(client, store, settings));
    else initiator.reset(new FIX::SocketInitiator(client, store, settings));
    initiator->start();
    if (!client.waitLogon()) throw std::runtime_error("no Logon");
    std::cout << "OK logon" << std::endl;
    const FIX::SessionID id = client.session();

    if (tls) tlsScenario(client, id);
    else fullScenario(client, id);

    FIX::Session::lookupSession(id)->logout("done");
    if (!client.waitLogout()) throw std::runtime_error("no Logout");
    std::cout << "OK logout" << std::endl;
    initiator->stop();
    return 0;
  } catch (std::exception& e) {
    std::cerr << "FAILED: " << e.what() << std::endl;
    return 1;
  }
}
