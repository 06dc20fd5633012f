#include "vault/tokens/token_vault.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crash_point.h"
#include "common/status_macros.h"
#include "vault/crypto/sealed_record.h"
#include "vault/records/credential_name.h"
#include "vault/tokens/token_counters.h"

namespace sejf::vault {
namespace {

using DekDelta = std::map<std::uint32_t, std::int64_t>;

SealedPlace PlaceOf(absl::string_view name, std::int64_t version) {
  return SealedPlace{.kind = kTokenRecordKind, .id = name, .version = version};
}

absl::Status TokenNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("token \"", name, "\" not found"));
}

absl::Status Destroyed(absl::string_view name) {
  return absl::FailedPreconditionError(
      absl::StrCat("token \"", name, "\" is destroyed"));
}

// What callers see: the record without its sealed secret.
Token Public(absl::string_view name, TokenRecord record) {
  record.sealed_secret.clear();
  return Token{.name = std::string(name), .record = std::move(record)};
}

absl::StatusOr<TokenRecord> DecodeAt(const Record& stored) {
  absl::StatusOr<TokenRecord> record = DecodeTokenRecord(stored.data);
  if (!record.ok()) {
    return absl::Status(record.status().code(),
                        absl::StrCat("token \"", stored.name,
                                     "\": ", record.status().message()));
  }
  return record;
}

}  // namespace

TokenVault::TokenVault(Storage* storage, Keyring* keyring, const Clock* clock,
                       TokenVaultOptions options)
    : storage_(storage), keyring_(keyring), clock_(clock), options_(options) {}

absl::StatusOr<std::unique_ptr<TokenVault>> TokenVault::Open(
    Storage* storage, Keyring* keyring, const Clock* clock,
    TokenVaultOptions options) {
  if (options.reseal_batch_size < 1) {
    return absl::InvalidArgumentError("reseal_batch_size must be at least 1");
  }
  std::unique_ptr<TokenVault> vault(
      new TokenVault(storage, keyring, clock, options));
  // Starts the re-seal when records are pending (e.g. sejfd stopped
  // mid-way).
  RETURN_IF_ERROR(vault->Status().status());
  return vault;
}

TokenVault::~TokenVault() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  absl::MutexLock lock(&thread_mu_);
  if (reseal_thread_.joinable()) reseal_thread_.join();
}

absl::StatusOr<TokenRecord> TokenVault::NewRecord(const TokenImport& request,
                                                  absl::Time now) {
  RETURN_IF_ERROR(ValidateCredentialName(request.name, "name"));
  ASSIGN_OR_RETURN(KsefContext context,
                   ParseTokenContext(request.context, "context"));
  for (std::size_t i = 0; i < request.permissions.size(); ++i) {
    if (TokenPermissionName(request.permissions[i]).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("permissions[", i, "] is not a KSeF token permission"));
    }
  }
  RETURN_IF_ERROR(ValidateTokenDescription(request.description, "description"));
  if (request.expire_time.has_value() && *request.expire_time <= now) {
    return absl::InvalidArgumentError(
        absl::StrCat("expire_time ", absl::FormatTime(*request.expire_time),
                     " is not in the future"));
  }
  RETURN_IF_ERROR(ValidateTokenSecret(request.secret, "secret"));

  TokenRecord record{.context = context.ToString(),
                     .permissions = NormalizePermissions(request.permissions),
                     .description = request.description,
                     .state = CredentialState::kActive,
                     .version = 1,
                     .create_time = now,
                     .rotate_time = now,
                     .expire_time = request.expire_time};
  record.ksef_reference = request.ksef_reference.empty()
                              ? KsefTokenReferenceOf(request.secret)
                              : request.ksef_reference;
  record.ksef_environment = request.ksef_environment;
  record.ksef_status = request.ksef_status;
  if (!record.ksef_status.empty()) record.ksef_status_time = now;
  // Another replica may have rotated the data key: seal under the newest.
  // Best effort; a DEK this process holds is as good for opening.
  keyring_->Refresh().IgnoreError();
  ASSIGN_OR_RETURN(record.sealed_secret,
                   Seal(*keyring_, SecretView(request.secret),
                        PlaceOf(request.name, record.version)));
  return record;
}

