#include "server/policy/glob.h"

#include "absl/strings/str_cat.h"

namespace sejf::server {

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  // Iterative matching with two backtracking points: the most recent `*`
  // (which may absorb one more byte unless that byte is '/') and the most
  // recent `**` (which may always absorb one more byte). A '/' in the text
  // can only be matched by a literal '/' or a `**`, so when the latest `*`
  // cannot grow, no earlier `*` can help either; only the latest `**` can.
  // Reaching a later `**` forgets the earlier one: whatever the earlier one
  // could absorb, the later one can too.
  constexpr std::size_t kNone = absl::string_view::npos;
  std::size_t p = 0, t = 0;
  std::size_t star = kNone, star_text = 0;    // after the latest `*`
  std::size_t dstar = kNone, dstar_text = 0;  // after the latest `**`
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      std::size_t run = pattern.find_first_not_of('*', p);
      if (run == absl::string_view::npos) run = pattern.size();
      if (run - p >= 2) {
        dstar = p = run;
        dstar_text = t;
        star = kNone;
      } else {
        star = p = run;
        star_text = t;
      }
    } else if (p < pattern.size() && (pattern[p] == text[t] ||
                                      (pattern[p] == '?' && text[t] != '/'))) {
      ++p;
      ++t;
    } else if (star != kNone && text[star_text] != '/') {
      p = star;
      t = ++star_text;
    } else if (dstar != kNone) {
      star = kNone;
      p = dstar;
      t = ++dstar_text;
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
