// Build-time generator: turns the Han→pinyin readings of Debian's go-pinyin data
// (pinyin_dict.go, itself generated from the pinyin-data project), the curated
// surname_readings.txt and OpenCC's t2s conversion of single characters into tables_data.cc
// (layout in internal/tables.h). Runs on the build host only; any surprise in the input fails
// the build.
//
// usage: generate_tables <pinyin_dict.go> <surname_readings.txt> <t2s.json> <tables_data.cc>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "SimpleConverter.hpp"
#include "core/text_scan.h"
#include "terminology/internal/utf8.h"

namespace rhip::terminology {
namespace {

using internal::DecodeUtf8;

constexpr char32_t kFlatBegin = 0x3000;
constexpr char32_t kFlatEnd = 0xA000;

[[noreturn]] void Die(std::string_view message) {
  std::cerr << "generate_tables: " << message << "\n";
  std::exit(1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<char32_t> Decode(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t pos = 0; pos < s.size();) out.push_back(DecodeUtf8(s, &pos));
  return out;
}

std::string Encode(char32_t cp) {
  std::string s;
  AppendUtf8(cp, &s);
  return s;
}

// A toned syllable ("lǚ", "ê̄", "m̀") → toneless ASCII with ü as v.
std::string StripTones(std::string_view toned) {
  std::string out;
  for (char32_t cp : Decode(toned)) {
    if (cp >= 'a' && cp <= 'z') {
      out.push_back(static_cast<char>(cp));
      continue;
    }
    if (cp >= 0x300 && cp <= 0x36F) continue;  // combining tone marks
    switch (cp) {
      case 0x101: case 0xE1: case 0x1CE: case 0xE0:
        out.push_back('a');
        break;
      case 0x113: case 0xE9: case 0x11B: case 0xE8: case 0xEA: case 0x1EBF: case 0x1EC1:
        out.push_back('e');
        break;
      case 0x12B: case 0xED: case 0x1D0: case 0xEC:
        out.push_back('i');
        break;
      case 0x14D: case 0xF3: case 0x1D2: case 0xF2:
        out.push_back('o');
        break;
      case 0x16B: case 0xFA: case 0x1D4: case 0xF9:
        out.push_back('u');
        break;
      case 0x1D6: case 0x1D8: case 0x1DA: case 0x1DC: case 0xFC:
        out.push_back('v');
        break;
      case 0x144: case 0x148: case 0x1F9:
        out.push_back('n');
        break;
      case 0x1E3F:
        out.push_back('m');
        break;
      default:
        Die("unknown letter U+" + std::to_string(cp) + " in reading " + std::string(toned));
    }
  }
  if (out.empty() || out.size() > 6) Die("bad reading " + std::string(toned));
  return out;
}

class SyllableIds {
 public:
  uint16_t Id(const std::string& syllable) {
    auto [it, inserted] = ids_.emplace(syllable, 0);
    if (inserted) {
      it->second = static_cast<uint16_t>(names_.size());
      names_.push_back(syllable);
    }
    return it->second;
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::map<std::string, uint16_t> ids_;
  std::vector<std::string> names_;
};

// pinyin_dict.go lines look like `\t0x5355: "dān,chán,shàn",`.
std::map<char32_t, std::vector<uint16_t>> ParsePinyinDict(const std::string& text, SyllableIds* ids) {
  std::map<char32_t, std::vector<uint16_t>> readings;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t hex = line.find("0x");
    const size_t colon = line.find(':');
    const size_t q1 = line.find('"');
    const size_t q2 = line.rfind('"');
    if (hex == std::string::npos || colon == std::string::npos || q1 == std::string::npos ||
        q2 <= q1) {
      continue;
    }
    const char32_t cp = static_cast<char32_t>(std::stoul(line.substr(hex + 2, colon - hex - 2), nullptr, 16));
    std::vector<uint16_t>& out = readings[cp];
    std::string_view list(line.data() + q1 + 1, q2 - q1 - 1);
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const uint16_t id = ids->Id(StripTones(list.substr(0, comma)));
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  if (readings.size() < 20000) Die("pinyin_dict.go has only " + std::to_string(readings.size()) + " entries");
  return readings;
}

struct SurnameLine {
  std::vector<char32_t> chars;
  std::vector<std::vector<uint16_t>> readings;
};

// surname_readings.txt: `<surname> <reading> [<reading> ...]`, a compound's syllables joined by '.
std::vector<SurnameLine> ParseSurnames(const std::string& text, const SyllableIds& known,
                                       SyllableIds* ids) {
  std::vector<SurnameLine> out;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const std::string where = "surname_readings.txt:" + std::to_string(number) + ": ";
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string surname;
    if (!(words >> surname)) continue;
    SurnameLine entry;
    entry.chars = Decode(surname);
    if (entry.chars.size() > 2) Die(where + "surnames have one or two characters");
    for (std::string reading; words >> reading;) {
      std::vector<uint16_t> syllables;
      std::string_view rest = reading;
      while (!rest.empty()) {
        const size_t tick = rest.find('\'');
        const std::string syllable(rest.substr(0, tick));
        if (std::find(known.names().begin(), known.names().end(), syllable) == known.names().end()) {
          Die(where + "'" + syllable + "' is not a syllable of the pinyin data");
        }
        syllables.push_back(ids->Id(syllable));
        rest = tick == std::string_view::npos ? std::string_view() : rest.substr(tick + 1);
      }
      if (syllables.size() != entry.chars.size()) Die(where + "one syllable per character");
      entry.readings.push_back(std::move(syllables));
    }
    if (entry.readings.empty()) Die(where + "no reading");
    out.push_back(std::move(entry));
  }
  std::sort(out.begin(), out.end(), [](const SurnameLine& a, const SurnameLine& b) {
    if (a.chars[0] != b.chars[0]) return a.chars[0] < b.chars[0];
    return a.chars.size() > b.chars.size();
  });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].chars == out[i - 1].chars) Die("surname listed twice: " + Encode(out[i].chars[0]));
  }
  return out;
}