absl::Status TokenVault::InsertNew(Transaction& txn, absl::string_view name,
                                   const TokenRecord& record, DekDelta& delta) {
  ASSIGN_OR_RETURN(std::optional<Record> existing,
                   txn.Get(kTokenRecordKind, name));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("a token named \"", name,
                     "\" exists (names of destroyed tokens are not reused)"));
  }
  ASSIGN_OR_RETURN(std::uint32_t dek, SealedDataKeyId(record.sealed_secret));
  RETURN_IF_ERROR(
      txn.Insert(kTokenRecordKind, name, EncodeTokenRecord(record)).status());
  delta[dek] += 1;
  return absl::OkStatus();
}

absl::StatusOr<Token> TokenVault::Import(const TokenImport& request) {
  ASSIGN_OR_RETURN(TokenRecord record, NewRecord(request, clock_->Now()));
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
  DekDelta delta;
  RETURN_IF_ERROR(InsertNew(*txn, request.name, record, delta));
  RETURN_IF_ERROR(AddToTokenCounters(*txn, delta));
  RETURN_IF_ERROR(txn->Commit());
  return Public(request.name, std::move(record));
}

absl::Status TokenVault::ImportBatch(const std::vector<TokenImport>& requests) {
  if (requests.size() > kMaxTokenImportBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxTokenImportBatch,
                     " tokens per batch; got ", requests.size()));
  }
  const absl::Time now = clock_->Now();
  std::vector<TokenRecord> records;
  records.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    absl::StatusOr<TokenRecord> record = NewRecord(requests[i], now);
    if (!record.ok()) {
      return absl::Status(
          record.status().code(),
          absl::StrCat("tokens[", i, "]: ", record.status().message()));
    }
    records.push_back(*std::move(record));
  }
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
  DekDelta delta;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    absl::Status inserted =
        InsertNew(*txn, requests[i].name, records[i], delta);
    if (!inserted.ok()) {
      return absl::Status(
          inserted.code(),
          absl::StrCat("tokens[", i, "]: ", inserted.message()));
    }
  }
  RETURN_IF_ERROR(AddToTokenCounters(*txn, delta));
  return txn->Commit();
}

template <typename Change>
absl::StatusOr<Token> TokenVault::Modify(absl::string_view name, Change change,
                                         absl::string_view before_commit,
                                         absl::string_view after_commit) {
  RETURN_IF_ERROR(ValidateCredentialName(name, "name"));
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn->Get(kTokenRecordKind, name));
  if (!stored.has_value()) return TokenNotFound(name);
  ASSIGN_OR_RETURN(TokenRecord record, DecodeAt(*stored));
  DekDelta delta;
  ASSIGN_OR_RETURN(bool changed, change(record, delta));
  if (changed) {
    RETURN_IF_ERROR(txn->Update(kTokenRecordKind, name, stored->version,
                                EncodeTokenRecord(record))
                        .status());
    if (!delta.empty()) RETURN_IF_ERROR(AddToTokenCounters(*txn, delta));
    CrashPoint(before_commit);
    RETURN_IF_ERROR(txn->Commit());
    CrashPoint(after_commit);
  }
  return Public(name, std::move(record));
}

absl::StatusOr<Token> TokenVault::Rotate(absl::string_view name,
                                         const SecretBytes& secret) {
  RETURN_IF_ERROR(ValidateCredentialName(name, "name"));
  RETURN_IF_ERROR(ValidateTokenSecret(secret, "secret"));
  // As in Import; before the write transaction, which it would wait for.
  keyring_->Refresh().IgnoreError();
  return Modify(
      name,
      [&](TokenRecord& record, DekDelta& delta) -> absl::StatusOr<bool> {
        if (record.state == CredentialState::kDestroyed) return Destroyed(name);
        ASSIGN_OR_RETURN(std::uint32_t old_dek,
                         SealedDataKeyId(record.sealed_secret));
        record.version += 1;
        record.rotate_time = clock_->Now();
        // A new token is a new KSeF token: its own reference, status unknown.
        record.ksef_reference = KsefTokenReferenceOf(secret);
        record.ksef_environment.clear();
        record.ksef_status.clear();
        record.ksef_status_time.reset();
        ASSIGN_OR_RETURN(
            record.sealed_secret,
            Seal(*keyring_, SecretView(secret), PlaceOf(name, record.version)));
        ASSIGN_OR_RETURN(std::uint32_t new_dek,
                         SealedDataKeyId(record.sealed_secret));
        delta[old_dek] -= 1;
        delta[new_dek] += 1;
        return true;
      },
      crash_points::kTokenRotationBeforeCommit,
      crash_points::kTokenRotationAfterCommit);
}

