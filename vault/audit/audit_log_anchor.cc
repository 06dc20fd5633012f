// AuditLog and its HSM anchor (audit_anchor.h): the start-up comparison,
// the first (or the operator's re-) anchoring, and what follows a commit
// that stored checkpoints (export, then anchor).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/audit/audit_checkpoint_export.h"
#include "vault/audit/audit_log.h"

namespace sejf::vault {

absl::Status AuditLog::AnchorAsItIs() {
  const std::string label = AuditAnchorLabel(options_.key_label);
  ASSIGN_OR_RETURN(AuditVerifyResult verified,
                   VerifyAuditLog(*storage_, *keys_, options_.key_label,
                                  {.check_anchor = false}));
  if (!verified.ok) {
    return absl::DataLossError(absl::StrCat(
        "the audit log does not verify, so it cannot be anchored in the HSM: ",
        verified.message));
  }
  if (!anchor_ && !options_.reanchor && verified.chained_checkpoints > 0) {
    return absl::DataLossError(absl::StrCat(
        "the HSM holds no audit anchor (\"", label,
        "\") but the audit log has chained checkpoints, which are only "
        "written once it does: the anchor was removed, or this is not the "
        "log's HSM token. If that was deliberate, start sejfd once with "
        "--reanchor-audit-log (see docs/audit.md)"));
  }
  AuditAnchor fresh{.sequence = head_.sequence,
                    .hash = head_.hash,
                    .checkpoint = head_checkpoint_digest_};
  if (setup_lease_ != nullptr) {
    // First start beside other processes: write only while the setup is
    // still this process's (it took longer than the lease, and another
    // process took over: that one writes the anchor).
    ASSIGN_OR_RETURN(bool held, setup_lease_->TryHold());
    if (!held) {
      return absl::AbortedError(absl::StrCat(
          "making the audit key and its HSM anchor took longer than ",
          absl::FormatDuration(kAuditSetupLeaseTtl),
          " and another sejfd process took it over: start sejfd again"));
    }
  }
  RETURN_IF_ERROR(WriteAuditAnchor(*keys_, options_.key_label, fresh));
  if (options_.reanchor) {
    notice_ = absl::StrCat(
        "audit log re-anchored at the operator's request "
        "(--reanchor-audit-log): the HSM anchor \"",
        label, "\" was ",
        anchor_ ? FormatAuditPosition(anchor_->sequence, anchor_->hash)
                : std::string("absent"),
        " and is now ", FormatAuditPosition(fresh.sequence, fresh.hash),
        "; an audit.reanchor event records this");
  } else {
    notice_ = absl::StrCat(
        "audit log anchored in the HSM (\"", label,
        "\") for the first time at ",
        FormatAuditPosition(fresh.sequence, fresh.hash), " after verifying ",
        verified.events_checked,
        " events: trust on first use, the log as found is taken as genuine");
  }
  reanchored_from_ = anchor_;
  anchor_ = fresh;
  return absl::OkStatus();
}

absl::Status AuditLog::CheckAgainstAnchor(Transaction& txn,
                                          bool had_head_record) {
  if (!anchor_ || anchor_->sequence == 0 || options_.reanchor) {
    return absl::OkStatus();
  }
  const AuditAnchor& anchor = *anchor_;
  const std::string anchored = absl::StrCat(
      "the HSM anchor (\"", AuditAnchorLabel(options_.key_label),
      "\") records event ", FormatAuditPosition(anchor.sequence, anchor.hash));
  const std::string what_to_do = absl::StrCat(
      ". Restore the database from a backup that holds event ", anchor.sequence,
      "; if the reset was deliberate, start sejfd once with "
      "--reanchor-audit-log to accept the log as it is (see docs/audit.md)");
  if (!had_head_record && chain_sequence_ == 0) {
    return absl::DataLossError(absl::StrCat(
        "the audit log was wiped: the database holds no audit events but ",
        anchored, what_to_do));
  }
  if (chain_sequence_ < anchor.sequence || head_.sequence < anchor.sequence) {
    return absl::DataLossError(absl::StrCat(
        "the audit log was truncated or rolled back: it ends at event ",
        chain_sequence_, " (checkpointed to ", head_.sequence, ") but ",
        anchored, what_to_do));
  }
  ASSIGN_OR_RETURN(
      std::optional<Record> event,
      txn.Get(kAuditEventKind, AuditSequenceName(anchor.sequence)));
  ASSIGN_OR_RETURN(
      std::optional<Record> checkpoint,
      txn.Get(kAuditCheckpointKind, AuditSequenceName(anchor.sequence)));
  absl::StatusOr<DecodedAuditRow> row =
      event ? DecodeAuditEventRow(event->data) : absl::DataLossError("missing");
  absl::StatusOr<AuditCheckpoint> signed_checkpoint =
      checkpoint ? DecodeAuditCheckpoint(checkpoint->data)
                 : absl::DataLossError("missing");
  if (!row.ok() || row->event.hash != anchor.hash || !signed_checkpoint.ok() ||
      AuditCheckpointDigest(*signed_checkpoint) != anchor.checkpoint) {
    return absl::DataLossError(absl::StrCat(
        "the audit log was replaced: event ", anchor.sequence,
        " or its checkpoint is not the one ", anchored, what_to_do));
  }
  return absl::OkStatus();
}

void AuditLog::PublishCheckpoints() {
  if (!export_due_.empty()) {
    absl::Status exported =
        AppendCheckpointsToFile(options_.checkpoint_export_file, export_due_);
    if (exported.ok()) export_due_.clear();
    absl::MutexLock lock(&mu_);
    if (!exported.ok()) stats_.last_export_error = exported;
  }
  if (!anchor_due_) return;
  // Replicas: another process may have anchored a later checkpoint already;
  // the anchor only moves forward (a race between two writers here can
  // still leave it one checkpoint behind, which verifies).
  absl::Status status = absl::OkStatus();
  absl::StatusOr<std::optional<AuditAnchor>> current =
      ReadAuditAnchor(*keys_, options_.key_label);
  if (current.ok() && *current &&
      (*current)->sequence >= anchor_due_->sequence) {
    absl::MutexLock lock(&mu_);
    anchor_ = **current;
    anchor_due_.reset();
    stats_.anchored_sequence = anchor_->sequence;
    return;
  }
  status = WriteAuditAnchor(*keys_, options_.key_label, *anchor_due_);
  absl::MutexLock lock(&mu_);
  if (status.ok()) {
    anchor_ = *std::move(anchor_due_);
    anchor_due_.reset();
    stats_.anchored_sequence = anchor_->sequence;
  } else {
    // The anchor stays behind the database, which verifies; the next
    // checkpoint (or Close) tries again.
    stats_.last_anchor_error = status;
  }
}

}  // namespace sejf::vault
