#include "app/chinese_text_folding.h"

#include "fhir/search/text_folding.h"
#include "terminology/chinese_text.h"

namespace rhip::app {
namespace {

class ChineseTextFolding : public fhir::search::TextFolding {
 public:
  std::string Fold(std::string_view text) const override {
    return terminology::FoldForSearch(text);
  }

  // Full pinyin and initials, so 张三丰 is found by "zhangsanfeng", "zhangs" and "zsf".
  void AddPhoneticKeys(std::string_view text, bool surname_first,
                       std::vector<std::string>* out) const override {
    if (!terminology::ContainsHan(text)) return;
    for (terminology::PinyinKey& k : terminology::PinyinKeys(text, surname_first)) {
      out->push_back(std::move(k.full));
      out->push_back(std::move(k.initials));
    }
  }
};

}  // namespace

void InstallChineseTextFolding() {
  static const ChineseTextFolding folding;
  fhir::search::InstallTextFolding(&folding);
}

}  // namespace rhip::app
