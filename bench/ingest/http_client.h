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
  // bearer_token non-empty: sent as `Authorization: Bearer ...` with every request.
  HttpClient(std::string host, uint16_t port, std::string bearer_token = "");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request on the kept-alive connection, reconnecting once when the server has
  // closed it. A non-2xx reply is a reply, not an error; errors are transport failures.
  absl::StatusOr<HttpReply> Send(std::string_view method, std::string_view target,
                                 std::string body = "",
                                 std::string_view content_type = "application/fhir+json");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A bearer token from POST /auth/token for a system client given as "ID:SECRET" (the
// RHIP_BOOTSTRAP_CLIENT the bench scripts start rhip with).
absl::StatusOr<std::string> FetchClientToken(const std::string& host, uint16_t port,
                                             std::string_view client);

}  // namespace rhip::bench
