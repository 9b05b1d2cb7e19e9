// A small blocking HTTP/1.1 client for tests: keep-alive, Content-Length bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rhip::testing {

// Everything but RFC 3986 unreserved characters percent-encoded, so query values (payloads,
// UTF-8 text, URLs) reach the server byte for byte (NUL included).
std::string PercentEncode(std::string_view s);

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request on the kept-alive connection (reconnecting when needed).
  HttpResult Send(const std::string& method, const std::string& target, const std::string& body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {});
  HttpResult Get(const std::string& target) { return Send("GET", target); }

  // A header sent with every request unless Send's own headers name it (e.g. Authorization:
  // a test passes its own to try a bad token). An empty value removes it.
  void SetDefaultHeader(const std::string& name, const std::string& value);

  // Sends raw bytes and returns whatever comes back until the peer closes or timeout_ms.
  std::string SendRaw(const std::string& bytes, int timeout_ms = 2000);

 private:
  bool Connect();
  void Close();
  std::string host_;
  uint16_t port_;
  std::vector<std::pair<std::string, std::string>> default_headers_;
  int fd_ = -1;
};

}  // namespace rhip::testing
