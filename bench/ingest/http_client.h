// A blocking HTTP/1.1 keep-alive client for load generation: one per client thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rhip::bench {

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request on the kept-alive connection, reconnecting once when the server has
  // closed it. A non-2xx reply is a reply, not an error; errors are transport failures.
  absl::StatusOr<HttpReply> Send(std::string_view method, std::string_view target,
                                 std::string body = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rhip::bench
