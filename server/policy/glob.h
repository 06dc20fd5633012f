// Glob patterns for policy rules.
//
//   `*`  matches any run of bytes not containing '/' (including none);
//   `**` matches any run of bytes, '/' included (three or more stars in a
//        row mean the same as two);
//   `?`  matches exactly one byte other than '/';
// every other byte matches itself. So "spiffe://acme/erp/*" matches
// "spiffe://acme/erp/billing" but not "spiffe://acme/erp/../ops/key-admin"
// or "spiffe://acme/erp/a/b"; "spiffe://acme/erp/**" matches all three.
// Policies reject `[`, `]` and `\` (see ValidateGlob) so a pattern never
// means something other than what it looks like.
//
// Thread-safety: pure functions.
#ifndef SEJF_SERVER_POLICY_GLOB_H_
#define SEJF_SERVER_POLICY_GLOB_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::server {

// Whether `text` matches `pattern`. Allocation-free; O(|pattern|·|text|) in
// the worst case.
bool GlobMatch(absl::string_view pattern, absl::string_view text);

// Whether `pattern` contains a wildcard (`*` or `?`).
bool HasWildcard(absl::string_view pattern);

// OK, or INVALID_ARGUMENT naming the problem, for an empty pattern or one
// that uses bracket expressions or escapes (which GlobMatch does not support).
absl::Status ValidateGlob(absl::string_view pattern);

}  // namespace sejf::server

#endif  // SEJF_SERVER_POLICY_GLOB_H_