template <typename T, typename F>
void WriteList(std::ostream& out, const std::vector<T>& values, F format) {
  for (size_t i = 0; i < values.size(); ++i) {
    out << format(values[i]) << (i % 16 == 15 ? ",\n" : ",");
  }
  out << "\n";
}

void Run(int argc, char** argv) {
  if (argc != 5) Die("usage: generate_tables <pinyin_dict.go> <surname_readings.txt> <t2s.json> <out.cc>");
  SyllableIds ids;
  const auto readings = ParsePinyinDict(ReadFile(argv[1]), &ids);
  const SyllableIds known = ids;
  const auto surnames = ParseSurnames(ReadFile(argv[2]), known, &ids);

  std::vector<uint16_t> pool;
  std::vector<uint32_t> flat_start;
  for (char32_t cp = kFlatBegin; cp < kFlatEnd; ++cp) {
    flat_start.push_back(static_cast<uint32_t>(pool.size()));
    if (auto it = readings.find(cp); it != readings.end()) {
      pool.insert(pool.end(), it->second.begin(), it->second.end());
    }
  }
  flat_start.push_back(static_cast<uint32_t>(pool.size()));
  struct Sparse {
    char32_t cp;
    uint32_t start;
    size_t count;
  };
  std::vector<Sparse> sparse;
  for (const auto& [cp, list] : readings) {
    if (cp >= kFlatBegin && cp < kFlatEnd) continue;
    sparse.push_back({cp, static_cast<uint32_t>(pool.size()), list.size()});
    pool.insert(pool.end(), list.begin(), list.end());
  }

  // OpenCC t2s on each ideograph alone: the characters it changes.
  std::vector<std::pair<char32_t, char32_t>> traditional;
  std::vector<uint64_t> bits(0x10000 / 64, 0);
  try {
    opencc::SimpleConverter t2s(argv[3]);
    auto convert_range = [&](char32_t begin, char32_t end) {
      for (char32_t cp = begin; cp <= end; ++cp) {
        const std::string in = Encode(cp);
        const std::vector<char32_t> result = Decode(t2s.Convert(in));
        if (result.size() == 1 && result[0] == cp) continue;
        if (result.size() != 1) Die("t2s maps U+" + std::to_string(cp) + " to several characters");
        traditional.emplace_back(cp, result[0]);
        if (cp < 0x10000) bits[cp / 64] |= uint64_t{1} << (cp % 64);
      }
    };
    convert_range(0x3400, 0x4DBF);
    convert_range(0x4E00, 0x9FFF);
    convert_range(0xF900, 0xFAFF);
    convert_range(0x20000, 0x2EBEF);
    convert_range(0x30000, 0x323AF);
  } catch (const std::exception& e) {
    Die(std::string("OpenCC: ") + e.what());
  }
  if (traditional.size() < 2000) Die("t2s changed only " + std::to_string(traditional.size()) + " characters");

  std::vector<uint16_t> surname_pool;
  std::ostringstream surname_rows;
  for (const SurnameLine& s : surnames) {
    surname_rows << "{{" << static_cast<uint32_t>(s.chars[0]) << ","
                 << (s.chars.size() > 1 ? static_cast<uint32_t>(s.chars[1]) : 0) << "},"
                 << s.chars.size() << "," << s.readings.size() << "," << surname_pool.size() << "},\n";
    for (const auto& r : s.readings) surname_pool.insert(surname_pool.end(), r.begin(), r.end());
  }

  std::ostringstream out;
  out << "// Generated by generate_tables from go-pinyin's pinyin_dict.go, surname_readings.txt and\n"
         "// OpenCC t2s. Do not edit.\n"
         "#include \"terminology/internal/tables.h\"\n\n"
         "namespace rhip::terminology::internal {\n\n";
  out << "const Syllable kSyllables[] = {\n";
  WriteList(out, ids.names(), [](const std::string& s) {
    return "{\"" + s + "\"," + std::to_string(s.size()) + "}";
  });
  out << "};\nconst size_t kSyllableCount = " << ids.names().size() << ";\n\n";
  out << "const uint32_t kFlatStart[] = {\n";
  WriteList(out, flat_start, [](uint32_t v) { return std::to_string(v); });
  out << "};\n\nconst uint16_t kReadingPool[] = {\n";
  WriteList(out, pool, [](uint16_t v) { return std::to_string(v); });
  out << "};\n\nconst SparseReadings kSparseReadings[] = {\n";
  WriteList(out, sparse, [](const Sparse& s) {
    return "{" + std::to_string(s.cp) + "," + std::to_string(s.start) + "," + std::to_string(s.count) + "}";
  });
  out << "};\nconst size_t kSparseReadingCount = " << sparse.size() << ";\n\n";
  out << "const uint64_t kTraditionalBmpBits[0x10000 / 64] = {\n";
  WriteList(out, bits, [](uint64_t v) { return std::to_string(v) + "u"; });
  out << "};\n\nconst TraditionalPair kTraditionalPairs[] = {\n";
  WriteList(out, traditional, [](const std::pair<char32_t, char32_t>& p) {
    return "{" + std::to_string(p.first) + "," + std::to_string(p.second) + "}";
  });
  out << "};\nconst size_t kTraditionalPairCount = " << traditional.size() << ";\n\n";
  out << "const Surname kSurnames[] = {\n" << surname_rows.str() << "};\n";
  out << "const size_t kSurnameCount = " << surnames.size() << ";\n";
  out << "const uint16_t kSurnamePool[] = {\n";
  WriteList(out, surname_pool, [](uint16_t v) { return std::to_string(v); });
  out << "};\n\n}  // namespace rhip::terminology::internal\n";

  std::ofstream file(argv[4], std::ios::binary);
  file << out.str();
  if (!file) Die(std::string("cannot write ") + argv[4]);
}

}  // namespace
}  // namespace rhip::terminology

int main(int argc, char** argv) {
  rhip::terminology::Run(argc, argv);
  return 0;
}