absl::StatusOr<Token> TokenVault::Get(absl::string_view name) {
  RETURN_IF_ERROR(ValidateCredentialName(name, "name"));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   storage_->Get(kTokenRecordKind, name));
  if (!stored.has_value()) return TokenNotFound(name);
  ASSIGN_OR_RETURN(TokenRecord record, DecodeAt(*stored));
  return Public(name, std::move(record));
}

absl::StatusOr<TokenPage> TokenVault::List(const TokenFilter& filter,
                                           int page_size,
                                           absl::string_view page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size must not be negative");
  }
  if (page_size == 0) page_size = kDefaultTokenPageSize;
  page_size = std::min(page_size, kMaxTokenPageSize);
  if (!page_token.empty()) {
    RETURN_IF_ERROR(ValidateCredentialName(page_token, "page_token"));
  }
  std::optional<std::string> context;
  if (!filter.context.empty()) {
    ASSIGN_OR_RETURN(KsefContext parsed,
                     ParseTokenContext(filter.context, "context"));
    context = parsed.ToString();
  }
  TokenPage page;
  ListOptions options{.start_after = std::string(page_token),
                      .limit = page_size};
  int scanned = 0;
  for (;;) {
    ASSIGN_OR_RETURN(ListPage chunk, storage_->List(kTokenRecordKind, options));
    for (const Record& stored : chunk.records) {
      ++scanned;
      ASSIGN_OR_RETURN(TokenRecord record, DecodeAt(stored));
      if ((!context || record.context == *context) &&
          (!filter.state || record.state == *filter.state)) {
        page.tokens.push_back(Public(stored.name, std::move(record)));
      }
      const bool more = &stored != &chunk.records.back() ||
                        chunk.next_start_after.has_value();
      if (static_cast<int>(page.tokens.size()) == page_size ||
          scanned >= kMaxTokensScannedPerList) {
        if (more) page.next_page_token = stored.name;
        return page;
      }
    }
    if (!chunk.next_start_after) return page;
    options.start_after = *chunk.next_start_after;
  }
}

absl::StatusOr<Token> TokenVault::SetState(absl::string_view name,
                                           CredentialState state) {
  return Modify(name,
                [&](TokenRecord& record, DekDelta&) -> absl::StatusOr<bool> {
                  if (record.state == CredentialState::kDestroyed)
                    return Destroyed(name);
                  if (record.state == state) return false;
                  record.state = state;
                  return true;
                });
}

absl::StatusOr<Token> TokenVault::Disable(absl::string_view name) {
  return SetState(name, CredentialState::kDisabled);
}

absl::StatusOr<Token> TokenVault::Enable(absl::string_view name) {
  return SetState(name, CredentialState::kActive);
}

absl::StatusOr<Token> TokenVault::Destroy(absl::string_view name) {
  return Modify(
      name, [&](TokenRecord& record, DekDelta& delta) -> absl::StatusOr<bool> {
        if (record.state == CredentialState::kDestroyed) return false;
        // A damaged header cannot say which counter it was in; the record is
        // destroyed all the same.
        absl::StatusOr<std::uint32_t> dek =
            SealedDataKeyId(record.sealed_secret);
        if (dek.ok()) delta[*dek] -= 1;
        record.state = CredentialState::kDestroyed;
        record.sealed_secret.clear();
        return true;
      });
}

