#include "vault/audit/audit_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "vault/audit/audit_checkpoint_export.h"

namespace sejf::vault {

// One Append waiting for its batch. Lives on the appender's stack; between
// the writer taking it from the queue and setting `done` (under mu_), only
// the writer touches it.
struct AuditLog::Pending {
  AuditEvent event;
  absl::Status status;
  bool done = false;
};

namespace {

absl::Time TruncateToMicros(absl::Time time) {
  return absl::FromUnixMicros(absl::ToUnixMicros(time));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    Storage* storage, hsm::KeyStore* keys, const Clock* clock,
    AuditLogOptions options) {
  if (options.checkpoint_interval < 1) {
    return absl::InvalidArgumentError(
        "audit checkpoint_interval must be at least 1");
  }
  if (options.setup_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("audit setup_wait must not be negative");
  }
  if (options.max_batch < 1) {
    return absl::InvalidArgumentError("audit max_batch must be at least 1");
  }
  RETURN_IF_ERROR(hsm::ValidateKeyLabel(options.key_label));
  if (!options.checkpoint_export_file.empty()) {
    RETURN_IF_ERROR(CheckCheckpointExportFile(options.checkpoint_export_file));
  }
  std::unique_ptr<AuditLog> log(
      new AuditLog(storage, keys, clock, std::move(options)));
  if (absl::Status status = log->Init(); !status.ok()) {
    absl::MutexLock lock(&log->mu_);
    log->close_status_ = status;  // nothing to close
    return status;
  }
  if (log->options_.reanchor) {
    // The operator's decision goes on the record, in the log it concerns.
    const std::string from =
        log->reanchored_from_
            ? FormatAuditPosition(log->reanchored_from_->sequence,
                                  log->reanchored_from_->hash)
            : std::string("none");
    absl::StatusOr<std::int64_t> appended = log->Append(
        AuditEvent{.request_id = "sejfd-start",
                   .identity = "sejfd",
                   .operation = "audit.reanchor",
                   .method = "sejfd --reanchor-audit-log",
                   .resource = "audit",
                   .outcome = "OK",
                   .detail = ClipAuditField(
                       absl::StrCat("anchor was ", from, "; log accepted at ",
                                    FormatAuditPosition(log->anchor_->sequence,
                                                        log->anchor_->hash)),
                       kMaxAuditDetailSize)});
    if (!appended.ok()) return appended.status();
  }
  return log;
}

AuditLog::AuditLog(Storage* storage, hsm::KeyStore* keys, const Clock* clock,
                   AuditLogOptions options)
    : storage_(storage),
      keys_(keys),
      clock_(clock),
      options_(std::move(options)) {
  RegisterMetrics();
}

AuditLog::~AuditLog() { Close().IgnoreError(); }

absl::Status AuditLog::Init() {
  // A set-up log (the HSM holds its anchor) needs no serializing.
  absl::StatusOr<std::optional<AuditAnchor>> anchored =
      ReadAuditAnchor(*keys_, options_.key_label);
  std::unique_ptr<DutyLease> setup;
  if (!anchored.ok() || !anchored->has_value() || options_.reanchor) {
    ASSIGN_OR_RETURN(setup, AwaitSetUp());
  }
  setup_lease_ = setup.get();
  absl::Status loaded = LoadKeyAndAnchor();
  setup_lease_ = nullptr;
  // Others waiting go on at once (they find the anchor); after a failure
  // the next process takes the setup over.
  if (setup) setup->Release().IgnoreError();
  RETURN_IF_ERROR(loaded);

  absl::MutexLock lock(&mu_);
  link_sequence_ = head_.sequence;
  link_digest_ = head_checkpoint_digest_;
  durable_sequence_ = chain_sequence_;
  durable_hash_ = chain_hash_;
  last_time_ = chain_time_;
  requested_sequence_ = head_.sequence;
  stats_.last_sequence = chain_sequence_;
  stats_.anchored_sequence = anchor_->sequence;
  // A crash left events no checkpoint covers: sign them now.
  if (chain_sequence_ > head_.sequence) {
    sign_request_ = AuditHead{chain_sequence_, chain_hash_};
    requested_sequence_ = chain_sequence_;
  }
  writer_ = std::thread([this] { WriterLoop(); });
  signer_ = std::thread([this] { SignerLoop(); });
  return absl::OkStatus();
}

absl::Status AuditLog::LoadKeyAndAnchor() {
  absl::StatusOr<hsm::KeyRef> key = keys_->FindKeyByLabel(options_.key_label);
  if (key.status().code() == absl::StatusCode::kNotFound) {
    key =
        keys_->GenerateKeyPair(options_.key_label, hsm::KeyAlgorithm::kEcP256);
  }
  if (!key.ok()) return key.status();
  if (key->algorithm != hsm::KeyAlgorithm::kEcP256) {
    return absl::FailedPreconditionError(
        absl::StrCat("the audit key \"", options_.key_label,
                     "\" in the HSM is not an EC P-256 key"));
  }
  key_ = *std::move(key);
  ASSIGN_OR_RETURN(public_key_, keys_->PublicKey(key_));
  ASSIGN_OR_RETURN(anchor_, ReadAuditAnchor(*keys_, options_.key_label));
  RETURN_IF_ERROR(LoadChainEnd());
  if (!anchor_ || options_.reanchor) RETURN_IF_ERROR(AnchorAsItIs());
  return absl::OkStatus();
}

absl::Status AuditLog::LoadChainEnd() {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> head_record,
                   txn->Get(kAuditHeadKind, kAuditHeadName));
  chain_time_ = absl::InfinitePast();
  if (!head_record) {
    ASSIGN_OR_RETURN(std::optional<Record> first,
                     txn->Get(kAuditEventKind, AuditSequenceName(1)));
    if (first) {
      return absl::DataLossError(
          "the audit log has events but no head record: it was altered "
          "(run `sejf audit verify`)");
    }
    head_ = AuditHead{0, AuditGenesisHash()};
    ASSIGN_OR_RETURN(Record created, txn->Insert(kAuditHeadKind, kAuditHeadName,
                                                 EncodeAuditHead(head_)));
    head_version_ = created.version;
  } else {
    ASSIGN_OR_RETURN(head_, DecodeAuditHead(head_record->data));
    head_version_ = head_record->version;
    if (head_.sequence > 0) {
      // The head event must hold the head's hash, recomputed from its
      // content and its predecessor's stored hash.
      ASSIGN_OR_RETURN(
          std::optional<Record> row,
          txn->Get(kAuditEventKind, AuditSequenceName(head_.sequence)));
      std::optional<Record> before;
      if (head_.sequence > 1) {
        ASSIGN_OR_RETURN(
            before,
            txn->Get(kAuditEventKind, AuditSequenceName(head_.sequence - 1)));
      }
      absl::StatusOr<DecodedAuditRow> decoded =
          row ? DecodeAuditEventRow(row->data) : absl::DataLossError("missing");
      absl::StatusOr<DecodedAuditRow> previous =
          before ? DecodeAuditEventRow(before->data)
                 : absl::DataLossError("missing");
      std::string previous_hash = head_.sequence == 1 ? AuditGenesisHash()
                                  : previous.ok()     ? previous->event.hash
                                                      : std::string();
      if (!decoded.ok() || decoded->event.hash != head_.hash ||
          ChainAuditHash(previous_hash, decoded->canonical) != head_.hash) {
        return absl::DataLossError(absl::StrCat(
            "the audit head record does not match event ", head_.sequence,
            ": the log was altered (run `sejf audit verify`)"));
      }
      chain_time_ = decoded->event.time;
    }
  }
  head_checkpoint_digest_ = NoAuditCheckpointDigest();
  head_checkpoint_format_ = 0;
  absl::Status head_problem = absl::OkStatus();
  if (head_.sequence > 0) {
    // The head names the newest checkpoint; the next one links to it.
    ASSIGN_OR_RETURN(
        std::optional<Record> row,
        txn->Get(kAuditCheckpointKind, AuditSequenceName(head_.sequence)));
    absl::StatusOr<AuditCheckpoint> checkpoint =
        row ? DecodeAuditCheckpoint(row->data) : absl::DataLossError("missing");
    if (!checkpoint.ok() || checkpoint->hash != head_.hash) {
      // Reported after the anchor check, which says more.
      head_problem = absl::DataLossError(absl::StrCat(
          "checkpoint ", head_.sequence,
          ", which the audit head record names, is missing or does not "
          "match it: the log was altered (run `sejf audit verify`)"));
    } else {
      head_checkpoint_digest_ = AuditCheckpointDigest(*checkpoint);
      head_checkpoint_format_ = checkpoint->format;
    }
  }
  chain_sequence_ = head_.sequence;
  chain_hash_ = head_.hash;
  RETURN_IF_ERROR(RollForward(*txn));
  // Before anything (a fresh head record) is committed.
  RETURN_IF_ERROR(CheckAgainstAnchor(*txn, head_record.has_value()));
  RETURN_IF_ERROR(head_problem);
  return txn->Commit();
}

absl::Status AuditLog::RollForward(Transaction& txn) {
  ListOptions options{.start_after = AuditSequenceName(chain_sequence_),
                      .limit = kMaxListLimit};
  for (;;) {
    ASSIGN_OR_RETURN(ListPage page, txn.List(kAuditEventKind, options));
    for (const Record& record : page.records) {
      std::int64_t expected = chain_sequence_ + 1;
      absl::StatusOr<DecodedAuditRow> row = DecodeAuditEventRow(record.data);
      if (record.name != AuditSequenceName(expected) || !row.ok() ||
          row->event.sequence != expected ||
          ChainAuditHash(chain_hash_, row->canonical) != row->event.hash) {
        return absl::DataLossError(absl::StrCat(
            "audit event ", expected,
            " is missing or does not chain: the log was altered (run `sejf "
            "audit verify`)"));
      }
      chain_sequence_ = expected;
      chain_hash_ = row->event.hash;
      chain_time_ = row->event.time;
    }
    if (!page.next_start_after) break;
    options.start_after = *page.next_start_after;
  }
  return absl::OkStatus();
}

absl::Status AuditLog::CatchUp(Transaction& txn) {
  ASSIGN_OR_RETURN(std::optional<Record> head_record,
                   txn.Get(kAuditHeadKind, kAuditHeadName));
  if (!head_record) {
    return absl::DataLossError(
        "the audit head record has disappeared: the log was altered (run "
        "`sejf audit verify`)");
  }
  if (head_record->version != head_version_) {
    // Another process stored a checkpoint: the next one links to it.
    ASSIGN_OR_RETURN(AuditHead head, DecodeAuditHead(head_record->data));
    ASSIGN_OR_RETURN(
        std::optional<Record> row,
        txn.Get(kAuditCheckpointKind, AuditSequenceName(head.sequence)));
    absl::StatusOr<AuditCheckpoint> checkpoint =
        row ? DecodeAuditCheckpoint(row->data) : absl::DataLossError("missing");
    if (head.sequence < head_.sequence || !checkpoint.ok() ||
        checkpoint->hash != head.hash) {
      return absl::DataLossError(absl::StrCat(
          "checkpoint ", head.sequence,
          ", which the audit head record names, is missing, does not match "
          "it or is behind checkpoint ",
          head_.sequence, ": the log was altered (run `sejf audit verify`)"));
    }
    head_ = std::move(head);
    head_version_ = head_record->version;
    head_checkpoint_digest_ = AuditCheckpointDigest(*checkpoint);
    head_checkpoint_format_ = checkpoint->format;
    relink_ = true;
  }
  // Events other processes appended since this one last wrote.
  return RollForward(txn);
}

absl::StatusOr<std::int64_t> AuditLog::Append(AuditEvent event) {
  if (append_duration_ == nullptr) return AppendAndWait(std::move(event));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::int64_t> appended = AppendAndWait(std::move(event));
  append_duration_->WithLabels({}).ObserveDuration(absl::Now() - start);
  appends_->WithLabels({absl::StatusCodeToString(appended.status().code())})
      .Increment();
  return appended;
}

void AuditLog::RegisterMetrics() {
  metrics::Registry* registry = options_.metrics;
  if (registry == nullptr) return;
  append_duration_ = &registry->AddHistogram(
      "sejf_audit_append_duration_seconds",
      "How long an audit append took until its event was durable (group "
      "commit: waiting for the batch included).",
      {}, metrics::kLatencyBuckets);
  appends_ = &registry->AddCounter(
      "sejf_audit_appends_total",
      "Audit appends by outcome; anything but OK is an event that was not "
      "stored (its RPC answered UNAVAILABLE).",
      {"code"});
  metrics::GaugeFamily& queued = registry->AddGauge(
      "sejf_audit_queue_depth", "Audit events waiting for the writer now.");
  metrics::GaugeFamily& sequence =
      registry->AddGauge("sejf_audit_last_sequence",
                         "Sequence number of the newest durable event.");
  metrics::GaugeFamily& anchored =
      registry->AddGauge("sejf_audit_anchored_sequence",
                         "Sequence number the HSM anchor records.");
  metrics::GaugeFamily& commits = registry->AddGauge(
      "sejf_audit_commits", "Audit transactions committed since start.");
  metrics::GaugeFamily& checkpoints =
      registry->AddGauge("sejf_audit_checkpoints_stored",
                         "Signed audit checkpoints stored since start.");
  metrics::GaugeFamily& failing = registry->AddGauge(
      "sejf_audit_checkpoint_failing",
      "1 while the last checkpoint signature, anchor write or export failed "
      "(retried with the next checkpoint), else 0.");
  collector_ = registry->AddCollector([this, &queued, &sequence, &anchored,
                                       &commits, &checkpoints, &failing] {
    const AuditLogStats s = stats();
    queued.WithLabels({}).Set(static_cast<double>(s.queued_appends));
    sequence.WithLabels({}).Set(static_cast<double>(s.last_sequence));
    anchored.WithLabels({}).Set(static_cast<double>(s.anchored_sequence));
    commits.WithLabels({}).Set(static_cast<double>(s.commits));
    checkpoints.WithLabels({}).Set(static_cast<double>(s.checkpoints_stored));
    failing.WithLabels({}).Set(s.last_checkpoint_error.ok() &&
                                       s.last_anchor_error.ok() &&
                                       s.last_export_error.ok()
                                   ? 0
                                   : 1);
  });
}

absl::StatusOr<std::int64_t> AuditLog::AppendAndWait(AuditEvent event) {
  RETURN_IF_ERROR(ValidateAuditEvent(event));
  Pending pending;
  pending.event = std::move(event);
  absl::MutexLock lock(&mu_);
  if (closing_) {
    return absl::FailedPreconditionError("the audit log is closed");
  }
  // Nondecreasing along the sequence, even if the clock steps back.
  last_time_ = std::max(last_time_, TruncateToMicros(clock_->Now()));
  pending.event.time = last_time_;
  queue_.push_back(&pending);
  mu_.Await(absl::Condition(&pending.done));
  if (!pending.status.ok()) return pending.status;
  return pending.event.sequence;
}

bool AuditLog::WriterHasWork() const {
  return !queue_.empty() || !signed_.empty() || stop_writer_;
}

bool AuditLog::SignerHasWork() const {
  return sign_request_.has_value() || stop_signer_;
}

bool AuditLog::Drained() const { return queue_.empty() && !writing_; }

void AuditLog::WriterLoop() {
  for (;;) {
    std::vector<Pending*> batch;
    std::vector<AuditCheckpoint> checkpoints;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &AuditLog::WriterHasWork));
      if (queue_.empty() && signed_.empty()) return;  // stopping
      std::size_t take =
          std::min(queue_.size(), static_cast<std::size_t>(options_.max_batch));
      batch.assign(queue_.begin(), queue_.begin() + take);
      queue_.erase(queue_.begin(), queue_.begin() + take);
      checkpoints.swap(signed_);
      writing_ = true;
    }
    absl::StatusOr<std::int64_t> stored = WriteBatch(batch, checkpoints);
    absl::Status status = stored.status();
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      for (Pending* pending : batch) {
        pending->status = status;
        pending->done = true;  // the appender may return from here on
      }
      if (status.ok()) {
        durable_sequence_ = chain_sequence_;
        durable_hash_ = chain_hash_;
        stats_.events_appended += static_cast<std::int64_t>(batch.size());
        stats_.checkpoints_stored += *stored;
        ++stats_.commits;
        stats_.last_sequence = durable_sequence_;
        if (relink_) Relink();
        MaybeRequestCheckpoint();
      } else {
        // Keep the signed checkpoints for the next transaction.
        signed_.insert(signed_.begin(), checkpoints.begin(), checkpoints.end());
      }
    }
    // After the commit, with the appenders already released.
    PublishCheckpoints();
  }
}

