#include "app/mllp_fallback.h"

#include <atomic>
#include <vector>

#include "core/strings.h"

namespace rhip::app {

std::string NoHandlerReject(std::string_view message, std::string_view timestamp) {
  // The MSH segment ends at the first segment terminator (CR; LF tolerated).
  const std::string_view msh = message.substr(0, message.find_first_of("\r\n"));
  char sep = '|';
  std::vector<std::string_view> fields;
  if (msh.size() >= 8 && msh.substr(0, 3) == "MSH") {
    sep = msh[3];
    for (size_t start = 0;;) {
      const size_t end = msh.find(sep, start);
      fields.push_back(msh.substr(start, end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  // fields[i] is MSH-(i+1): fields[0] is "MSH" and MSH-1 is the separator itself.
  const auto field = [&](size_t n) { return n < fields.size() ? fields[n] : std::string_view(); };
  const std::string_view encoding = field(1).empty() ? "^~\\&" : field(1);
  const std::string_view version = field(11).empty() ? "2.5" : field(11);
  const std::string_view processing = field(10).empty() ? "P" : field(10);
  static std::atomic<uint64_t> serial{0};
  const std::string s(1, sep);
  return StrCat("MSH", s, encoding, s, "rhip", s, "rhip", s, field(2), s, field(3), s, timestamp,
                s, s, "ACK", s, "RHIP", timestamp, "-", serial.fetch_add(1) + 1, s, processing, s,
                version, "\rMSA", s, "AR", s, field(9), s, "no HL7 v2 handler in this build\r");
}

}  // namespace rhip::app