absl::StatusOr<UsableToken> TokenVault::OpenForUse(absl::string_view name) {
  RETURN_IF_ERROR(ValidateCredentialName(name, "name"));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   storage_->Get(kTokenRecordKind, name));
  if (!stored.has_value()) return TokenNotFound(name);
  ASSIGN_OR_RETURN(TokenRecord record, DecodeAt(*stored));
  switch (record.state) {
    case CredentialState::kActive:
      break;
    case CredentialState::kDisabled:
      return absl::FailedPreconditionError(
          absl::StrCat("token \"", name, "\" is disabled"));
    case CredentialState::kDestroyed:
      return Destroyed(name);
  }
  if (record.expire_time.has_value() && *record.expire_time <= clock_->Now()) {
    return absl::FailedPreconditionError(
        absl::StrCat("token \"", name, "\" expired at ",
                     absl::FormatTime(*record.expire_time)));
  }
  if (KsefStatusForbidsUse(record.ksef_status)) {
    return absl::FailedPreconditionError(
        absl::StrCat("token \"", name, "\" is not active in KSeF (",
                     record.ksef_status, ")"));
  }
  absl::StatusOr<SecretBytes> secret = vault::Open(
      *keyring_, record.sealed_secret, PlaceOf(name, record.version));
  if (!secret.ok()) {
    return absl::Status(
        secret.status().code(),
        absl::StrCat("token \"", name, "\": ", secret.status().message()));
  }
  UsableToken usable{.token = Public(name, std::move(record)),
                     .secret = *std::move(secret)};
  return usable;
}

absl::StatusOr<std::pair<Token, Token>> TokenVault::SetKsefStatus(
    absl::string_view name, absl::string_view status, absl::Time seen) {
  RETURN_IF_ERROR(ValidateCredentialName(name, "name"));
  if (status != "Pending" && status != "Active" && status != "Revoking" &&
      status != "Revoked" && status != "Failed") {
    return absl::InvalidArgumentError(
        "status must be one of Pending, Active, Revoking, Revoked, Failed");
  }
  std::optional<Token> before;
  ASSIGN_OR_RETURN(
      Token after,
      Modify(name, [&](TokenRecord& record, DekDelta&) -> absl::StatusOr<bool> {
        TokenRecord copy = record;
        copy.sealed_secret.clear();
        before = Token{.name = std::string(name), .record = copy};
        if (record.state == CredentialState::kDestroyed) return false;
        record.ksef_status = std::string(status);
        record.ksef_status_time = seen;
        return true;
      }));
  return std::make_pair(*std::move(before), std::move(after));
}

absl::StatusOr<std::uint32_t> TokenVault::RotateDataKey() {
  ASSIGN_OR_RETURN(std::uint32_t id, keyring_->Rotate());
  StartReseal();
  return id;
}

absl::StatusOr<std::string> TokenVault::RotateKeyEncryptionKey() {
  return keyring_->RotateKek();
}

absl::StatusOr<VaultStatus> TokenVault::Status() {
  // A rotation another replica made counts here too.
  RETURN_IF_ERROR(keyring_->Refresh());
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadOnly));
  ASSIGN_OR_RETURN(TokenCounters counters, ReadTokenCounters(*txn));
  RETURN_IF_ERROR(txn->Commit());
  const KeyringInfo keyring = keyring_->Info();
  VaultStatus status{
      .current_data_key_id = keyring.current_id,
      .data_key_count = keyring.key_count,
      .token_count = counters.Total(),
      .records_pending_reseal = counters.NotUnder(keyring.current_id),
      .kek_uri = keyring.kek_uri};
  if (status.records_pending_reseal > 0) {
    // Also records another replica sealed under a data key this process's
    // rotation had already moved past: the re-seal takes them up here.
    StartReseal();
  }
  absl::MutexLock lock(&mu_);
  status.reseal_running = reseal_running_;
  status.reseal_error = reseal_error_;
  return status;
}

absl::StatusOr<SealCheck> TokenVault::CheckSeals() {
  SealCheck check;
  ListOptions options{.limit = 500};
  for (;;) {
    ASSIGN_OR_RETURN(ListPage page, storage_->List(kTokenRecordKind, options));
    for (const Record& stored : page.records) {
      absl::StatusOr<TokenRecord> record = DecodeAt(stored);
      if (!record.ok()) {
        check.unreadable.emplace_back(stored.name,
                                      std::string(record.status().message()));
        continue;
      }
      if (record->sealed_secret.empty()) continue;
      ++check.checked;
      absl::StatusOr<SecretBytes> secret =
          vault::Open(*keyring_, record->sealed_secret,
                      PlaceOf(stored.name, record->version));
      if (!secret.ok()) {
        check.unreadable.emplace_back(stored.name,
                                      std::string(secret.status().message()));
      }
    }
    if (!page.next_start_after.has_value()) return check;
    options.start_after = *page.next_start_after;
  }
}

