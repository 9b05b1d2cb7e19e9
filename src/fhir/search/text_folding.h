// How string index values and string search values are folded before they are compared.
// fhir/ only knows ASCII case folding; app/ plugs in the Chinese folding from terminology/
// (traditional -> simplified, full-width -> ASCII, pinyin keys), which sits above fhir/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rhip::fhir::search {

class TextFolding {
 public:
  virtual ~TextFolding() = default;
  // The comparison form of a value or search string. The default lowercases ASCII and
  // drops spaces at both ends.
  virtual std::string Fold(std::string_view text) const;
  // Adds phonetic keys of text (for Chinese: full pinyin and initials) to out. surname_first:
  // the text starts with a family name (read with surname readings). The default adds none.
  virtual void AddPhoneticKeys(std::string_view text, bool surname_first,
                               std::vector<std::string>* out) const;

  // The ASCII-only folding above.
  static const TextFolding& Basic();
};

// The folding the index and searches use, process-wide: index rows written with one folding
// are only found by searches folded the same way, so there is exactly one. app/ installs the
// Chinese folding once at start-up, before any repository is used; Basic() until then.
const TextFolding& ActiveTextFolding();
// REQUIRES: folding outlives every later use; called before serving.
void InstallTextFolding(const TextFolding* folding);

}  // namespace rhip::fhir::search
