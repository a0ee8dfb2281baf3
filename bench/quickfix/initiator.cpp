// The driver for `bench:fix -- --quickfix`: one QuickFIX/C++ initiator with two sessions, one to
// our acceptor (TargetCompID EXCH, signed Logon) and one to the QuickFIX acceptor (TargetCompID
// QFX). Round by round it sends a burst of N NewOrderSingle (non-crossing limit orders) on our
// session, waits for the burst's last ExecutionReport, then does the same on the QuickFIX session.
// A burst is timed from its first send to its last report; the messages are built before the clock
// starts. One JSON line per burst on stdout (with the CPU time the driver itself used, to show
// whether it bounds the burst); warm-up rounds are printed with "warmup": true.
//
// usage: initiator <dictionary> <rounds> <warmup rounds> <orders per burst> <our port> <keyId>
//                  <base64url secret> <quickfix port>
#include <quickfix/Application.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Values.h>
#include "../../test/interop/quickfix/signed-logon.h"
#include <sys/resource.h>

// QuickFIX 1.15 as packaged by Debian declares dynamic exception specifications: build as C++14.

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

/** CPU seconds this process (every thread) has used: the driver's own share of a burst. */
static double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/** What one session's current burst has received. */
struct Burst {
  int expected = 0, reports = 0, rejected = 0, sessionRejects = 0;
  Clock::time_point last;
};

class Driver : public FIX::Application {
 public:
  Driver(std::string keyId, std::string secret) : keyId_(std::move(keyId)), secret_(std::move(secret)) {}

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override { std::lock_guard<std::mutex> l(m_); logons_++; cv_.notify_all(); }
  void onLogout(const FIX::SessionID&) override {}
  // Our acceptor wants a signed Logon (HMAC-SHA256 of the documented prehash); QuickFIX's ignores it.
  void toAdmin(FIX::Message& message, const FIX::SessionID&) override { signLogon(message, keyId_, secret_); }
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& message, const FIX::SessionID& id) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    if (message.getHeader().getField(FIX::FIELD::MsgType) != "3") return;
    std::lock_guard<std::mutex> l(m_);
    std::cerr << "session Reject from " << id.getTargetCompID().getString() << ": " << message.toString() << std::endl;
    burst(id).sessionRejects++;
    cv_.notify_all();
  }
  void fromApp(const FIX::Message& message, const FIX::SessionID& id) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    if (message.getHeader().getField(FIX::FIELD::MsgType) != "8") return;
    const bool accepted = message.getField(FIX::FIELD::ExecType) == "0";
    std::lock_guard<std::mutex> l(m_);
    Burst& b = burst(id);
    b.reports++;
    if (!accepted) b.rejected++;
    if (b.reports == b.expected) {
      b.last = Clock::now();
      cv_.notify_all();
    }
  }

  bool waitLogons(int n) {
    std::unique_lock<std::mutex> l(m_);
    return cv_.wait_for(l, std::chrono::seconds(20), [&] { return logons_ >= n; });
  }
  void expect(const FIX::SessionID& id, int n) {
    std::lock_guard<std::mutex> l(m_);
    burst(id) = Burst{};
    burst(id).expected = n;
  }
  /** The burst's counts once its last report came, or throws after a minute. */
  Burst await(const FIX::SessionID& id) {
    std::unique_lock<std::mutex> l(m_);
    Burst& b = burst(id);
    if (!cv_.wait_for(l, std::chrono::seconds(60), [&] { return b.reports >= b.expected || b.sessionRejects > 0; }))
      throw std::runtime_error("timed out: " + std::to_string(b.reports) + " of " + std::to_string(b.expected) + " reports from " + id.getTargetCompID().getString());
    if (b.sessionRejects > 0) throw std::runtime_error("session Reject from " + id.getTargetCompID().getString());
    return b;
  }

 private:
  Burst& burst(const FIX::SessionID& id) { return id.getTargetCompID().getString() == "EXCH" ? ours_ : theirs_; }

  std::string keyId_, secret_;
  std::mutex m_;
  std::condition_variable cv_;
  int logons_ = 0;
  Burst ours_, theirs_;
};

