// The signed Logon our acceptor asks of a client, for the QuickFIX/C++ programs that log on to it
// (this directory's interop initiator and bench:fix's driver): the key id in Username(553) and,
// in Password(554), the base64 HMAC-SHA256 of the documented prehash: SendingTime, MsgType,
// MsgSeqNum, SenderCompID and TargetCompID joined by SOH. Secrets come base64url-encoded.
#pragma once
#include <quickfix/FixFields.h>
#include <quickfix/Message.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

inline std::string base64urlDecode(std::string s) {
  for (auto& c : s) { if (c == '-') c = '+'; else if (c == '_') c = '/'; }
  while (s.size() % 4) s += '=';
  std::vector<unsigned char> out(s.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return "";
  size_t pad = 0;
  if (!s.empty() && s[s.size() - 1] == '=') pad++;
  if (s.size() > 1 && s[s.size() - 2] == '=') pad++;
  return std::string(reinterpret_cast<char*>(out.data()), static_cast<size_t>(n) - pad);
}

inline std::string hmacBase64(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::vector<unsigned char> b64(4 * ((len + 2) / 3) + 1);
  int n = EVP_EncodeBlock(b64.data(), mac, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64.data()), static_cast<size_t>(n));
}

/** Signs `message` if it is a Logon (call it from Application::toAdmin); other admin messages pass as they are. */
inline void signLogon(FIX::Message& message, const std::string& keyId, const std::string& secret) {
  const FIX::Header& h = message.getHeader();
  if (h.getField(FIX::FIELD::MsgType) != "A") return;
  const char soh = '\x01';
  std::string prehash = h.getField(FIX::FIELD::SendingTime) + soh + "A" + soh + h.getField(FIX::FIELD::MsgSeqNum) + soh +
                        h.getField(FIX::FIELD::SenderCompID) + soh + h.getField(FIX::FIELD::TargetCompID);
  message.setField(FIX::Username(keyId));
  message.setField(FIX::Password(hmacBase64(secret, prehash)));
}
