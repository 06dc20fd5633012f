#include "client/cli/audit_command.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/api_json.h"
#include "client/cli/output.h"

namespace sejf::client::cli {
namespace {

struct AuditFlags {
  std::string since;
  std::string until;
  std::string identity;
  std::string operation;
  std::string outcome;
  std::string expect;  // verify --expect SEQ:HASH
};

// RFC 3339 ("2026-11-24T10:00:00Z") or a date ("2026-11-24", midnight UTC).
// Microseconds, the precision of the log's times.
bool ParseTimeFlag(const std::string& text, std::optional<absl::Time>* out) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error) &&
      !absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &error)) {
    return false;
  }
  *out = absl::FromUnixMicros(absl::ToUnixMicros(t));
  return true;
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

int RunList(const AuditFlags& flags, const CliContext& context,
            Client& client) {
  AuditFilter filter;
  if (!flags.since.empty() && !ParseTimeFlag(flags.since, &filter.start_time)) {
    std::cerr << "sejf: --since must be RFC 3339 (2026-11-24T10:00:00Z) or "
                 "a date (2026-11-24)\n";
    return kExitUsage;
  }
  if (!flags.until.empty() && !ParseTimeFlag(flags.until, &filter.end_time)) {
    std::cerr << "sejf: --until must be RFC 3339 (2026-11-24T10:00:00Z) or "
                 "a date (2026-11-24)\n";
    return kExitUsage;
  }
  filter.identity = flags.identity;
  filter.operation = flags.operation;
  filter.outcome = flags.outcome;
  auto events = client.audit().ListAll(filter);
  if (!events.ok()) return CliContext::Fail(events.status());
  if (context.json()) {
    std::cout << ToJson(*events);
    return kExitOk;
  }
  std::printf("%-6s %-20s %-16s %-14s %-28s %-20s %-17s %s\n", "SEQ", "TIME",
              "IDENTITY", "OPERATION", "RESOURCE", "CONTEXT", "OUTCOME",
              "RULE");
  for (const AuditEvent& e : *events) {
    std::printf(
        "%-6lld %-20s %-16s %-14s %-28s %-20s %-17s %s\n",
        static_cast<long long>(e.sequence), FormatSeconds(e.time).c_str(),
        e.identity.c_str(), e.operation.c_str(), Dash(e.resource).c_str(),
        Dash(e.context).c_str(), e.outcome.c_str(), Dash(e.rule).c_str());
  }
  return kExitOk;
}

// SEQ:HASH as the head to expect; false when malformed.
bool ParseExpect(const std::string& text, std::optional<ChainHead>* expect) {
  std::size_t colon = text.find(':');
  long long sequence = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(text.substr(0, colon), &sequence) || sequence < 1 ||
      text.size() - colon - 1 != 64) {
    return false;
  }
  *expect = ChainHead{.sequence = sequence,
                      .hash = absl::AsciiStrToLower(text.substr(colon + 1))};
  return true;
}

int RunVerify(const AuditFlags& flags, const CliContext& context,
              Client& client) {
  std::optional<ChainHead> expect;
  if (!flags.expect.empty() && !ParseExpect(flags.expect, &expect)) {
    std::cerr << "sejf: --expect must be SEQ:HASH, a sequence number and the "
                 "event's 64-digit hex hash, as `sejf audit verify` prints "
                 "the head\n";
    return kExitUsage;
  }
  auto result = client.audit().Verify(expect);
  if (!result.ok()) return CliContext::Fail(result.status());
  if (context.json()) {
    std::cout << ToJson(*result);
  } else if (result->ok) {
    std::cout << "audit chain OK: " << result->events_checked << " events, "
              << result->checkpoints_checked << " signed checkpoints\n"
              << result->message << "\n"
              << "head " << result->head.sequence << ":" << result->head.hash
              << "\n";
  }
  if (!result->ok) {
    std::cerr << "sejf: audit chain does NOT verify; first bad sequence "
              << result->first_bad_sequence << ": " << result->message << "\n";
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& app, const CliContext& context, int* exit_code) {
  static AuditFlags flags;
  CLI::App* audit =
      app.add_subcommand("audit", "The tamper-evident log of every operation");
  audit->require_subcommand(1);

  CLI::App* list = audit->add_subcommand("list", "Events, oldest first");
  list->add_option("--since", flags.since, "From this time (RFC 3339 or date)");
  list->add_option("--until", flags.until, "Before this time");
  list->add_option("--identity", flags.identity, "Only this caller");
  list->add_option("--operation", flags.operation,
                   "Only this operation (e.g. auth.xades)");
  list->add_option("--outcome", flags.outcome,
                   "Only this outcome (OK, PERMISSION_DENIED, ...)");
  list->callback([&context, exit_code] {
    *exit_code = context.WithClient(
        [&](Client& client) { return RunList(flags, context, client); });
  });

  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Check every hash, checkpoint signature and the HSM anchor; print the "
      "head as SEQ:HASH; exit 0 only if all hold");
  verify->add_option("--expect", flags.expect,
                     "SEQ:HASH from an earlier verify: fail unless the log "
                     "still holds that event with that hash");
  verify->callback([&context, exit_code] {
    *exit_code = context.WithClient(
        [&](Client& client) { return RunVerify(flags, context, client); });
  });
}

}  // namespace sejf::client::cli
