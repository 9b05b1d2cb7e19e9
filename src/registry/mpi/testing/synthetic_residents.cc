#include "registry/mpi/testing/synthetic_residents.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <span>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "core/strings.h"
#include "registry/resident_id.h"
#include "terminology/chinese_text.h"

namespace rhip::registry::mpi::testing {
namespace {

// --- Data ------------------------------------------------------------------------------------

// The 100 most common surnames in the order of the Ministry of Public Security's 2019 name report
// (公安部户政管理研究中心《二〇一九年全国姓名报告》, as reported by Xinhua, 2020-01-20). Shares in
// percent: ranks 1–3 from the MPS 2007 household-register survey (王 7.25, 李 7.19, 张 6.83; China
// Daily 2007-04-25), ranks 4–10 from Yuan Yida's CAS study as quoted by the press (刘 5.38 … 吴
// 2.05); the MPS survey only gives bands for the rest (ranks 11–22: 10–20 million people each, i.e.
// 0.77–1.54 %), so ranks 11–100 are interpolated inside those bands, and the top 100 are scaled to
// the published 84.77 % of the population. The remaining 15.23 % draw from kRareSurnames, and
// compound surnames (欧阳, 诸葛, ...) take 0.1 %.
constexpr std::string_view kTopSurnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
    "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
    "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹",
    "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵",
    "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤"};
constexpr double kTop10Shares[] = {7.25, 7.19, 6.83, 5.38, 4.53, 3.08, 2.29, 2.23, 2.12, 2.05};
constexpr double kTop100Share = 84.77;
constexpr std::string_view kRareSurnames[] = {
    "庞", "樊", "兰", "殷", "施", "洪", "翟", "安", "颜", "倪", "牛", "温", "季", "俞", "章",
    "鲁", "葛", "伍", "申", "尤", "毕", "聂", "焦", "柳", "邢", "路", "岳", "齐", "梅", "庄",
    "辛", "管", "祝", "左", "涂", "谷", "祁", "舒", "耿", "牟", "詹", "关", "苗", "凌", "费",
    "纪", "靳", "盛", "童", "欧", "项", "曲", "成", "游", "阳", "裴", "席", "卫", "查", "屈",
    "鲍", "霍", "翁", "隋", "甘", "景", "单", "包", "司", "柏", "宁", "柯", "阮", "桂", "解",
    "柴", "华", "车", "冉", "房", "边", "吉", "饶", "戚", "米", "池", "滕", "晋", "苑", "臧",
    "宫", "褚", "简", "娄", "符", "穆", "党", "燕", "郎", "冀", "姬", "连", "栾", "商", "蒙",
    "喻", "窦", "迟", "冷", "卓", "仇", "艾", "巩", "仲", "乐", "虞", "卞", "封", "原", "楚"};
constexpr std::string_view kCompoundSurnames[] = {"欧阳", "司马", "诸葛", "上官", "东方",
                                                  "皇甫", "尉迟", "公孙", "慕容", "令狐"};

// Given-name fashion by birth decade, after the names the MPS name reports (2019, 2020) list as
// most common per decade (建国/秀英 in the 1950s, 伟/静 in the 1980s, 子轩/一诺 after 2010).
struct DecadeNames {
  int until_year;  // births up to this year use this row
  int single_percent;  // share of one-character given names
  std::string_view male1, female1;  // single characters
  std::vector<std::string_view> male2, female2;
};
const std::vector<DecadeNames>& Decades() {
  static const auto* decades = new std::vector<DecadeNames>{
      {1949, 40, "福贵财山林根发富顺德", "英兰珍凤秀芝花梅翠桂",
       {"德福", "永贵", "长林", "德胜", "富贵", "玉山", "占元", "振华", "文明", "树林"},
       {"秀英", "桂英", "玉兰", "秀兰", "凤英", "桂兰", "玉珍", "淑珍", "翠花", "素珍"}},
      {1959, 35, "华明军平林国建忠", "英兰芳华珍梅霞凤",
       {"建国", "建华", "国庆", "国华", "和平", "建军", "卫国", "振华", "志刚", "立新"},
       {"秀英", "桂英", "秀兰", "玉兰", "桂兰", "秀珍", "淑英", "玉梅", "凤兰", "建华"}},
      {1969, 40, "军伟勇强斌平刚明", "红丽华英萍玲梅芳",
       {"卫东", "建军", "红军", "向东", "跃进", "卫民", "志强", "建平", "国强", "卫红"},
       {"红梅", "丽华", "建华", "卫红", "红霞", "秀梅", "春梅", "桂芳", "丽萍", "玉华"}},
      {1979, 40, "伟勇军斌强刚涛辉", "丽艳红燕玲敏静芳",
       {"建华", "志勇", "海涛", "建平", "永强", "国平", "志强", "小军", "海波", "志明"},
       {"丽娟", "海燕", "丽华", "艳红", "春燕", "秀云", "晓燕", "小红", "丽萍", "红艳"}},
      {1989, 30, "伟磊涛鹏超勇杰军", "静丽燕敏婷娟艳霞",
       {"海涛", "晓东", "志伟", "建伟", "俊杰", "晓明", "文斌", "海峰", "振宇", "小龙"},
       {"晓燕", "丽娜", "海燕", "晓丽", "婷婷", "丹丹", "晶晶", "雪梅", "秀娟", "莉莉"}},
      {1999, 15, "杰浩鹏磊涛超宇帅", "婷倩雪静丹琳佳颖",
       {"俊杰", "浩然", "家豪", "志强", "文博", "嘉伟", "子豪", "宇航", "晨阳", "鹏飞"},
       {"婷婷", "佳怡", "雨欣", "思雨", "欣怡", "雪莹", "梦瑶", "晓雪", "佳琪", "心怡"}},
      {2009, 8, "浩宇轩杰博凯昊然", "欣怡涵琪雪颖悦萱",
       {"浩宇", "子轩", "浩然", "宇轩", "俊杰", "梓豪", "博文", "天佑", "子豪", "皓轩"},
       {"欣怡", "雨涵", "梓涵", "佳怡", "诗涵", "可欣", "梦琪", "语嫣", "紫涵", "雨欣"}},
      {9999, 4, "轩辰诺泽睿航", "涵萱诺彤妍汐",
       {"子轩", "浩宇", "奕辰", "宇轩", "亦辰", "宇辰", "子墨", "宇航", "浩然", "梓豪"},
       {"一诺", "依诺", "欣怡", "梓涵", "语桐", "欣妍", "可欣", "语汐", "雨桐", "梓萱"}},
  };
  return *decades;
}

// Milk names (小名) a child is registered under before the registered name is chosen.
constexpr std::string_view kMilkNames[] = {"乐乐", "豆豆", "宝宝", "贝贝", "欢欢", "甜甜",
                                           "果果", "小宝", "丫丫", "壮壮", "妞妞", "小虎"};

// Characters that pinyin input offers next to the names' own ones; grouped with them by reading
// (terminology::PinyinKeys) to make homophone typos.
constexpr std::string_view kHomophonePool =
    "玮炜薇巍维唯蔚晶婧菁靖敬莉俐立力利那纳民珉蔷蕾垒俊君均钧洁捷婕韬滔鸣铭茗名桦骅宏洪虹鸿弘"
    "莹瑛迎盈亭庭霆廷昊皓灏豪雨语羽玉予禹宣暄瑄含晗寒函新心馨鑫昕宜仪艺毅依紫姿资玫媚岚蓝澜"
    "萍苹剑健坚键雁彦焰侠峡绣贵智芝之朋潮永咏泳彬滨宾霖淋麟臣琛家嘉加茜学菲斐扉章汪伍武柳阳"
    "俞傅萧颜施时皇";

// Simplified → traditional for the characters of the tables above that differ (checked against
// OpenCC t2s, which folds them back).
constexpr std::pair<std::string_view, std::string_view> kTraditional[] = {
    {"张", "張"}, {"刘", "劉"}, {"陈", "陳"}, {"杨", "楊"}, {"黄", "黃"}, {"赵", "趙"},
    {"吴", "吳"}, {"孙", "孫"}, {"马", "馬"}, {"郑", "鄭"}, {"罗", "羅"}, {"谢", "謝"},
    {"许", "許"}, {"韩", "韓"}, {"冯", "馮"}, {"邓", "鄧"}, {"叶", "葉"}, {"苏", "蘇"},
    {"吕", "呂"}, {"卢", "盧"}, {"钟", "鍾"}, {"谭", "譚"}, {"陆", "陸"}, {"贾", "賈"},
    {"邹", "鄒"}, {"龙", "龍"}, {"顾", "顧"}, {"龚", "龔"}, {"钱", "錢"}, {"汤", "湯"},
    {"伟", "偉"}, {"丽", "麗"}, {"华", "華"}, {"军", "軍"}, {"红", "紅"}, {"兰", "蘭"},
    {"凤", "鳳"}, {"国", "國"}, {"庆", "慶"}, {"东", "東"}, {"涛", "濤"}, {"杰", "傑"},
    {"鹏", "鵬"}, {"艳", "艷"}, {"强", "強"}, {"刚", "剛"}, {"贵", "貴"}, {"卫", "衛"},
    {"颖", "穎"}, {"莹", "瑩"}, {"晓", "曉"}, {"轩", "軒"}, {"梦", "夢"}, {"诗", "詩"},
    {"语", "語"}, {"凯", "凱"}, {"诺", "諾"}, {"泽", "澤"}, {"跃", "躍"}, {"进", "進"},
    {"辉", "輝"}, {"宝", "寶"}, {"欢", "歡"}, {"丹", "丹"}, {"娟", "娟"}, {"宁", "寧"}};

// Counties where IDs of people who moved in were issued (GB/T 2260 codes).
constexpr std::string_view kOtherCounties[] = {
    "110105", "120101", "130102", "130104", "130402", "130403", "130481", "130432", "130434",
    "140105", "370102", "371522", "410102", "410922", "410526", "420102", "440106", "510104",
    "320106", "330106"};

constexpr std::string_view kTownNames[] = {"城关", "东关", "西店", "南营", "北峰", "金滩",
                                           "束馆", "万堤", "龙王", "孙甘", "铺上", "黄金",
                                           "杨桥", "旧治", "埝头", "西付", "王村", "张铁"};
constexpr std::string_view kVillageSuffixes[] = {"庄", "营", "屯", "集", "店", "寨", "堤", "固"};

// Mobile prefixes of the three carriers.
constexpr std::string_view kMobilePrefixes[] = {"130", "131", "132", "133", "135", "136", "137",
                                                "138", "139", "150", "151", "152", "155", "157",
                                                "158", "159", "176", "177", "180", "181", "186",
                                                "187", "188", "189", "199"};

// --- Helpers ---------------------------------------------------------------------------------

// Platform-independent draws (std:: distributions differ between standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool Chance(double p) { return static_cast<double>(rng_() >> 11) * 0x1p-53 < p; }
  int Between(int lo, int hi) { return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo + 1))); }
  template <typename T>
  const T& Pick(std::span<const T> items) { return items[Below(items.size())]; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) { return items[Below(items.size())]; }
  // Index drawn by weight.
  size_t Weighted(std::span<const double> weights, double total) {
    double x = static_cast<double>(rng_() >> 11) * 0x1p-53 * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }
  uint64_t Next() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

