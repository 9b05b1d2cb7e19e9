#include "fhir/search/text_folding.h"

#include <atomic>

namespace rhip::fhir::search {

std::string TextFolding::Fold(std::string_view text) const {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void TextFolding::AddPhoneticKeys(std::string_view, bool, std::vector<std::string>*) const {}

const TextFolding& TextFolding::Basic() {
  static const TextFolding basic;
  return basic;
}

namespace {
std::atomic<const TextFolding*> active{nullptr};
}  // namespace

const TextFolding& ActiveTextFolding() {
  const TextFolding* f = active.load(std::memory_order_acquire);
  return f != nullptr ? *f : TextFolding::Basic();
}

void InstallTextFolding(const TextFolding* folding) {
  active.store(folding, std::memory_order_release);
}

}  // namespace rhip::fhir::search
