#include "db/database.h"

namespace rhip::db {

int64_t Row::Int(size_t i) const { return std::get<int64_t>(cols_[i]); }
double Row::Double(size_t i) const { return std::get<double>(cols_[i]); }
const std::string& Row::Text(size_t i) const { return std::get<std::string>(cols_[i]); }

}  // namespace rhip::db