void AuditLog::Relink() {
  relink_ = false;
  link_sequence_ = head_.sequence;
  link_digest_ = head_checkpoint_digest_;
  // What this process asked to sign may have been dropped: count the next
  // interval from the stored head.
  requested_sequence_ = head_.sequence;
}

void AuditLog::MaybeRequestCheckpoint() {
  if (closing_ ||
      durable_sequence_ - requested_sequence_ < options_.checkpoint_interval) {
    return;
  }
  sign_request_ = AuditHead{durable_sequence_, durable_hash_};
  requested_sequence_ = durable_sequence_;
}

absl::StatusOr<std::int64_t> AuditLog::WriteBatch(
    const std::vector<Pending*>& batch,
    std::vector<AuditCheckpoint>& checkpoints) {
  if (resync_) {
    RETURN_IF_ERROR(LoadChainEnd());
    resync_ = false;
    relink_ = true;
  }
  // Anything failing below leaves the stored end unknown (a commit may fail
  // after writing): re-read it before the next batch.
  resync_ = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  // The chain's stored end, as other processes may have moved it; nothing
  // is written until this transaction holds the store's write lock.
  const std::int64_t known_sequence = chain_sequence_;
  const std::string known_hash = chain_hash_;
  const absl::Time known_time = chain_time_;
  if (absl::Status caught_up = CatchUp(*txn); !caught_up.ok()) {
    chain_sequence_ = known_sequence;
    chain_hash_ = known_hash;
    chain_time_ = known_time;
    return caught_up;
  }
  std::int64_t sequence = chain_sequence_;
  std::string hash = chain_hash_;
  absl::Time time = chain_time_;
  for (Pending* pending : batch) {
    AuditEvent& event = pending->event;
    event.sequence = ++sequence;
    // Nondecreasing along the sequence across processes too.
    event.time = std::max(event.time, time);
    time = event.time;
    std::string canonical = EncodeCanonicalAuditEvent(event);
    hash = ChainAuditHash(hash, canonical);
    event.hash = hash;
    canonical += hash;  // the stored row
    RETURN_IF_ERROR(
        txn->Insert(kAuditEventKind, AuditSequenceName(sequence), canonical)
            .status());
  }
  std::sort(checkpoints.begin(), checkpoints.end(),
            [](const AuditCheckpoint& a, const AuditCheckpoint& b) {
              return a.sequence < b.sequence;
            });
  AuditHead head = head_;
  std::string head_digest = head_checkpoint_digest_;
  std::int64_t stored = 0;
  std::vector<const AuditCheckpoint*> to_export;
  for (const AuditCheckpoint& checkpoint : checkpoints) {
    if (checkpoint.sequence <= head.sequence) {
      relink_ = relink_ || checkpoint.sequence < head.sequence;
      continue;  // already covered (by this process, or another's)
    }
    if (checkpoint.format == kAuditCheckpointChained &&
        (checkpoint.previous_sequence != head.sequence ||
         checkpoint.previous_digest != head_digest)) {
      // Signed before another process stored a checkpoint: it would fork
      // the checkpoint chain. Dropped; the signer links to the stored head.
      relink_ = true;
      continue;
    }
    RETURN_IF_ERROR(txn->Insert(kAuditCheckpointKind,
                                AuditSequenceName(checkpoint.sequence),
                                EncodeAuditCheckpoint(checkpoint))
                        .status());
    head = AuditHead{checkpoint.sequence, checkpoint.hash};
    head_digest = AuditCheckpointDigest(checkpoint);
    to_export.push_back(&checkpoint);
    ++stored;
  }
  std::int64_t head_version = head_version_;
  if (head != head_) {
    ASSIGN_OR_RETURN(Record updated,
                     txn->Update(kAuditHeadKind, kAuditHeadName, head_version_,
                                 EncodeAuditHead(head)));
    head_version = updated.version;
  }
  RETURN_IF_ERROR(txn->Commit());
  resync_ = false;
  chain_sequence_ = sequence;
  chain_hash_ = std::move(hash);
  chain_time_ = time;
  if (stored > 0) {
    if (!options_.checkpoint_export_file.empty()) {
      for (const AuditCheckpoint* checkpoint : to_export) {
        export_due_.push_back(*checkpoint);
      }
    }
    head_checkpoint_format_ = kAuditCheckpointChained;
    anchor_due_ = AuditAnchor{.sequence = head.sequence,
                              .hash = head.hash,
                              .checkpoint = head_digest};
  }
  head_checkpoint_digest_ = std::move(head_digest);
  head_ = std::move(head);
  head_version_ = head_version;
  return stored;
}