std::vector<std::string> SplitChars(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    out.emplace_back(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string Join(const std::vector<std::string>& chars) {
  std::string out;
  for (const auto& c : chars) out += c;
  return out;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysIn(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

struct Date {
  int y, m, d;
  std::string Digits() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d", y, m, d);
    return buf;
  }
  std::string Fhir() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
  }
};

Date ParseFhir(std::string_view s) {
  return {std::atoi(std::string(s.substr(0, 4)).c_str()), std::atoi(std::string(s.substr(5, 2)).c_str()),
          std::atoi(std::string(s.substr(8, 2)).c_str())};
}

bool Valid(const Date& d, int reference_year) {
  return d.y >= 1900 && d.y <= reference_year && d.m >= 1 && d.m <= 12 && d.d >= 1 &&
         d.d <= DaysIn(d.y, d.m);
}

// --- Generator -------------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(const SyntheticOptions& options) : o_(options), rnd_(options.seed) {
    BuildSurnames();
    BuildHomophones();
    BuildVillages();
  }

  std::vector<SyntheticRecord> Run() {
    std::vector<SyntheticRecord> people;
    people.reserve(o_.people);
    while (people.size() < o_.people) AddHousehold(people);
    for (size_t i = 0; i < people.size(); ++i) people[i].person = static_cast<uint32_t>(i);
    std::vector<SyntheticRecord> out = people;
    const auto duplicates = static_cast<size_t>(o_.duplicate_share * static_cast<double>(o_.people));
    for (size_t k = 0; k < duplicates; ++k) {
      // A resident registered twice or, now and then, three times.
      const SyntheticRecord& original = people[rnd_.Below(people.size())];
      out.push_back(MakeDuplicate(original));
    }
    for (size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[rnd_.Below(i)]);
    return out;
  }

 private:
  struct Village {
    std::string code;  // 12 digits
    std::string address;
  };

  void BuildSurnames() {
    for (size_t r = 0; r < std::size(kTopSurnames); ++r) {
      double share;
      if (r < 10) {
        share = kTop10Shares[r];
      } else if (r < 22) {
        share = 1.50 - 0.70 * static_cast<double>(r - 10) / 11.0;  // 1.50 … 0.80
      } else {
        share = 0.75 * std::pow(0.19 / 0.75, static_cast<double>(r - 22) / 77.0);  // 0.75 … 0.19
      }
      surnames_.emplace_back(kTopSurnames[r]);
      surname_weights_.push_back(share);
    }
    double top = 0;
    for (double w : surname_weights_) top += w;
    for (double& w : surname_weights_) w *= kTop100Share / top;
    const double rare = (100.0 - kTop100Share - 0.1) / static_cast<double>(std::size(kRareSurnames));
    for (std::string_view s : kRareSurnames) {
      surnames_.emplace_back(s);
      surname_weights_.push_back(rare);
    }
    for (std::string_view s : kCompoundSurnames) {
      surnames_.emplace_back(s);
      surname_weights_.push_back(0.1 / static_cast<double>(std::size(kCompoundSurnames)));
    }
    surname_total_ = 0;
    for (double w : surname_weights_) surname_total_ += w;
  }

  // Characters grouped by their first toneless reading; a group of one has no homophone.
  void BuildHomophones() {
    std::set<std::string> chars;
    auto add_all = [&](std::string_view text) {
      for (auto& c : SplitChars(text)) chars.insert(c);
    };
    for (std::string_view s : kTopSurnames) add_all(s);
    for (std::string_view s : kRareSurnames) add_all(s);
    for (const auto& d : Decades()) {
      add_all(d.male1);
      add_all(d.female1);
      for (auto s : d.male2) add_all(s);
      for (auto s : d.female2) add_all(s);
    }
    add_all(kHomophonePool);
    std::map<std::string, std::vector<std::string>> by_reading;
    for (const auto& c : chars) {
      auto keys = terminology::PinyinKeys(c);
      if (!keys.empty()) by_reading[keys.front().full].push_back(c);
    }
    for (auto& [reading, group] : by_reading) {
      if (group.size() < 2) continue;
      for (const auto& c : group) homophones_[c] = group;
    }
  }

  void BuildVillages() {
    const int villages_wanted = std::max<int>(4, static_cast<int>(o_.people / 800));
    const int townships = std::max(1, villages_wanted / 15);
    for (int t = 0; t < townships; ++t) {
      const std::string& county = o_.counties[static_cast<size_t>(t) % o_.counties.size()];
      // NBS township codes: 001–099 街道, 100–199 镇, 200–399 乡 (STANDARDS-CN.md §6.2).
      const int town_code = t < static_cast<int>(o_.counties.size()) ? 1 : 100 + t;
      const std::string town = StrCat(kTownNames[static_cast<size_t>(t) % std::size(kTownNames)],
                                      town_code == 1 ? "街道" : "镇");
      for (int v = 0; v < 15 && static_cast<int>(villages_.size()) < villages_wanted; ++v) {
        // 001–199 居委会 (社区), 200–399 村委会.
        const int village_code = v < 2 ? 1 + v : 200 + v;
        char code[40];
        std::snprintf(code, sizeof code, "%s%03d%03d", county.c_str(), town_code, village_code);
        const std::string name =
            v < 2 ? StrCat(town, "第", v + 1, "社区")
                  : StrCat(town, surnames_[rnd_.Below(20)], kVillageSuffixes[rnd_.Below(std::size(kVillageSuffixes))], "村");
        villages_.push_back({code, name});
      }
    }
  }

  std::string Surname() { return surnames_[rnd_.Weighted(surname_weights_, surname_total_)]; }

  const DecadeNames& DecadeOf(int year) {
    for (const auto& d : Decades()) {
      if (year <= d.until_year) return d;
    }
    return Decades().back();
  }

  std::string GivenName(int year, bool male) {
    const DecadeNames& d = DecadeOf(year);
    const auto singles = SplitChars(male ? d.male1 : d.female1);
    if (rnd_.Below(100) < static_cast<uint64_t>(d.single_percent)) return rnd_.Pick(singles);
    // Half from the decade's common names, half composed of its characters.
    if (rnd_.Chance(0.5)) return std::string(rnd_.Pick(male ? d.male2 : d.female2));
    const auto& twos = male ? d.male2 : d.female2;
    const auto first = SplitChars(rnd_.Pick(twos));
    return first[0] + rnd_.Pick(singles);
  }

  std::string Mobile() {
    std::string phone(kMobilePrefixes[rnd_.Below(std::size(kMobilePrefixes))]);
    for (int i = 0; i < 8; ++i) phone += static_cast<char>('0' + rnd_.Below(10));
    return phone;
  }

  // A number nobody else has: the sequence is unique per area, birth date and sex.
  std::string ResidentId(const std::string& area, const Date& birth, bool male) {
    std::string id;
    do {
      int seq = rnd_.Between(0, 499) * 2 + (male ? 1 : 0);
      if (seq == 0) seq = 2;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%s%03d", area.c_str(), birth.Digits().c_str(), seq);
      id = buf;
    } while (!issued_ids_.insert(id).second);
    id += registry::ResidentIdCheckCharacter(id);
    return id;
  }

  Date BirthIn(int year) {
    year = std::clamp(year, 1920, o_.reference_year);
    const int m = rnd_.Between(1, 12);
    return {year, m, rnd_.Between(1, DaysIn(year, m))};
  }

  SyntheticRecord Person(const std::string& family, const Date& birth, bool male,
                         const Village& village, const std::string& household_phone) {
    int tries = 0;
    SyntheticRecord r;
    r.family = family;
    // Parents do not give two children the same name (twins get different ones).
    do {
      r.given = GivenName(birth.y, male);
    } while (!household_names_.insert(family + r.given).second && ++tries < 20);
    r.birth_date = birth.Fhir();
    r.sex = male ? "male" : "female";
    const int age = o_.reference_year - birth.y;
    // Most IDs were issued where the village is; people who moved in carry another county's code.
    const std::string area = rnd_.Chance(0.85) ? village.code.substr(0, 6)
                                              : std::string(kOtherCounties[rnd_.Below(std::size(kOtherCounties))]);
    // Young children are often registered before their ID number is at hand.
    if (!rnd_.Chance(age < 6 ? 0.25 : 0.03)) r.resident_id = ResidentId(area, birth, male);
    if (age >= 16 && age <= 75 && rnd_.Chance(0.9)) {
      r.phone = Mobile();
    } else if (rnd_.Chance(0.7)) {
      r.phone = household_phone;  // children and the elderly give the household's number
    }
    r.division_code = village.code;
    r.address = StrCat(village.address, rnd_.Between(1, 9), "组");
    return r;
  }

  void AddHousehold(std::vector<SyntheticRecord>& out) {
    const Village& village = villages_[rnd_.Below(villages_.size())];
    household_names_.clear();
    static constexpr double kSizeWeights[] = {15, 30, 25, 18, 12};
    const size_t size = 1 + rnd_.Weighted(kSizeWeights, 100);
    const std::string family = Surname();
    const bool head_male = rnd_.Chance(0.8);
    const int head_year = o_.reference_year - rnd_.Between(25, 85);
    const Date head_birth = BirthIn(head_year);
    const std::string household_phone = Mobile();
    auto push = [&](SyntheticRecord r) {
      if (out.size() < o_.people) out.push_back(std::move(r));
    };
    SyntheticRecord head = Person(family, head_birth, head_male, village, household_phone);
    head.phone = household_phone;
    push(head);
    size_t members = 1;
    int mother_year = head_year;
    if (size >= 2 && rnd_.Chance(0.8)) {
      // Spouse: her or his own surname (Chinese women keep theirs at marriage).
      const int year = head_year + rnd_.Between(-3, 5);
      mother_year = year;
      push(Person(Surname(), BirthIn(year), !head_male, village, household_phone));
      ++members;
    }
    Date previous_child{0, 0, 0};
    while (members < size) {
      if (members == 4 && head_year - 30 > 1920 && rnd_.Chance(0.5)) {
        // An elderly parent of the head.
        push(Person(family, BirthIn(head_year - rnd_.Between(22, 32)), rnd_.Chance(0.4), village,
                    household_phone));
      } else {
        const int youngest = std::max(head_year, mother_year) + 20;
        const int oldest = std::min(std::max(head_year, mother_year) + 40, o_.reference_year);
        if (youngest > oldest) break;
        // A later child is the previous one's twin 2.5 % of the time: same birth date, surname,
        // household phone and village, a different name — the hardest non-match there is.
        const bool twin = previous_child.y != 0 && rnd_.Chance(0.025);
        const Date birth = twin ? previous_child : BirthIn(rnd_.Between(youngest, oldest));
        push(Person(family, birth, rnd_.Chance(0.52), village, household_phone));
        previous_child = birth;
      }
      ++members;
    }
  }

  // --- Duplicates ---

  SyntheticRecord MakeDuplicate(const SyntheticRecord& original) {
    SyntheticRecord r = original;
    r.duplicate = true;
    static constexpr double kWeights[] = {18, 4, 5, 6, 9, 5, 10, 4, 6, 12, 6, 10, 4, 4, 3, 3};
    static constexpr double kTotal = 109;
    const int errors = rnd_.Chance(0.5) ? 1 : rnd_.Chance(0.7) ? 2 : 3;
    for (int k = 0, tries = 0; k < errors && tries < 50; ++tries) {
      const auto error = static_cast<DuplicateError>(rnd_.Weighted(kWeights, kTotal));
      if (std::find(r.errors.begin(), r.errors.end(), error) != r.errors.end()) continue;
      if (!Apply(error, r)) continue;
      r.errors.push_back(error);
      ++k;
    }
    return r;
  }

  bool ReplaceHomophone(std::string& text) {
    auto chars = SplitChars(text);
    std::vector<size_t> positions;
    for (size_t i = 0; i < chars.size(); ++i) {
      if (homophones_.count(chars[i])) positions.push_back(i);
    }
    if (positions.empty()) return false;
    const size_t i = positions[rnd_.Below(positions.size())];
    const auto& group = homophones_.at(chars[i]);
    std::string replacement;
    do {
      replacement = group[rnd_.Below(group.size())];
    } while (replacement == chars[i]);
    chars[i] = replacement;
    text = Join(chars);
    return true;
  }

  bool Apply(DuplicateError error, SyntheticRecord& r) {
    switch (error) {
      case DuplicateError::kHomophoneGiven:
        return ReplaceHomophone(r.given);
      case DuplicateError::kHomophoneFamily:
        return SplitChars(r.family).size() == 1 && ReplaceHomophone(r.family);
      case DuplicateError::kOtherCharacter: {
        auto chars = SplitChars(r.given);
        if (chars.empty()) return false;
        const auto pool = SplitChars(DecadeOf(ParseFhir(r.birth_date).y).male1);
        const size_t i = rnd_.Below(chars.size());
        const std::string& c = rnd_.Pick(pool);
        if (c == chars[i]) return false;
        chars[i] = c;
        r.given = Join(chars);
        return true;
      }
      case DuplicateError::kTraditional: {
        bool changed = false;
        for (std::string* part : {&r.family, &r.given}) {
          auto chars = SplitChars(*part);
          for (auto& c : chars) {
            for (const auto& [s, t] : kTraditional) {
              if (c == s && s != t) {
                c = std::string(t);
                changed = true;
              }
            }
          }
          *part = Join(chars);
        }
        return changed;
      }
      case DuplicateError::kIdDigit: {
        if (r.resident_id.size() != 18) return false;
        const size_t i = rnd_.Below(17);
        const char old = r.resident_id[i];
        char c;
        do {
          c = static_cast<char>('0' + rnd_.Below(10));
        } while (c == old);
        r.resident_id[i] = c;
        return true;
      }
      case DuplicateError::kIdTransposition: {
        if (r.resident_id.size() != 18) return false;
        const size_t i = rnd_.Below(17);
        if (r.resident_id[i] == r.resident_id[i + 1]) return false;
        std::swap(r.resident_id[i], r.resident_id[i + 1]);
        return true;
      }
      case DuplicateError::kIdMissing:
        if (r.resident_id.empty()) return false;
        r.resident_id.clear();
        return true;
      case DuplicateError::kBirthDayMonthSwapped: {
        Date d = ParseFhir(r.birth_date);
        if (d.d > 12 || d.d == d.m) return false;
        std::swap(d.d, d.m);
        r.birth_date = d.Fhir();
        return true;
      }
      case DuplicateError::kBirthDigit: {
        const Date d = ParseFhir(r.birth_date);
        std::string digits = d.Digits();
        const size_t i = 2 + rnd_.Below(6);  // century digits are not mistyped
        digits[i] = static_cast<char>('0' + rnd_.Below(10));
        const Date typo{std::atoi(digits.substr(0, 4).c_str()), std::atoi(digits.substr(4, 2).c_str()),
                        std::atoi(digits.substr(6, 2).c_str())};
        if (!Valid(typo, o_.reference_year) || typo.Digits() == d.Digits()) return false;
        r.birth_date = typo.Fhir();
        return true;
      }
      case DuplicateError::kPhoneChanged:
        r.phone = Mobile();
        return true;
      case DuplicateError::kPhoneMissing:
        if (r.phone.empty()) return false;
        r.phone.clear();
        return true;
      case DuplicateError::kAddressCoarser:
        if (r.division_code.size() != 12) return false;
        r.division_code.resize(rnd_.Chance(0.5) ? 9 : 6);
        return true;
      case DuplicateError::kMovedVillage: {
        const Village& v = villages_[rnd_.Below(villages_.size())];
        if (v.code == r.division_code) return false;
        r.division_code = v.code;
        r.address = StrCat(v.address, rnd_.Between(1, 9), "组");
        return true;
      }
      case DuplicateError::kChildRenamed: {
        if (o_.reference_year - ParseFhir(r.birth_date).y > 14) return false;
        const bool male = r.sex == "male";
        std::string name = rnd_.Chance(0.6) ? std::string(kMilkNames[rnd_.Below(std::size(kMilkNames))])
                                            : GivenName(ParseFhir(r.birth_date).y, male);
        if (name == r.given) return false;
        r.given = name;
        if (rnd_.Chance(0.7)) r.resident_id.clear();
        return true;
      }
      case DuplicateError::kNameOrderSwapped:
        if (r.given.empty()) return false;
        std::swap(r.family, r.given);
        return true;
      case DuplicateError::kSexMissing:
        if (r.sex.empty()) return false;
        r.sex.clear();
        return true;
    }
    return false;
  }

  const SyntheticOptions& o_;
  Random rnd_;
  std::vector<std::string> surnames_;
  std::vector<double> surname_weights_;
  double surname_total_ = 0;
  std::map<std::string, std::vector<std::string>> homophones_;
  std::vector<Village> villages_;
  std::set<std::string> household_names_;  // full names given in the current household
  absl::flat_hash_set<std::string> issued_ids_;  // first 17 characters
};

}  // namespace

