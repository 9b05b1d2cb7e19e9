// An in-memory index of one CodeSystem resource: concepts by code, the is-a hierarchy (nested
// concepts and `parent`/`child` properties), and the text filter of $expand ranked the way a
// Chinese HIS search box works (code, 拼音码 initials, full pinyin, Chinese text).
//
// Thread safety: immutable after Build; share it freely (std::shared_ptr<const ...>).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "terminology/chinese_text.h"

namespace rhip::terminology {

struct Designation {
  std::string language;
  const json::Value* use = nullptr;  // a Coding in the CodeSystem JSON, or null
  std::string value;
};

struct Concept {
  std::string code;
  std::string display;
  std::string definition;
  std::vector<Designation> designations;
  // CodeSystem.concept.property entries as in the JSON ({"code":..,"valueCode":..}).
  std::vector<const json::Value*> properties;
  std::vector<int> parents;   // indexes into CodeSystemIndex::concepts()
  std::vector<int> children;
  // Search keys: the code folded, the display and designation values folded, and the pinyin
  // keys of each folded text with Han.
  std::string code_key;
  std::vector<std::string> text_keys;
  std::vector<PinyinKey> pinyin;
};

// How well a concept matches a filter; lower is better. Stored in answers: do not renumber.
enum class MatchRank : int {
  kExactCode = 0,
  kCodePrefix = 1,
  kInitialsPrefix = 2,  // 拼音码: gxy → 高血压
  kPinyinPrefix = 3,    // gaoxueya → 高血压
  kTextContains = 4,    // 血压 → 高血压, traditional 高血壓 too
  kNone = 5,
};

// A filter text prepared once per request: folded (full-width, case, traditional → simplified),
// and whether it can be pinyin (ASCII letters only).
class TextFilter {
 public:
  explicit TextFilter(std::string_view text);
  bool empty() const { return folded_.empty(); }
  const std::string& folded() const { return folded_; }
  bool may_be_pinyin() const { return may_be_pinyin_; }

 private:
  std::string folded_;
  bool may_be_pinyin_ = false;
};

// The best rank of a concept's keys for the filter (an empty filter matches as kTextContains).
MatchRank Rank(const TextFilter& filter, const Concept& c);

// Among matches of one rank the shorter comes first: the code for code matches, the display
// otherwise (高血压 before 高血压性心脏病).
inline size_t TieBreakLength(MatchRank rank, std::string_view code, std::string_view display) {
  return rank <= MatchRank::kCodePrefix ? code.size() : display.size();
}

// Fills the search keys of a concept from its code, display and designations.
void ComputeSearchKeys(Concept* c);

class CodeSystemIndex {
 public:
  // REQUIRES: code_system is a CodeSystem resource. Its JSON is kept (concept properties and
  // designation uses point into it).
  static absl::StatusOr<std::shared_ptr<const CodeSystemIndex>> Build(json::Value code_system);

  const std::string& url() const { return url_; }
  const std::string& version() const { return version_; }
  const std::string& name() const { return name_; }
  const std::string& content() const { return content_; }  // complete, fragment, ...
  const json::Value& resource() const { return resource_; }
  const std::vector<Concept>& concepts() const { return concepts_; }

  // The concept's index, or -1.
  int Find(std::string_view code) const;
  // The concepts below `index` in the hierarchy (transitively), with it first when
  // include_self; each once, in concept order.
  std::vector<int> Descendants(int index, bool include_self) const;

  // The rank of every concept for the filter (indexed like concepts()), from sorted key arrays
  // and one scan of the concatenated texts rather than Rank() per concept.
  std::vector<MatchRank> RankAll(const TextFilter& filter) const;

  struct Match {
    int concept_index;
    MatchRank rank;
  };
  // The concepts matching the filter, best first: rank, then TieBreakLength, then concept
  // order. `among` limits the search to those concept indexes (null: all).
  std::vector<Match> Search(const TextFilter& filter, const std::vector<int>* among = nullptr) const;

 private:
  CodeSystemIndex() = default;
  void AddConcepts(const json::Array& list, int parent);
  void BuildSearchArrays();
  using KeyArray = std::vector<std::pair<std::string_view, int>>;  // sorted (key, concept)
  static void MarkPrefix(const KeyArray& keys, std::string_view prefix, MatchRank rank,
                         std::vector<MatchRank>* ranks);

  json::Value resource_;
  std::string url_, version_, name_, content_;
  std::vector<Concept> concepts_;
  std::unordered_map<std::string_view, int> by_code_;
  // Views into concepts_ (not resized after Build).
  KeyArray code_keys_, initials_keys_, full_keys_;
  std::string texts_;                 // every text key, each followed by '\n'
  std::vector<size_t> text_starts_;   // offset of each text key in texts_, ascending
  std::vector<int> text_owner_;       // its concept
};

}  // namespace rhip::terminology
