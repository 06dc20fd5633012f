#include "vault/audit/audit_verifier.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "hsm/signatures.h"
#include "vault/audit/audit_checkpoint.h"
#include "vault/audit/audit_event.h"

namespace sejf::vault {
namespace {

constexpr int kPageSize = 1000;

// A checkpoint as far as it can be judged without the chain: either its
// signed hash (signature good) or what is wrong with it.
struct CheckpointState {
  std::string hash;
  std::string problem;  // empty when the signature holds
  // Set when the record parsed (whatever its signature).
  bool parsed = false;
  int format = 0;
  std::int64_t previous_sequence = 0;
  std::string previous_digest;
  std::string digest;  // AuditCheckpointDigest
};

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

class Verifier {
 public:
  Verifier(Transaction& txn, std::optional<std::string> audit_key_spki,
           absl::string_view key_label, std::optional<AuditAnchor> anchor,
           const AuditVerifyOptions& options)
      : txn_(txn),
        audit_key_spki_(std::move(audit_key_spki)),
        key_label_(key_label),
        options_(options) {
    result_.anchor = std::move(anchor);
    result_.head_hash = AuditGenesisHash();
    result_.last_checkpoint_digest = NoAuditCheckpointDigest();
  }

  absl::StatusOr<AuditVerifyResult> Run() {
    RETURN_IF_ERROR(LoadCheckpoints());
    CheckCheckpointLinks();
    RETURN_IF_ERROR(LoadHead());
    RETURN_IF_ERROR(WalkEvents());
    if (!result_.ok && result_.first_bad_sequence > 0) return result_;
    CheckNothingPointsPastTheEnd();
    if (result_.first_bad_sequence > 0) return result_;
    if (options_.check_anchor) CheckAnchor();
    if (result_.first_bad_sequence > 0) return result_;
    CheckExpected();
    if (result_.first_bad_sequence > 0) return result_;
    result_.ok = true;
    result_.message = absl::StrCat(result_.events_checked, " events and ",
                                   result_.checkpoints_checked,
                                   " signed checkpoints verified");
    if (result_.events_checked > last_checkpoint_) {
      absl::StrAppend(&result_.message, "; events ", last_checkpoint_ + 1, "..",
                      result_.events_checked,
                      " are not covered by a checkpoint yet");
    }
    if (!options_.check_anchor) {
      // The caller compares against the anchor itself.
    } else if (result_.anchor) {
      absl::StrAppend(&result_.message, "; anchored in the HSM at event ",
                      result_.anchor->sequence);
    } else {
      absl::StrAppend(&result_.message,
                      "; not anchored in the HSM yet (sejfd anchors it when "
                      "it next starts)");
    }
    if (options_.expect) {
      absl::StrAppend(&result_.message, "; event ", options_.expect->first,
                      " has the expected hash");
    }
    return result_;
  }

 private:
  void Fail(std::int64_t sequence, std::string message) {
    result_.ok = false;
    result_.first_bad_sequence = sequence;
    result_.message = std::move(message);
  }

  absl::Status LoadCheckpoints() {
    ListOptions options{.start_after = "", .limit = kPageSize};
    for (;;) {
      ASSIGN_OR_RETURN(ListPage page, txn_.List(kAuditCheckpointKind, options));
      for (const Record& record : page.records) JudgeCheckpoint(record);
      if (!page.next_start_after) return absl::OkStatus();
      options.start_after = *page.next_start_after;
    }
  }

