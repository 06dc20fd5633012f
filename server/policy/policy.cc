#include "server/policy/policy.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/policy/glob.h"

namespace sejf::server {
namespace {

constexpr std::uint32_t Bit(Operation op) {
  return std::uint32_t{1} << static_cast<unsigned>(op);
}

std::string KnownOperationList() {
  std::vector<absl::string_view> names;
  for (Operation op : AllOperations()) names.push_back(OperationName(op));
  return absl::StrJoin(names, ", ");
}

absl::Status ValidateContextPattern(absl::string_view pattern) {
  if (pattern == "*") return absl::OkStatus();
  for (absl::string_view type : KnownContextTypes()) {
    if (absl::StartsWith(pattern, type)) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "context \"", pattern, "\" must be \"*\" or start with one of ",
      absl::StrJoin(KnownContextTypes(), ", "), " (e.g. \"nip:5265877635\")"));
}

// Whether a rule's contexts or credentials leave it unrestricted: none
// listed, or a pattern that is all stars among them.
bool Unrestricted(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return true;
  for (const std::string& p : patterns) {
    if (!p.empty() && p.find_first_not_of('*') == std::string::npos) {
      return true;
    }
  }
  return false;
}

bool IsUnscoped(const PolicyRule& rule) {
  return Unrestricted(rule.contexts) && Unrestricted(rule.credentials);
}

}  // namespace

PolicyRule DevAdminRule(uid_t daemon_uid) {
  PolicyRule rule;
  rule.name = std::string(kDevAdminRuleName);
  rule.identities = {"admin", absl::StrCat("unix:", daemon_uid)};
  rule.operations = {"*"};
  rule.contexts = {"*"};
  rule.credentials = {"*"};
  return rule;
}

Policy::~Policy() = default;

bool Policy::Pattern::Matches(absl::string_view value) const {
  return literal ? value == text : GlobMatch(text, value);
}

bool Policy::AnyMatches(const std::vector<Pattern>& patterns,
                        absl::string_view value) {
  for (const Pattern& pattern : patterns) {
    if (pattern.Matches(value)) return true;
  }
  return false;
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Build(
    std::vector<PolicyRule> rules, const PolicyOptions& options) {
  absl::flat_hash_set<std::string> names;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const PolicyRule& rule = rules[i];
    std::string where = absl::StrCat("policy rule ", i + 1);
    if (!rule.name.empty()) absl::StrAppend(&where, " (\"", rule.name, "\")");
    auto error = [&where](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
    };
    if (rule.name.empty()) return error("name must not be empty");
    if (rule.name == kDevAdminRuleName) {
      return error(absl::StrCat("the name \"", kDevAdminRuleName,
                                "\" is reserved for the built-in --dev rule"));
    }
    if (!names.insert(rule.name).second) {
      return error("another rule has the same name; names must be unique");
    }
    if (rule.identities.empty()) {
      return error("identities must list at least one identity");
    }
    if (rule.operations.empty()) {
      return error("operations must list at least one operation");
    }
    const std::pair<const char*, const std::vector<std::string>*> lists[] = {
        {"identities", &rule.identities},
        {"operations", &rule.operations},
        {"contexts", &rule.contexts},
        {"credentials", &rule.credentials}};
    for (const auto& [field, patterns] : lists) {
      for (const std::string& pattern : *patterns) {
        if (absl::Status s = ValidateGlob(pattern); !s.ok()) {
          return error(absl::StrCat(field, ": ", s.message()));
        }
      }
    }
    for (const std::string& pattern : rule.operations) {
      bool matches_some = false;
      for (Operation op : AllOperations()) {
        matches_some = matches_some || GlobMatch(pattern, OperationName(op));
      }
      if (!matches_some) {
        return error(absl::StrCat("operation \"", pattern,
                                  "\" matches no known operation (known: ",
                                  KnownOperationList(), ")"));
      }
    }
    for (const std::string& pattern : rule.contexts) {
      if (absl::Status s = ValidateContextPattern(pattern); !s.ok()) {
        return error(s.message());
      }
    }
    if (!IsUnscoped(rule)) {
      for (const std::string& pattern : rule.operations) {
        auto op = OperationFromName(pattern);
        if (op && ScopeOf(*op) == OperationScope::kWholeVault) {
          return error(absl::StrCat(
              "operation \"", pattern,
              "\" acts on the whole vault, but this rule is limited to some "
              "contexts or credentials; grant it in a rule of its own without "
              "contexts and credentials (or with [\"*\"] for both)"));
        }
      }
    }
  }
  if (options.dev_admin_uid.has_value()) {
    rules.push_back(DevAdminRule(*options.dev_admin_uid));
  }

  auto compile = [](const std::vector<std::string>& patterns) {
    std::vector<Pattern> out;
    out.reserve(patterns.size());
    for (const std::string& p : patterns) out.push_back({p, !HasWildcard(p)});
    return out;
  };
  std::shared_ptr<Policy> policy(new Policy());
  policy->compiled_.reserve(rules.size());
  for (const PolicyRule& rule : rules) {
    const bool unscoped = IsUnscoped(rule);
    std::uint32_t operations = 0;
    for (Operation op : AllOperations()) {
      if (!unscoped && ScopeOf(op) == OperationScope::kWholeVault) continue;
      for (const std::string& pattern : rule.operations) {
        if (GlobMatch(pattern, OperationName(op))) operations |= Bit(op);
      }
    }
    policy->compiled_.push_back({rule.name, compile(rule.identities),
                                 operations, unscoped, compile(rule.contexts),
                                 compile(rule.credentials)});
  }
  policy->rules_ = std::move(rules);
  return std::shared_ptr<const Policy>(std::move(policy));
}

Decision Policy::Authorize(const AccessRequest& request) const {
  if (static_cast<std::size_t>(request.operation) >= kOperationCount) {
    return Decision{};
  }
  const std::uint32_t op_bit = Bit(request.operation);
  for (const CompiledRule& rule : compiled_) {
    if ((rule.operations & op_bit) == 0) continue;
    if (request.whole_vault && !rule.unscoped) continue;
    if (!AnyMatches(rule.identities, request.identity)) continue;
    if (request.context.has_value() &&
        !AnyMatches(rule.contexts, *request.context)) {
      continue;
    }
    if (request.credential.has_value() &&
        !AnyMatches(rule.credentials, *request.credential)) {
      continue;
    }
    return Decision{true, rule.name};
  }
  return Decision{};
}

Decision Policy::AuthorizeInSomeContext(const AccessRequest& request) const {
  if (static_cast<std::size_t>(request.operation) >= kOperationCount) {
    return Decision{};
  }
  const std::uint32_t op_bit = Bit(request.operation);
  for (const CompiledRule& rule : compiled_) {
    if ((rule.operations & op_bit) == 0 || rule.contexts.empty()) continue;
    if (request.whole_vault && !rule.unscoped) continue;
    if (!AnyMatches(rule.identities, request.identity)) continue;
    if (request.credential.has_value() &&
        !AnyMatches(rule.credentials, *request.credential)) {
      continue;
    }
    return Decision{true, rule.name};
  }
  return Decision{};
}

std::vector<Operation> Policy::GrantedOperations(
    absl::string_view identity) const {
  std::uint32_t granted = 0;
  for (const CompiledRule& rule : compiled_) {
    if (AnyMatches(rule.identities, identity)) granted |= rule.operations;
  }
  std::vector<Operation> out;
  for (Operation op : AllOperations()) {
    if ((granted & Bit(op)) != 0) out.push_back(op);
  }
  return out;
}

}  // namespace sejf::server
