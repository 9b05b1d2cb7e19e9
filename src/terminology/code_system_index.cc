#include "terminology/code_system_index.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/strings.h"
#include "terminology/internal/json_fields.h"

namespace rhip::terminology {
namespace {

using internal::ArrayAt;
using internal::StringAt;

bool IsAsciiLetters(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(c >= 'a' && c <= 'z')) return false;
  }
  return true;
}

}  // namespace

TextFilter::TextFilter(std::string_view text)
    : folded_(FoldForSearch(text)), may_be_pinyin_(IsAsciiLetters(folded_)) {}

void ComputeSearchKeys(Concept* c) {
  c->code_key = FoldForSearch(c->code);
  c->text_keys.clear();
  c->pinyin.clear();
  auto add = [&](std::string_view text) {
    if (text.empty()) return;
    std::string folded = FoldForSearch(text);
    if (std::find(c->text_keys.begin(), c->text_keys.end(), folded) != c->text_keys.end()) return;
    if (ContainsHan(folded)) {
      for (PinyinKey& k : PinyinKeys(folded)) c->pinyin.push_back(std::move(k));
    }
    c->text_keys.push_back(std::move(folded));
  };
  add(c->display);
  for (const Designation& d : c->designations) add(d.value);
}

MatchRank Rank(const TextFilter& filter, const Concept& c) {
  const std::string& f = filter.folded();
  if (f.empty()) return MatchRank::kTextContains;
  if (c.code_key == f) return MatchRank::kExactCode;
  if (c.code_key.starts_with(f)) return MatchRank::kCodePrefix;
  MatchRank best = MatchRank::kNone;
  if (filter.may_be_pinyin()) {
    for (const PinyinKey& k : c.pinyin) {
      if (k.initials.starts_with(f)) return MatchRank::kInitialsPrefix;
      if (k.full.starts_with(f)) best = MatchRank::kPinyinPrefix;
    }
    if (best != MatchRank::kNone) return best;
  }
  for (const std::string& t : c.text_keys) {
    if (t.find(f) != std::string::npos) return MatchRank::kTextContains;
  }
  return MatchRank::kNone;
}

absl::StatusOr<std::shared_ptr<const CodeSystemIndex>> CodeSystemIndex::Build(
    json::Value code_system) {
  const std::string* type = code_system.FindString("resourceType");
  if (type == nullptr || *type != "CodeSystem") {
    return MakeError(ErrorKind::kInvalid, "not a CodeSystem resource");
  }
  std::shared_ptr<CodeSystemIndex> index(new CodeSystemIndex());
  index->resource_ = std::move(code_system);
  const json::Value& cs = index->resource_;
  index->url_ = StringAt(cs, "url");
  index->version_ = StringAt(cs, "version");
  index->name_ = StringAt(cs, "name");
  index->content_ = StringAt(cs, "content");
  if (const json::Array* list = ArrayAt(cs, "concept")) index->AddConcepts(*list, -1);
  std::vector<Concept>& concepts = index->concepts_;
  for (size_t i = 0; i < concepts.size(); ++i) index->by_code_.emplace(concepts[i].code, int(i));
  // Flat code systems state the hierarchy as `parent` / `child` properties instead of nesting.
  for (size_t i = 0; i < concepts.size(); ++i) {
    for (const json::Value* p : concepts[i].properties) {
      const std::string* code = p->FindString("code");
      const std::string* value = p->FindString("valueCode");
      if (code == nullptr || value == nullptr) continue;
      auto other = index->by_code_.find(*value);
      if (other == index->by_code_.end()) continue;
      int parent = *code == "parent" ? other->second : *code == "child" ? int(i) : -1;
      int child = *code == "parent" ? int(i) : *code == "child" ? other->second : -1;
      if (parent < 0) continue;
      auto& kids = concepts[parent].children;
      if (std::find(kids.begin(), kids.end(), child) == kids.end()) {
        kids.push_back(child);
        concepts[child].parents.push_back(parent);
      }
    }
  }
  for (Concept& c : concepts) ComputeSearchKeys(&c);
  index->BuildSearchArrays();
  return std::shared_ptr<const CodeSystemIndex>(std::move(index));
}

void CodeSystemIndex::AddConcepts(const json::Array& list, int parent) {
  for (const json::Value& v : list) {
    const std::string* code = v.FindString("code");
    if (code == nullptr) continue;
    int self = int(concepts_.size());
    Concept c;
    c.code = *code;
    c.display = StringAt(v, "display");
    c.definition = StringAt(v, "definition");
    if (const json::Array* ds = ArrayAt(v, "designation")) {
      for (const json::Value& d : *ds) {
        c.designations.push_back({StringAt(d, "language"), d.Find("use"), StringAt(d, "value")});
      }
    }
    if (const json::Array* ps = ArrayAt(v, "property")) {
      for (const json::Value& p : *ps) c.properties.push_back(&p);
    }
    if (parent >= 0) c.parents.push_back(parent);
    concepts_.push_back(std::move(c));
    if (parent >= 0) concepts_[parent].children.push_back(self);
    if (const json::Array* nested = ArrayAt(v, "concept")) AddConcepts(*nested, self);
  }
}

