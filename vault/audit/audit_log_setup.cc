// AuditLog's first start beside other processes (audit_log.h, "First
// start"): waiting for the setup lease, or for the anchor another process
// writes under it.
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "vault/audit/audit_log.h"

namespace sejf::vault {
namespace {

// How often a waiting process looks again.
constexpr absl::Duration kSetupPoll = absl::Milliseconds(100);

}  // namespace

absl::StatusOr<std::unique_ptr<DutyLease>> AuditLog::AwaitSetUp() {
  auto lease = std::make_unique<DutyLease>(
      storage_, clock_, std::string(kAuditSetupLease), DutyLease::NewHolderId(),
      kAuditSetupLeaseTtl);
  const absl::Time give_up = absl::Now() + options_.setup_wait;
  for (;;) {
    ASSIGN_OR_RETURN(bool held, lease->TryHold());
    if (held) return lease;
    // Another process is making the key and the anchor: done when the
    // anchor is there (it is written last). A read failing while that
    // process writes is looked at again.
    if (!options_.reanchor) {
      absl::StatusOr<std::optional<AuditAnchor>> anchored =
          ReadAuditAnchor(*keys_, options_.key_label);
      if (anchored.ok() && anchored->has_value()) return nullptr;
    }
    if (absl::Now() >= give_up) {
      return absl::DeadlineExceededError(absl::StrCat(
          "another sejfd process has been making the audit key \"",
          options_.key_label, "\" and its HSM anchor for over ",
          absl::FormatDuration(options_.setup_wait), " (it holds the lease \"",
          kAuditSetupLease,
          "\" in the store) and has not finished; if it was stopped, its "
          "lease runs out within ",
          absl::FormatDuration(kAuditSetupLeaseTtl),
          ": start sejfd again then"));
    }
    absl::SleepFor(kSetupPoll);
  }
}

}  // namespace sejf::vault