absl::StatusOr<bool> TokenVault::ResealStep() {
  absl::MutexLock step(&reseal_step_mu_);
  RETURN_IF_ERROR(keyring_->Refresh());
  const std::uint32_t current = keyring_->Current().first;
  // Which records of the next page need re-sealing (read-only, no lock).
  ASSIGN_OR_RETURN(
      ListPage page,
      storage_->List(kTokenRecordKind, {.start_after = reseal_cursor_,
                                        .limit = options_.reseal_batch_size}));
  std::vector<std::string> stale;
  for (const Record& stored : page.records) {
    ASSIGN_OR_RETURN(TokenRecord record, DecodeAt(stored));
    if (record.sealed_secret.empty()) continue;
    ASSIGN_OR_RETURN(std::uint32_t dek, SealedDataKeyId(record.sealed_secret));
    if (dek != current) stale.push_back(stored.name);
  }
  if (!stale.empty()) {
    ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
    DekDelta delta;
    for (const std::string& name : stale) {
      // Read again in this transaction: it may have changed meanwhile.
      ASSIGN_OR_RETURN(std::optional<Record> stored,
                       txn->Get(kTokenRecordKind, name));
      if (!stored.has_value()) continue;
      ASSIGN_OR_RETURN(TokenRecord record, DecodeAt(*stored));
      if (record.sealed_secret.empty()) continue;
      ASSIGN_OR_RETURN(std::uint32_t dek,
                       SealedDataKeyId(record.sealed_secret));
      if (dek == current) continue;
      const SealedPlace place = PlaceOf(name, record.version);
      ASSIGN_OR_RETURN(SecretBytes secret,
                       vault::Open(*keyring_, record.sealed_secret, place));
      ASSIGN_OR_RETURN(record.sealed_secret,
                       Seal(*keyring_, SecretView(secret), place));
      ASSIGN_OR_RETURN(std::uint32_t now_dek,
                       SealedDataKeyId(record.sealed_secret));
      RETURN_IF_ERROR(txn->Update(kTokenRecordKind, name, stored->version,
                                  EncodeTokenRecord(record))
                          .status());
      delta[dek] -= 1;
      delta[now_dek] += 1;
    }
    if (!delta.empty()) RETURN_IF_ERROR(AddToTokenCounters(*txn, delta));
    SEJF_CRASH_POINT(crash_points::kResealBeforeBatchCommit);
    RETURN_IF_ERROR(txn->Commit());
    SEJF_CRASH_POINT(crash_points::kResealAfterBatchCommit);
    resealed_this_pass_ += static_cast<std::int64_t>(stale.size());
  }
  if (page.next_start_after.has_value()) {
    reseal_cursor_ = *page.next_start_after;
    return true;
  }
  // The end of a pass. Another pass only when this one found work and some
  // is still counted as pending (records written under an old key meanwhile,
  // e.g. by another process that had not yet seen the new key).
  reseal_cursor_.clear();
  const bool found_work = resealed_this_pass_ > 0;
  resealed_this_pass_ = 0;
  if (!found_work) return false;
  ASSIGN_OR_RETURN(VaultStatus status, Status());
  return status.records_pending_reseal > 0;
}

void TokenVault::StartReseal() {
  if (!options_.background_reseal) return;
  absl::MutexLock thread_lock(&thread_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || reseal_running_) return;
    reseal_running_ = true;
    reseal_error_.clear();
  }
  if (reseal_thread_.joinable()) reseal_thread_.join();  // a finished one
  reseal_thread_ = std::thread([this] { ResealLoop(); });
}

void TokenVault::ResealLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    absl::StatusOr<bool> more = ResealStep();
    if (more.ok() && !*more) break;
    if (!more.ok()) {
      absl::MutexLock lock(&mu_);
      reseal_error_ = std::string(more.status().ToString());
      mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                           options_.reseal_retry_delay);
    }
  }
  absl::MutexLock lock(&mu_);
  reseal_running_ = false;
}

void TokenVault::WaitForReseal() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](bool* running) { return !*running; }, &reseal_running_));
}

}  // namespace sejf::vault