  void JudgeCheckpoint(const Record& record) {
    absl::StatusOr<std::int64_t> sequence = ParseAuditSequenceName(record.name);
    // A row that is not ours puts the whole chain in doubt.
    std::int64_t at = sequence.ok() ? *sequence : 1;
    CheckpointState& state = checkpoints_[at];
    if (!sequence.ok()) {
      state.problem = "a checkpoint record has a malformed name";
      return;
    }
    absl::StatusOr<AuditCheckpoint> checkpoint =
        DecodeAuditCheckpoint(record.data);
    if (!checkpoint.ok()) {
      state.problem = absl::StrCat("checkpoint ", at, " does not parse");
      return;
    }
    if (checkpoint->sequence != at) {
      state.problem = absl::StrCat("checkpoint ", at, " claims to cover event ",
                                   checkpoint->sequence);
      return;
    }
    state.parsed = true;
    state.format = checkpoint->format;
    state.previous_sequence = checkpoint->previous_sequence;
    state.previous_digest = checkpoint->previous_digest;
    state.digest = AuditCheckpointDigest(*checkpoint);
    if (!audit_key_spki_) {
      state.problem = absl::StrCat("checkpoint ", at,
                                   " cannot be checked: the audit key \"",
                                   key_label_, "\" is not in the HSM");
      return;
    }
    if (checkpoint->public_key != *audit_key_spki_) {
      state.problem = absl::StrCat("checkpoint ", at,
                                   " was signed by a key that is not the HSM "
                                   "audit key");
      return;
    }
    absl::Status verified = hsm::VerifySignature(
        *audit_key_spki_, hsm::SignatureScheme::kEcdsaSha256,
        AuditCheckpointSignedData(*checkpoint), checkpoint->signature);
    if (!verified.ok()) {
      state.problem =
          absl::StrCat("the signature of checkpoint ", at, " does not verify");
      return;
    }
    state.hash = checkpoint->hash;
    last_checkpoint_ = std::max(last_checkpoint_, at);
  }

  // Each chained checkpoint must name the one stored before it.
  void CheckCheckpointLinks() {
    std::int64_t previous = 0;
    std::string previous_digest = NoAuditCheckpointDigest();
    bool chained = false;
    for (auto& [at, state] : checkpoints_) {
      if (state.parsed && state.problem.empty()) {
        if (state.format == kAuditCheckpointChained) {
          chained = true;
          ++result_.chained_checkpoints;
          if (state.previous_sequence > previous) {
            state.problem = absl::StrCat(
                "checkpoint ", at, " follows checkpoint ",
                state.previous_sequence, ", which is missing (deleted)");
          } else if (state.previous_sequence < previous) {
            state.problem = absl::StrCat(
                "checkpoint ", at, " follows checkpoint ",
                state.previous_sequence, ", but checkpoint ", previous,
                " stands between them: it was inserted or moved");
          } else if (state.previous_digest != previous_digest) {
            state.problem = absl::StrCat(
                "checkpoint ", at, " follows a checkpoint ", previous,
                " other than the one stored: checkpoint ", previous,
                " was replaced");
          }
        } else if (chained) {
          state.problem = absl::StrCat(
              "checkpoint ", at,
              " is unchained (format 1) but follows chained ones: it was "
              "put there");
        }
      }
      previous = at;
      previous_digest = state.digest;
    }
    result_.last_checkpoint_digest =
        previous_digest.empty() ? NoAuditCheckpointDigest() : previous_digest;
  }

  absl::Status LoadHead() {
    ASSIGN_OR_RETURN(std::optional<Record> record,
                     txn_.Get(kAuditHeadKind, kAuditHeadName));
    if (!record) return absl::OkStatus();  // checked against the events later
    absl::StatusOr<AuditHead> head = DecodeAuditHead(record->data);
    if (!head.ok()) {
      Fail(1, "the audit head record does not parse");
      return absl::OkStatus();
    }
    head_ = *std::move(head);
    return absl::OkStatus();
  }

