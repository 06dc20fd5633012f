#include "server/policy/glob.h"

#include "absl/strings/str_cat.h"

namespace sejf::server {

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  // Iterative matching with one backtracking point: the most recent `*`.
  // When a later mismatch occurs, that star absorbs one more byte of text.
  constexpr std::size_t kNone = absl::string_view::npos;
  std::size_t p = 0, t = 0;
  std::size_t star = kNone, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != kNone) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool HasWildcard(absl::string_view pattern) {
  return pattern.find_first_of("*?") != absl::string_view::npos;
}

absl::Status ValidateGlob(absl::string_view pattern) {
  if (pattern.empty()) {
    return absl::InvalidArgumentError("an empty pattern matches nothing");
  }
  if (pattern.find_first_of("[]\\") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("pattern \"", pattern,
                     "\" uses [, ] or \\; only * and ? are wildcards"));
  }
  return absl::OkStatus();
}

}  // namespace sejf::server
