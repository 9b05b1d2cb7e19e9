// The official FHIR R4 examples (../shared/data/fhir-r4-examples.tar.xz) for golden tests,
// and the upstream examples that are not valid R4, each with the reason.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rhip::fhir::testing {

struct KnownInvalid {
  std::string_view file;
  std::string_view reason;
};

std::span<const KnownInvalid> KnownInvalidExamples();
// The entry for an example file name, or nullptr.
const KnownInvalid* FindKnownInvalid(std::string_view file);

// The examples unpacked into a temporary directory, removed on destruction.
class R4Examples {
 public:
  R4Examples();  // unpacks; ok() tells whether it worked
  ~R4Examples();
  R4Examples(const R4Examples&) = delete;
  R4Examples& operator=(const R4Examples&) = delete;

  bool ok() const { return !dir_.empty(); }
  // Every *.json file, sorted by name.
  std::vector<std::string> JsonFiles() const;
  static std::string ReadFile(const std::string& path);

 private:
  std::string dir_;
};

}  // namespace rhip::fhir::testing