  absl::Status WalkEvents() {
    if (result_.first_bad_sequence > 0) return absl::OkStatus();
    std::string previous_hash = AuditGenesisHash();
    std::int64_t expected = 1;
    ListOptions options{.start_after = "", .limit = kPageSize};
    for (;;) {
      ASSIGN_OR_RETURN(ListPage page, txn_.List(kAuditEventKind, options));
      for (const Record& record : page.records) {
        if (!CheckEvent(record, expected, previous_hash)) {
          return absl::OkStatus();
        }
        if (expected == AnchorSequence()) anchor_hash_seen_ = previous_hash;
        if (options_.expect && expected == options_.expect->first) {
          expected_hash_seen_ = previous_hash;
        }
        result_.head_sequence = expected;
        result_.head_hash = previous_hash;
        ++expected;
      }
      if (!page.next_start_after) break;
      options.start_after = *page.next_start_after;
    }
    if (expected > 1 && !head_) {
      Fail(1, "the audit head record is missing");
    }
    return absl::OkStatus();
  }

  // Checks the row that should hold event `expected`; on success advances
  // `previous_hash` to its hash. False (with the result set) on a problem.
  bool CheckEvent(const Record& record, std::int64_t expected,
                  std::string& previous_hash) {
    absl::StatusOr<std::int64_t> sequence = ParseAuditSequenceName(record.name);
    if (!sequence.ok()) {
      Fail(expected, absl::StrCat("an event row has a malformed name where "
                                  "event ",
                                  expected, " should be"));
      return false;
    }
    if (*sequence != expected) {
      Fail(expected,
           *sequence == expected + 1
               ? absl::StrCat("event ", expected, " is missing (deleted)")
               : absl::StrCat("events ", expected, "..", *sequence - 1,
                              " are missing (deleted)"));
      return false;
    }
    absl::StatusOr<DecodedAuditRow> row = DecodeAuditEventRow(record.data);
    if (!row.ok()) {
      Fail(expected, absl::StrCat("event ", expected, " does not parse (",
                                  row.status().message(), ")"));
      return false;
    }
    if (row->event.sequence != expected) {
      Fail(expected, absl::StrCat("the row of event ", expected,
                                  " holds event ", row->event.sequence));
      return false;
    }
    std::string hash = ChainAuditHash(previous_hash, row->canonical);
    if (hash != row->event.hash) {
      Fail(expected,
           absl::StrCat("event ", expected,
                        " was altered: its stored hash does not match its "
                        "content and the event before it"));
      return false;
    }
    if (auto it = checkpoints_.find(expected); it != checkpoints_.end()) {
      if (!it->second.problem.empty()) {
        Fail(expected, it->second.problem);
        return false;
      }
      if (it->second.hash != hash) {
        Fail(expected,
             absl::StrCat("the chain up to event ", expected,
                          " does not match its signed checkpoint: events up "
                          "to ",
                          expected, " were rewritten"));
        return false;
      }
      ++result_.checkpoints_checked;
    }
    if (head_ && head_->sequence == expected && head_->hash != hash) {
      Fail(expected, absl::StrCat("the audit head record does not match event ",
                                  expected));
      return false;
    }
    ++result_.events_checked;
    previous_hash = std::move(hash);
    return true;
  }

  void CheckNothingPointsPastTheEnd() {
    std::int64_t last = result_.events_checked;
    auto past = checkpoints_.upper_bound(last);
    if (past != checkpoints_.end()) {
      Fail(last + 1,
           absl::StrCat("checkpoint ", past->first,
                        " covers events the log no longer has: "
                        "events ",
                        last + 1, "..", past->first, " are missing (deleted)"));
      return;
    }
    if (head_ && head_->sequence > last) {
      Fail(last + 1, absl::StrCat("the audit head names event ",
                                  head_->sequence, " but the log ends at ",
                                  last, ": events are missing (deleted)"));
    }
  }

  std::int64_t AnchorSequence() const {
    return result_.anchor ? result_.anchor->sequence : -1;
  }

