// The comparison acceptor for `bench:fix -- --quickfix`: a small QuickFIX/C++ order-entry app that
// answers each NewOrderSingle with an ExecutionReport (ExecType=New, OrdStatus=New) carrying the
// same fields ours sends for a new resting order. No matching, no balances: only the FIX engine.
//
// Like ours it validates every incoming message against our published dictionary and keeps its
// session in files (FileStoreFactory: every sent message and the sequence numbers, written with
// fwrite + fflush per message; QuickFIX never calls fsync, so unlike ours a power loss can lose
// what it acknowledged). One SocketAcceptor thread serves the session, as one event loop serves ours.
//
// usage: acceptor <port> <compId> <dictionary> <workdir>
// Prints "READY" once listening; stops when its stdin closes.
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/Values.h>

// QuickFIX 1.15 as packaged by Debian declares dynamic exception specifications: build as C++14.

#include <iostream>
#include <sstream>
#include <string>

class OrderEntry : public FIX::Application {
 public:
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {}
  void onLogout(const FIX::SessionID&) override {}
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}

  void fromApp(const FIX::Message& order, const FIX::SessionID& session) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    if (order.getHeader().getField(FIX::FIELD::MsgType) != "D") throw FIX::UnsupportedMessageType();
    const std::string quantity = order.getField(FIX::FIELD::OrderQty);
    FIX::Message report;
    report.getHeader().setField(FIX::MsgType("8"));
    report.setField(FIX::OrderID("Q" + std::to_string(++orders_)));
    report.setField(FIX::ClOrdID(order.getField(FIX::FIELD::ClOrdID)));
    report.setField(FIX::ExecID("QE" + std::to_string(orders_)));
    report.setField(FIX::ExecType(FIX::ExecType_NEW));
    report.setField(FIX::OrdStatus(FIX::OrdStatus_NEW));
    report.setField(FIX::Account("bench"));
    report.setField(FIX::FIELD::Symbol, order.getField(FIX::FIELD::Symbol));
    report.setField(FIX::FIELD::Side, order.getField(FIX::FIELD::Side));
    report.setField(FIX::FIELD::OrderQty, quantity);
    report.setField(FIX::FIELD::OrdType, order.getField(FIX::FIELD::OrdType));
    report.setField(FIX::FIELD::Price, order.getField(FIX::FIELD::Price));
    report.setField(FIX::TimeInForce(FIX::TimeInForce_GOOD_TILL_CANCEL));
    report.setField(FIX::FIELD::LeavesQty, quantity);
    report.setField(FIX::FIELD::CumQty, "0");
    report.setField(FIX::FIELD::AvgPx, "0");
    report.setField(FIX::TransactTime(FIX::UtcTimeStamp(), 3));
    FIX::Session::sendToTarget(report, session);
  }

 private:
  long orders_ = 0;
};

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: acceptor <port> <compId> <dictionary> <workdir>\n";
    return 2;
  }
  std::stringstream cfg;
  cfg << "[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=" << argv[1] << "\nFileStorePath=" << argv[4] << "/store\n"
      << "StartTime=00:00:00\nEndTime=00:00:00\nUseDataDictionary=Y\nDataDictionary=" << argv[3] << "\n"
      << "ResetOnLogon=Y\nSocketNodelay=Y\n"
      << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << argv[2] << "\nTargetCompID=BENCH\n";
  try {
    FIX::SessionSettings settings(cfg);
    OrderEntry app;
    FIX::FileStoreFactory store(settings);
    FIX::SocketAcceptor acceptor(app, store, settings);
    acceptor.start();
    std::cout << "READY" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {}
    acceptor.stop();
    return 0;
  } catch (std::exception& e) {
    std::cerr << "FAILED: " << e.what() << std::endl;
    return 1;
  }
}
