#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/strings.h"

namespace rhip::testing {
namespace {

bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string HttpResult::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool HttpClient::Connect() {
  Close();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Close();
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return true;
}

void HttpClient::SetDefaultHeader(const std::string& name, const std::string& value) {
  std::erase_if(default_headers_, [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  if (!value.empty()) default_headers_.emplace_back(name, value);
}

HttpResult HttpClient::Send(const std::string& method, const std::string& target,
                            const std::string& body,
                            std::vector<std::pair<std::string, std::string>> headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + ":" +
                    std::to_string(port_) + "\r\n";
  bool has_ct = false;
  for (const auto& [dk, dv] : default_headers_) {
    bool overridden = std::any_of(headers.begin(), headers.end(),
                                  [&](const auto& h) { return EqualsIgnoreCase(h.first, dk); });
    if (!overridden) headers.emplace_back(dk, dv);
  }
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (EqualsIgnoreCase(k, "Content-Type")) has_ct = true;
  }
  if (!body.empty() && !has_ct) req += "Content-Type: application/fhir+json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !Connect()) return {};
    if (!WriteAll(fd_, req)) {
      Close();
      continue;
    }
    std::string buf;
    char chunk[65536];
    size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      header_end = buf.find("\r\n\r\n");
    }
    if (header_end == std::string::npos) {
      Close();
      if (buf.empty()) continue;  // a closed keep-alive connection: retry once
      return {};
    }
    HttpResult res;
    std::string head = buf.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() >= 12) res.status = std::atoi(status_line.c_str() + 9);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    size_t content_length = 0;
    bool close_after = false;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      pos = e + 2;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string k = line.substr(0, colon);
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      if (EqualsIgnoreCase(k, "Content-Length")) content_length = std::stoul(v);
      if (EqualsIgnoreCase(k, "Connection") && EqualsIgnoreCase(v, "close")) close_after = true;
      res.headers.emplace_back(k, v);
    }
    res.body = buf.substr(header_end + 4);
    if (method == "HEAD") content_length = 0;
    while (res.body.size() < content_length) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      res.body.append(chunk, static_cast<size_t>(n));
    }
    if (close_after) Close();
    return res;
  }
  return {};
}

std::string HttpClient::SendRaw(const std::string& bytes, int timeout_ms) {
  if (!Connect()) return "";
  WriteAll(fd_, bytes);
  std::string out;
  char chunk[65536];
  pollfd p{fd_, POLLIN, 0};
  while (::poll(&p, 1, timeout_ms) > 0) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    out.append(chunk, static_cast<size_t>(n));
  }
  Close();
  return out;
}

}  // namespace rhip::testing
