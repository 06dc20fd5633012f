// Early-return helpers for absl::Status / absl::StatusOr.
//
//   RETURN_IF_ERROR(DoThing());             // returns the status if not OK
//   ASSIGN_OR_RETURN(auto value, Make());   // unwraps or returns the status
#ifndef SEJF_COMMON_STATUS_MACROS_H_
#define SEJF_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SEJF_STATUS_CONCAT_INNER_(a, b) a##b
#define SEJF_STATUS_CONCAT_(a, b) SEJF_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                     \
  do {                                                            \
    if (::absl::Status sejf_status_ = (expr); !sejf_status_.ok()) \
      return sejf_status_;                                        \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, rexpr)                                         \
  SEJF_ASSIGN_OR_RETURN_IMPL_(SEJF_STATUS_CONCAT_(sejf_statusor_, __LINE__), \
                              lhs, rexpr)

#define SEJF_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)  \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // SEJF_COMMON_STATUS_MACROS_H_
