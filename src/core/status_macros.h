// RETURN_IF_ERROR / ASSIGN_OR_RETURN: propagate absl::Status without boilerplate.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RHIP_CONCAT_INNER_(a, b) a##b
#define RHIP_CONCAT_(a, b) RHIP_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status rhip_status_ = (expr);          \
    if (!rhip_status_.ok()) return rhip_status_;   \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  RHIP_ASSIGN_OR_RETURN_IMPL_(RHIP_CONCAT_(rhip_statusor_, __LINE__), lhs, expr)

#define RHIP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()