static FIX::Message newOrder(const std::string& clOrdId, bool buy) {
  FIX::Message m;
  m.getHeader().setField(FIX::MsgType("D"));
  m.setField(FIX::ClOrdID(clOrdId));
  m.setField(FIX::Symbol("BTC-USD"));
  m.setField(FIX::Side(buy ? FIX::Side_BUY : FIX::Side_SELL));
  m.setField(FIX::TransactTime(FIX::UtcTimeStamp(), 3));
  m.setField(FIX::FIELD::OrderQty, "0.01");
  m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
  m.setField(FIX::FIELD::Price, buy ? "100" : "200");
  return m;
}

/** Sends one burst on a session and prints its JSON line. */
static void runBurst(Driver& driver, const FIX::SessionID& id, const std::string& name, int round, bool warmup, int orders) {
  std::vector<FIX::Message> burst;
  burst.reserve(orders);
  const std::string prefix = name.substr(0, 1) + std::to_string(round) + "-";
  for (int i = 0; i < orders; i++) burst.push_back(newOrder(prefix + std::to_string(i), i % 2 == 0));
  FIX::Session* session = FIX::Session::lookupSession(id);
  driver.expect(id, orders);
  const double cpuBefore = cpuSeconds();
  const Clock::time_point start = Clock::now();
  for (auto& m : burst) session->send(m);
  const Burst done = driver.await(id);
  const double seconds = std::chrono::duration<double>(done.last - start).count();
  const double driverCpu = cpuSeconds() - cpuBefore;
  std::cout << "{\"acceptor\":\"" << name << "\",\"round\":" << round << ",\"warmup\":" << (warmup ? "true" : "false")
            << ",\"orders\":" << orders << ",\"seconds\":" << seconds << ",\"ordersPerSecond\":" << orders / seconds
            << ",\"rejected\":" << done.rejected << ",\"driverCpuSeconds\":" << driverCpu << "}" << std::endl;
}

int main(int argc, char** argv) {
  if (argc != 9) {
    std::cerr << "usage: initiator <dictionary> <rounds> <warmup rounds> <orders per burst> <our port> <keyId> <secret> <quickfix port>\n";
    return 2;
  }
  const std::string dictionary = argv[1];
  const int rounds = std::stoi(argv[2]), warmup = std::stoi(argv[3]), orders = std::stoi(argv[4]);
  std::stringstream cfg;
  // The driver keeps no store of its own (memory, nothing persisted): only the acceptors' stores are measured.
  cfg << "[DEFAULT]\nConnectionType=initiator\nReconnectInterval=1\nStartTime=00:00:00\nEndTime=00:00:00\n"
      << "UseDataDictionary=Y\nDataDictionary=" << dictionary << "\nHeartBtInt=30\nResetOnLogon=Y\nPersistMessages=N\n"
      << "SocketNodelay=Y\nSocketConnectHost=127.0.0.1\nBeginString=FIX.4.4\nSenderCompID=BENCH\n"
      << "[SESSION]\nTargetCompID=EXCH\nSocketConnectPort=" << argv[5] << "\n"
      << "[SESSION]\nTargetCompID=QFX\nSocketConnectPort=" << argv[8] << "\n";
  try {
    FIX::SessionSettings settings(cfg);
    Driver driver(argv[6], base64urlDecode(argv[7]));
    FIX::MemoryStoreFactory store;
    FIX::SocketInitiator initiator(driver, store, settings);
    initiator.start();
    if (!driver.waitLogons(2)) throw std::runtime_error("both sessions did not log on");
    const FIX::SessionID ours("FIX.4.4", "BENCH", "EXCH"), theirs("FIX.4.4", "BENCH", "QFX");
    for (int round = 1; round <= warmup + rounds; round++) {
      runBurst(driver, ours, "ours", round, round <= warmup, orders);
      runBurst(driver, theirs, "quickfix", round, round <= warmup, orders);
    }
    initiator.stop();
    return 0;
  } catch (std::exception& e) {
    std::cerr << "FAILED: " << e.what() << std::endl;
    return 1;
  }
}