const char* DuplicateErrorName(DuplicateError error) {
  switch (error) {
    case DuplicateError::kHomophoneGiven: return "homophone_given";
    case DuplicateError::kHomophoneFamily: return "homophone_family";
    case DuplicateError::kOtherCharacter: return "other_character";
    case DuplicateError::kTraditional: return "traditional";
    case DuplicateError::kIdDigit: return "id_digit";
    case DuplicateError::kIdTransposition: return "id_transposition";
    case DuplicateError::kIdMissing: return "id_missing";
    case DuplicateError::kBirthDayMonthSwapped: return "birth_day_month_swapped";
    case DuplicateError::kBirthDigit: return "birth_digit";
    case DuplicateError::kPhoneChanged: return "phone_changed";
    case DuplicateError::kPhoneMissing: return "phone_missing";
    case DuplicateError::kAddressCoarser: return "address_coarser";
    case DuplicateError::kMovedVillage: return "moved_village";
    case DuplicateError::kChildRenamed: return "child_renamed";
    case DuplicateError::kNameOrderSwapped: return "name_order_swapped";
    case DuplicateError::kSexMissing: return "sex_missing";
  }
  return "?";
}

PersonFields SyntheticRecord::Fields() const {
  return {.family = family,
          .given = given,
          .resident_id = resident_id,
          .birth_date = birth_date,
          .sex = sex,
          .phone = phone,
          .division_code = division_code,
          .address = address};
}

std::vector<SyntheticRecord> GenerateResidents(const SyntheticOptions& options) {
  return Generator(options).Run();
}

}  // namespace rhip::registry::mpi::testing
