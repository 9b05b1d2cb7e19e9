#include "bench/ingest/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rhip::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host;
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

HttpClient::HttpClient(std::string host, uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = std::to_string(port);
}

HttpClient::~HttpClient() = default;

absl::StatusOr<HttpReply> HttpClient::Send(std::string_view method, std::string_view target,
                                           std::string body) {
  http::request<http::string_body> req;
  req.method_string({method.data(), method.size()});
  req.target({target.data(), target.size()});
  req.version(11);
  req.set(http::field::host, impl_->host);
  if (!body.empty()) req.set(http::field::content_type, "application/fhir+json");
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

}  // namespace rhip::bench