void AuditLog::SignerLoop() {
  for (;;) {
    AuditHead request;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &AuditLog::SignerHasWork));
      if (stop_signer_) return;  // Close signs the final head itself
      request = *std::move(sign_request_);
      sign_request_.reset();
      signing_ = true;
    }
    absl::StatusOr<AuditCheckpoint> checkpoint =
        SignCheckpoint(request.sequence, request.hash);
    absl::MutexLock lock(&mu_);
    signing_ = false;
    if (checkpoint.ok()) {
      signed_.push_back(*std::move(checkpoint));
    } else {
      // Tried again after checkpoint_interval more events, and at Close.
      stats_.last_checkpoint_error = checkpoint.status();
    }
  }
}

absl::StatusOr<AuditCheckpoint> AuditLog::SignCheckpoint(
    std::int64_t sequence, const std::string& hash) {
  AuditCheckpoint checkpoint;
  checkpoint.format = kAuditCheckpointChained;
  checkpoint.sequence = sequence;
  checkpoint.hash = hash;
  checkpoint.time = TruncateToMicros(clock_->Now());
  {
    absl::MutexLock lock(&mu_);
    checkpoint.previous_sequence = link_sequence_;
    checkpoint.previous_digest = link_digest_;
  }
  checkpoint.public_key = public_key_;
  ASSIGN_OR_RETURN(checkpoint.signature,
                   keys_->Sign(key_, hsm::SignatureScheme::kEcdsaSha256,
                               AuditCheckpointSignedData(checkpoint)));
  absl::MutexLock lock(&mu_);
  // Unless the writer relinked meanwhile (this one is stale then, and will
  // be dropped), the next checkpoint links to this one.
  if (link_sequence_ == checkpoint.previous_sequence &&
      link_digest_ == checkpoint.previous_digest) {
    link_sequence_ = sequence;
    link_digest_ = AuditCheckpointDigest(checkpoint);
  }
  return checkpoint;
}

