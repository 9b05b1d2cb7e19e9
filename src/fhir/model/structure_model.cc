#include "fhir/model/structure_model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fhir/model/internal/model_data.h"

namespace rhip::fhir {
namespace {

[[noreturn]] void Corrupt(std::string_view what, std::string_view line) {
  // The model file is generated at build time: a bad one is a build bug, not bad input.
  std::fprintf(stderr, "rhip: embedded FHIR model is malformed (%.*s): %.*s\n",
               static_cast<int>(what.size()), what.data(), static_cast<int>(line.size()),
               line.data());
  std::abort();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

int ParseCount(std::string_view s, std::string_view line) {
  if (s == "*") return -1;
  if (s.empty() || s.size() > 9) Corrupt("cardinality", line);
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') Corrupt("cardinality", line);
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string Capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

}  // namespace

const StructureModel& StructureModel::R4() {
  static const StructureModel* model = Load();  // thread-safe static initialisation
  return *model;
}

const StructureModel* StructureModel::Load() {
  std::string text;
  for (size_t i = 0; i < internal::kModelChunkCount; ++i) text += internal::kModelChunks[i];
  auto* model = new StructureModel();
  model->LoadText(text);
  return model;
}

// Model file grammar (README.md): "T name kind abstract base" starts a type, the "E name min
// max choice summary type..." lines after it are its elements. Pass one creates every type so that
// element types can point at types defined later; pass two reads the elements.
void StructureModel::LoadText(std::string_view text) {
  std::vector<std::string_view> lines = Split(text, '\n');
  std::vector<std::pair<TypeInfo*, std::string_view>> bases;
  for (std::string_view line : lines) {
    if (line.empty() || line[0] != 'T') continue;
    std::vector<std::string_view> f = Split(line, ' ');
    if (f.size() != 5 || f[3].size() != 1) Corrupt("type line", line);
    auto type = std::make_unique<TypeInfo>();
    type->name_ = std::string(f[1]);
    switch (f[2].empty() ? ' ' : f[2][0]) {
      case 'P': type->kind_ = TypeInfo::Kind::kPrimitive; break;
      case 'C': type->kind_ = TypeInfo::Kind::kComplex; break;
      case 'R': type->kind_ = TypeInfo::Kind::kResource; break;
      case 'B': type->kind_ = TypeInfo::Kind::kBackbone; break;
      default: Corrupt("type kind", line);
    }
    if (type->kind_ == TypeInfo::Kind::kPrimitive) {
      type->primitive_ = PrimitiveFromName(type->name_);
      if (type->primitive_ == PrimitiveKind::kNone) Corrupt("unknown primitive", line);
    }
    type->abstract_ = f[3] == "1";
    bases.emplace_back(type.get(), f[4]);
    if (!by_name_.emplace(type->name_, type.get()).second) Corrupt("duplicate type", line);
    types_.push_back(std::move(type));
  }
  for (auto& [type, base] : bases) {
    if (base == "-") continue;
    auto it = by_name_.find(base);
    if (it == by_name_.end()) Corrupt("unknown base type", base);
    type->base_ = it->second;
  }

  TypeInfo* current = nullptr;
  for (std::string_view line : lines) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == 'T') {
      current = by_name_.at(Split(line, ' ')[1]);
      continue;
    }
    std::vector<std::string_view> f = Split(line, ' ');
    if (f[0] != "E" || current == nullptr || f.size() < 7 || f[4].size() != 1 ||
        f[5].size() != 1) {
      Corrupt("element line", line);
    }
    ElementInfo& e = current->elements_.emplace_back();
    e.name = std::string(f[1]);
    e.path = current->name_ + "." + e.name + (f[4] == "1" ? "[x]" : "");
    e.min = ParseCount(f[2], line);
    e.max = ParseCount(f[3], line);
    e.is_choice = f[4] == "1";
    e.is_summary = f[5] == "1";
    for (size_t i = 6; i < f.size(); ++i) {
      std::string_view spec = f[i];
      ElementType& t = e.types.emplace_back();
      size_t gt = spec.find('>');
      if (gt != std::string_view::npos) {
        for (std::string_view target : Split(spec.substr(gt + 1), '|')) {
          t.target_types.emplace_back(target);
        }
        spec = spec.substr(0, gt);
      }
      size_t at = spec.find('@');
      t.code = std::string(spec.substr(0, at));
      std::string_view info = at == std::string_view::npos ? spec : spec.substr(at + 1);
      if (t.code != "Resource") {
        auto it = by_name_.find(info);
        if (it == by_name_.end()) Corrupt("unknown element type", line);
        t.info = it->second;
      }
      t.json_name = e.is_choice ? e.name + Capitalized(t.code) : e.name;
    }
  }

  // Maps point into elements_, which no longer changes.
  for (const auto& type : types_) {
    if (type->elements_.size() > internal::kMaxElementsPerType) Corrupt("too many elements", type->name_);
    for (const ElementInfo& e : type->elements_) {
      for (const ElementType& t : e.types) {
        if (!type->members_.emplace(t.json_name, MemberMatch{&e, &t}).second) {
          Corrupt("two elements share a JSON name", t.json_name);
        }
      }
    }
    if (type->kind_ == TypeInfo::Kind::kResource && !type->abstract_) {
      resource_names_.push_back(type->name_);
    }
  }
  std::sort(resource_names_.begin(), resource_names_.end());
}

const TypeInfo* StructureModel::FindType(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

bool StructureModel::IsResourceType(std::string_view name) const {
  const TypeInfo* t = FindType(name);
  return t != nullptr && t->kind() == TypeInfo::Kind::kResource && !t->is_abstract();
}

const ElementInfo* StructureModel::FindElement(std::string_view type_name,
                                               std::string_view element_path) const {
  const TypeInfo* t = FindType(type_name);
  return t == nullptr ? nullptr : FindElement(*t, element_path);
}

const ElementInfo* StructureModel::FindElement(const TypeInfo& type,
                                               std::string_view element_path) const {
  const TypeInfo* current = &type;
  while (true) {
    size_t dot = element_path.find('.');
    const ElementInfo* e = current->FindChild(element_path.substr(0, dot));
    if (e == nullptr || dot == std::string_view::npos) return e;
    if (e->types.size() != 1 || e->types[0].info == nullptr) return nullptr;
    current = e->types[0].info;
    element_path.remove_prefix(dot + 1);
  }
}

bool TypeInfo::IsA(const TypeInfo& other) const {
  for (const TypeInfo* t = this; t != nullptr; t = t->base_) {
    if (t == &other) return true;
  }
  return false;
}

MemberMatch TypeInfo::FindMember(std::string_view json_name) const {
  auto it = members_.find(json_name);
  return it == members_.end() ? MemberMatch{} : it->second;
}

const ElementInfo* TypeInfo::FindChild(std::string_view element_name) const {
  for (const ElementInfo& e : elements_) {
    if (e.name == element_name) return &e;
  }
  return nullptr;
}

}  // namespace rhip::fhir
