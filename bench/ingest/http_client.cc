#include "bench/ingest/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/strings.h"

namespace rhip::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  std::string authorization;  // "Bearer ..." or empty
  std::string port;
  asio::io_context io;
  tcp::socket socket{io};
  boost::beast::flat_buffer buffer;

  boost::system::error_code Connect() {
    boost::system::error_code ec;
    socket.close(ec);
    buffer.clear();
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return ec;
    asio::connect(socket, endpoints, ec);
    if (!ec) socket.set_option(tcp::no_delay(true), ec);
    return ec;
  }

  boost::system::error_code RoundTrip(const http::request<http::string_body>& req,
                                      HttpReply* reply) {
    boost::system::error_code ec;
    http::write(socket, req, ec);
    if (ec) return ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);  // transaction-response bundles of big bundles are big
    http::read(socket, buffer, parser, ec);
    if (ec) return ec;
    reply->status = static_cast<int>(parser.get().result_int());
    reply->body = std::move(parser.get().body());
    if (!parser.get().keep_alive()) socket.close(ec);
    return {};
  }
};

HttpClient::HttpClient(std::string host, uint16_t port, std::string bearer_token)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = std::to_string(port);
  if (!bearer_token.empty()) impl_->authorization = "Bearer " + bearer_token;
}

HttpClient::~HttpClient() = default;

absl::StatusOr<HttpReply> HttpClient::Send(std::string_view method, std::string_view target,
                                           std::string body, std::string_view content_type) {
  http::request<http::string_body> req;
  req.method_string({method.data(), method.size()});
  req.target({target.data(), target.size()});
  req.version(11);
  req.set(http::field::host, impl_->host);
  if (!body.empty()) req.set(http::field::content_type, {content_type.data(), content_type.size()});
  if (!impl_->authorization.empty()) req.set(http::field::authorization, impl_->authorization);
  req.body() = std::move(body);
  req.prepare_payload();
  HttpReply reply;
  boost::system::error_code ec;
  // A reused connection may have been closed by the server while idle: then retry once on a
  // fresh one. A fresh connection that fails is not retried (the POST may have been applied).
  while (true) {
    const bool reused = impl_->socket.is_open();
    if (!reused) {
      ec = impl_->Connect();
      if (ec) break;
    }
    ec = impl_->RoundTrip(req, &reply);
    if (!ec) return reply;
    boost::system::error_code ignored;
    impl_->socket.close(ignored);
    if (!reused) break;
  }
  return absl::UnavailableError(absl::StrCat("HTTP ", std::string(method), " ",
                                             std::string(target), ": ", ec.message()));
}

absl::StatusOr<std::string> FetchClientToken(const std::string& host, uint16_t port,
                                             std::string_view client) {
  size_t colon = client.find(':');
  if (colon == std::string_view::npos) return absl::InvalidArgumentError("client must be ID:SECRET");
  HttpClient http(host, port);
  // Bench client ids and secrets are plain tokens: no form escaping needed.
  absl::StatusOr<HttpReply> reply =
      http.Send("POST", "/auth/token",
                StrCat("grant_type=client_credentials&client_id=", client.substr(0, colon),
                       "&client_secret=", client.substr(colon + 1)),
                "application/x-www-form-urlencoded");
  if (!reply.ok()) return reply.status();
  absl::StatusOr<json::Value> v = json::Parse(reply->body);
  const std::string* token = v.ok() && v->is_object() ? v->FindString("access_token") : nullptr;
  if (reply->status != 200 || token == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat("POST /auth/token: ", reply->status, " ", reply->body));
  }
  return *token;
}

}  // namespace rhip::bench