absl::Status AuditLog::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (close_status_) return *close_status_;
    if (closing_) {
      // Another thread is closing: wait for its result.
      mu_.Await(absl::Condition(
          +[](std::optional<absl::Status>* s) { return s->has_value(); },
          &close_status_));
      return *close_status_;
    }
    closing_ = true;
    stop_signer_ = true;
  }
  signer_.join();  // finishes a running signature first
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &AuditLog::Drained));
    stop_writer_ = true;
  }
  writer_.join();

  // Only this thread is left.
  std::vector<AuditCheckpoint> checkpoints;
  {
    absl::MutexLock lock(&mu_);
    checkpoints.swap(signed_);
  }
  absl::Status status = absl::OkStatus();
  std::int64_t stored = 0;
  // The events this process appended end at chain_sequence_ (as it knows
  // it). Another process may store a checkpoint between the signature and
  // the write, which drops ours (it would fork the checkpoint chain): then
  // relink to the stored head and sign again, a few times at most.
  const std::int64_t own_end = chain_sequence_;
  for (int attempt = 0; attempt < kCloseCheckpointAttempts; ++attempt) {
    bool covered = head_.sequence >= own_end;
    for (const AuditCheckpoint& checkpoint : checkpoints) {
      covered = covered || checkpoint.sequence >= own_end;
    }
    if (!covered) {
      absl::StatusOr<AuditCheckpoint> last =
          SignCheckpoint(chain_sequence_, chain_hash_);
      if (last.ok()) {
        checkpoints.push_back(*std::move(last));
      } else {
        status = last.status();
      }
    }
    if (checkpoints.empty()) break;
    absl::StatusOr<std::int64_t> written = WriteBatch({}, checkpoints);
    checkpoints.clear();
    if (!written.ok()) {
      if (status.ok()) status = written.status();
      break;
    }
    stored += *written;
    if (!status.ok() || head_.sequence >= own_end) break;
    absl::MutexLock lock(&mu_);
    Relink();
  }
  PublishCheckpoints();
  absl::MutexLock lock(&mu_);
  stats_.checkpoints_stored += stored;
  if (status.ok() && anchor_due_) status = stats_.last_anchor_error;
  if (!status.ok()) stats_.last_checkpoint_error = status;
  close_status_ = status;
  return status;
}

AuditLogStats AuditLog::stats() const {
  absl::MutexLock lock(&mu_);
  AuditLogStats stats = stats_;
  stats.queued_appends = static_cast<std::int64_t>(queue_.size());
  return stats;
}

absl::StatusOr<AuditVerifyResult> AuditLog::Verify(
    const AuditVerifyOptions& options) {
  return VerifyAuditLog(*storage_, *keys_, options_.key_label, options);
}

}  // namespace sejf::vault