void CodeSystemIndex::BuildSearchArrays() {
  for (size_t i = 0; i < concepts_.size(); ++i) {
    const Concept& c = concepts_[i];
    code_keys_.emplace_back(c.code_key, int(i));
    for (const PinyinKey& k : c.pinyin) {
      initials_keys_.emplace_back(k.initials, int(i));
      full_keys_.emplace_back(k.full, int(i));
    }
    for (const std::string& t : c.text_keys) {
      text_starts_.push_back(texts_.size());
      text_owner_.push_back(int(i));
      texts_.append(t).push_back('\n');
    }
  }
  for (KeyArray* keys : {&code_keys_, &initials_keys_, &full_keys_}) std::sort(keys->begin(), keys->end());
}

void CodeSystemIndex::MarkPrefix(const KeyArray& keys, std::string_view prefix, MatchRank rank,
                                 std::vector<MatchRank>* ranks) {
  auto it = std::lower_bound(keys.begin(), keys.end(), std::make_pair(prefix, -1));
  for (; it != keys.end() && it->first.starts_with(prefix); ++it) {
    MatchRank r = it->first.size() == prefix.size() && rank == MatchRank::kCodePrefix ? MatchRank::kExactCode : rank;
    MatchRank& best = (*ranks)[it->second];
    if (r < best) best = r;
  }
}

std::vector<MatchRank> CodeSystemIndex::RankAll(const TextFilter& filter) const {
  const std::string& f = filter.folded();
  if (f.empty()) return std::vector<MatchRank>(concepts_.size(), MatchRank::kTextContains);
  std::vector<MatchRank> ranks(concepts_.size(), MatchRank::kNone);
  MarkPrefix(code_keys_, f, MatchRank::kCodePrefix, &ranks);
  if (filter.may_be_pinyin()) {
    MarkPrefix(initials_keys_, f, MatchRank::kInitialsPrefix, &ranks);
    MarkPrefix(full_keys_, f, MatchRank::kPinyinPrefix, &ranks);
  }
  // Folded texts never hold '\n' (whitespace is removed), so a hit lies inside one key.
  for (size_t pos = texts_.find(f); pos != std::string::npos; pos = texts_.find(f, pos + 1)) {
    size_t k = size_t(std::upper_bound(text_starts_.begin(), text_starts_.end(), pos) - text_starts_.begin()) - 1;
    MatchRank& best = ranks[text_owner_[k]];
    if (best > MatchRank::kTextContains) best = MatchRank::kTextContains;
    pos = k + 1 < text_starts_.size() ? text_starts_[k + 1] - 1 : texts_.size();
  }
  return ranks;
}

int CodeSystemIndex::Find(std::string_view code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? -1 : it->second;
}

std::vector<int> CodeSystemIndex::Descendants(int index, bool include_self) const {
  std::vector<char> seen(concepts_.size(), 0);
  std::vector<int> stack{index};
  seen[index] = 1;
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    for (int child : concepts_[i].children) {
      if (!seen[child]) {
        seen[child] = 1;
        stack.push_back(child);
      }
    }
  }
  if (!include_self) seen[index] = 0;
  std::vector<int> out;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) out.push_back(int(i));
  }
  return out;
}

std::vector<CodeSystemIndex::Match> CodeSystemIndex::Search(const TextFilter& filter,
                                                            const std::vector<int>* among) const {
  std::vector<MatchRank> ranks = RankAll(filter);
  std::vector<Match> out;
  auto consider = [&](int i) {
    if (ranks[i] != MatchRank::kNone) out.push_back({i, ranks[i]});
  };
  if (among != nullptr) {
    for (int i : *among) consider(i);
  } else {
    for (size_t i = 0; i < concepts_.size(); ++i) consider(int(i));
  }
  std::stable_sort(out.begin(), out.end(), [&](const Match& a, const Match& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    const Concept& ca = concepts_[a.concept_index];
    const Concept& cb = concepts_[b.concept_index];
    size_t la = TieBreakLength(a.rank, ca.code, ca.display);
    size_t lb = TieBreakLength(b.rank, cb.code, cb.display);
    if (la != lb) return la < lb;
    return a.concept_index < b.concept_index;
  });
  return out;
}

}  // namespace rhip::terminology