  void CheckAnchor() {
    const std::int64_t last = result_.events_checked;
    if (!result_.anchor) {
      if (result_.chained_checkpoints > 0) {
        Fail(checkpoints_.begin()->first,
             absl::StrCat(
                 "the HSM holds no audit anchor (\"",
                 AuditAnchorLabel(key_label_),
                 "\") but the log has chained checkpoints, which are only "
                 "written once it does: the anchor was removed, or this is "
                 "not the log's HSM token"));
      }
      return;
    }
    const AuditAnchor& anchor = *result_.anchor;
    if (anchor.sequence == 0) return;  // anchored while still empty
    const std::string anchored =
        absl::StrCat("the HSM anchor records event ", anchor.sequence,
                     " (hash ", Hex(anchor.hash).substr(0, 16), "…)");
    if (last == 0) {
      Fail(1, absl::StrCat("the audit log is empty but ", anchored,
                           ": the log was wiped"));
      return;
    }
    if (last < anchor.sequence) {
      Fail(last + 1,
           absl::StrCat("the audit log ends at event ", last, " but ", anchored,
                        ": events ", last + 1, "..", anchor.sequence,
                        " were deleted (the log was truncated or rolled "
                        "back)"));
      return;
    }
    if (anchor_hash_seen_ != anchor.hash) {
      Fail(anchor.sequence,
           absl::StrCat("event ", anchor.sequence, " does not have the hash ",
                        anchored, ": the log was replaced by another one"));
      return;
    }
    auto it = checkpoints_.find(anchor.sequence);
    if (it == checkpoints_.end() || it->second.digest != anchor.checkpoint) {
      Fail(anchor.sequence,
           absl::StrCat("checkpoint ", anchor.sequence,
                        it == checkpoints_.end() ? " is missing (deleted)"
                                                 : " was replaced",
                        ": ", anchored, " and its checkpoint"));
    }
  }

  void CheckExpected() {
    if (!options_.expect) return;
    const auto& [sequence, hash] = *options_.expect;
    const std::int64_t last = result_.events_checked;
    if (sequence > last) {
      Fail(last + 1,
           absl::StrCat("the audit log ends at event ", last,
                        " but you expected event ", sequence,
                        ": events were deleted (the log was truncated, "
                        "rolled back or wiped)"));
    } else if (expected_hash_seen_ != hash) {
      Fail(sequence,
           absl::StrCat("event ", sequence, " has hash ",
                        Hex(expected_hash_seen_), ", not the expected ",
                        Hex(hash), ": the log was rewritten or replaced"));
    }
  }

  Transaction& txn_;
  const std::optional<std::string> audit_key_spki_;
  const std::string key_label_;
  const AuditVerifyOptions& options_;
  std::string anchor_hash_seen_;
  std::string expected_hash_seen_;
  std::map<std::int64_t, CheckpointState> checkpoints_;
  std::optional<AuditHead> head_;
  std::int64_t last_checkpoint_ = 0;
  AuditVerifyResult result_;
};

}  // namespace

absl::StatusOr<AuditVerifyResult> VerifyAuditLog(
    Storage& storage, hsm::KeyStore& keys, absl::string_view key_label,
    const AuditVerifyOptions& options) {
  std::optional<std::string> spki;
  absl::StatusOr<hsm::KeyRef> key = keys.FindKeyByLabel(key_label);
  if (key.ok()) {
    ASSIGN_OR_RETURN(spki, keys.PublicKey(*key));
  } else if (key.status().code() != absl::StatusCode::kNotFound) {
    return key.status();
  }
  // The anchor before the database snapshot: a running log writes the
  // anchor after its commit, so the snapshot is never behind it.
  std::optional<AuditAnchor> anchor;
  if (options.check_anchor) {
    ASSIGN_OR_RETURN(anchor, ReadAuditAnchor(keys, key_label));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage.Begin(TransactionMode::kReadOnly));
  Verifier verifier(*txn, std::move(spki), key_label, std::move(anchor),
                    options);
  return verifier.Run();
}

}  // namespace sejf::vault
