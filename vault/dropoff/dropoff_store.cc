#include "vault/dropoff/dropoff_store.h"

#include <sodium.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ksef_context.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "vault/records/credential_name.h"
#include "vault/records/token_record.h"

namespace sejf::vault {
namespace {

constexpr std::size_t kIdBytes = 8;
constexpr std::size_t kSecretBytes = 16;  // 128 bits

std::string Sha256(const SecretBytes& secret) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     secret.data(), secret.size());
  return out;
}

absl::Status NoSuchLink() {
  return absl::NotFoundError("no such drop-off link");
}

absl::Status NotPending(DropoffState state) {
  switch (state) {
    case DropoffState::kUsed:
      return absl::FailedPreconditionError(
          "this drop-off link has already been used");
    case DropoffState::kCancelled:
      return absl::FailedPreconditionError(
          "this drop-off link has been cancelled");
    case DropoffState::kExpired:
      return absl::FailedPreconditionError("this drop-off link has expired");
    case DropoffState::kLocked:
      return absl::FailedPreconditionError(
          "this drop-off link is locked after too many wrong secrets");
    case DropoffState::kPending:
      break;
  }
  return absl::OkStatus();
}

// The record read in `txn` with its version; NOT_FOUND when absent.
absl::StatusOr<std::pair<DropoffRecord, std::int64_t>> ReadRecord(
    Transaction& txn, absl::string_view id) {
  if (!IsDropoffId(id)) return NoSuchLink();
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn.Get(kDropoffRecordKind, id));
  if (!stored) return NoSuchLink();
  ASSIGN_OR_RETURN(DropoffRecord record, DecodeDropoffRecord(stored->data));
  return std::make_pair(std::move(record), stored->version);
}

}  // namespace

bool IsDropoffId(absl::string_view id) {
  if (id.size() != 2 * kIdBytes) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

DropoffStore::DropoffStore(Storage* storage, const Clock* clock,
                           DropoffOptions options)
    : storage_(storage), clock_(clock), options_(options) {}

absl::Status DropoffStore::CheckRequest(const DropoffRequest& request) const {
  return NewRecord(request, clock_->Now()).status();
}

absl::StatusOr<DropoffRecord> DropoffStore::NewRecord(
    const DropoffRequest& request, absl::Time now) const {
  DropoffRecord record;
  record.target = request.target;
  RETURN_IF_ERROR(ValidateCredentialName(
      request.target_name,
      request.target == DropoffTarget::kToken ? "token_name" : "key_name"));
  record.target_name = request.target_name;
  if (request.target == DropoffTarget::kToken) {
    ASSIGN_OR_RETURN(KsefContext context,
                     ParseTokenContext(request.context, "context"));
    record.context = context.ToString();
    if (!request.key_usage.empty()) {
      return absl::InvalidArgumentError(
          "usage: only a key drop-off takes a usage");
    }
  } else {
    if (!request.context.empty()) {
      ASSIGN_OR_RETURN(KsefContext context,
                       ParseKsefContext(request.context, "context"));
      record.context = context.ToString();
    }
    if (!request.key_usage.empty() && request.key_usage != "authentication" &&
        request.key_usage != "offline") {
      return absl::InvalidArgumentError(
          "usage: must be authentication or offline");
    }
    record.key_usage = request.key_usage;
  }
  if (request.lifetime < kMinDropoffLifetime ||
      request.lifetime > options_.max_lifetime) {
    return absl::InvalidArgumentError(
        absl::StrCat("expires: a drop-off link lives between ",
                     absl::FormatDuration(kMinDropoffLifetime), " and ",
                     absl::FormatDuration(options_.max_lifetime)));
  }
  record.created_by = request.created_by;
  record.create_time = now;
  record.expire_time = now + request.lifetime;
  return record;
}

absl::StatusOr<NewDropoff> DropoffStore::Create(const DropoffRequest& request) {
  ASSIGN_OR_RETURN(DropoffRecord record, NewRecord(request, clock_->Now()));
  NewDropoff out;
  const std::string raw = RandomBytes(kSecretBytes);
  std::string text = absl::WebSafeBase64Escape(raw);  // unpadded
  out.secret = SecretFromView(text);
  sodium_memzero(text.data(), text.size());
  sodium_memzero(const_cast<char*>(raw.data()), raw.size());
  record.secret_sha256 = Sha256(out.secret);

  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  std::string id = RandomHex(kIdBytes);
  RETURN_IF_ERROR(
      txn->Insert(kDropoffRecordKind, id, EncodeDropoffRecord(record))
          .status());
  RETURN_IF_ERROR(txn->Commit());
  out.dropoff = {.id = std::move(id), .record = std::move(record)};
  return out;
}

absl::StatusOr<Dropoff> DropoffStore::Get(absl::string_view id) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadOnly));
  ASSIGN_OR_RETURN(auto found, ReadRecord(*txn, id));
  Dropoff dropoff{.id = std::string(id), .record = std::move(found.first)};
  if (dropoff.record.state == DropoffState::kPending &&
      clock_->Now() >= dropoff.record.expire_time) {
    dropoff.record.state = DropoffState::kExpired;
  }
  return dropoff;
}

absl::StatusOr<std::vector<Dropoff>> DropoffStore::List() {
  std::vector<Dropoff> out;
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadOnly));
  ListOptions options;
  while (out.size() < static_cast<std::size_t>(kMaxDropoffsListed)) {
    ASSIGN_OR_RETURN(ListPage page, txn->List(kDropoffRecordKind, options));
    for (Record& stored : page.records) {
      ASSIGN_OR_RETURN(DropoffRecord record, DecodeDropoffRecord(stored.data));
      if (record.state == DropoffState::kPending && now >= record.expire_time) {
        record.state = DropoffState::kExpired;
      }
      out.push_back({.id = stored.name, .record = std::move(record)});
      if (out.size() >= static_cast<std::size_t>(kMaxDropoffsListed)) break;
    }
    if (!page.next_start_after) break;
    options.start_after = *page.next_start_after;
  }
  return out;
}

absl::StatusOr<Dropoff> DropoffStore::Cancel(absl::string_view id) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(auto found, ReadRecord(*txn, id));
  DropoffRecord& record = found.first;
  const absl::Time now = clock_->Now();
  if (record.state == DropoffState::kPending && now >= record.expire_time) {
    record.state = DropoffState::kExpired;
  }
  RETURN_IF_ERROR(NotPending(record.state));
  record.state = DropoffState::kCancelled;
  record.finish_time = now;
  RETURN_IF_ERROR(txn->Update(kDropoffRecordKind, id, found.second,
                              EncodeDropoffRecord(record))
                      .status());
  RETURN_IF_ERROR(txn->Commit());
  return Dropoff{.id = std::string(id), .record = std::move(record)};
}

absl::StatusOr<Dropoff> DropoffStore::CheckAndMaybeClaim(
    absl::string_view id, const SecretBytes& secret, bool claim) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(auto found, ReadRecord(*txn, id));
  DropoffRecord& record = found.first;
  RETURN_IF_ERROR(NotPending(record.state));
  const absl::Time now = clock_->Now();
  // Every refusal below that changes the record stores it first.
  auto store = [&]() -> absl::Status {
    RETURN_IF_ERROR(txn->Update(kDropoffRecordKind, id, found.second,
                                EncodeDropoffRecord(record))
                        .status());
    return txn->Commit();
  };
  if (now >= record.expire_time) {
    record.state = DropoffState::kExpired;
    record.finish_time = now;
    RETURN_IF_ERROR(store());
    return NotPending(DropoffState::kExpired);
  }
  if (record.last_failure_time &&
      now < *record.last_failure_time + options_.failure_delay) {
    return absl::ResourceExhaustedError(
        "too many attempts: wait a moment before trying again");
  }
  const std::string hash = Sha256(secret);
  if (hash.size() != record.secret_sha256.size() ||
      sodium_memcmp(hash.data(), record.secret_sha256.data(), hash.size()) !=
          0) {
    ++record.attempts;
    record.last_failure_time = now;
    const std::int64_t left = options_.max_failed_attempts - record.attempts;
    if (left <= 0) {
      record.state = DropoffState::kLocked;
      record.finish_time = now;
    }
    RETURN_IF_ERROR(store());
    if (left <= 0) return NotPending(DropoffState::kLocked);
    return absl::PermissionDeniedError(
        absl::StrCat("the link's secret is wrong (", left,
                     left == 1 ? " attempt" : " attempts", " left)"));
  }
  if (claim) {
    record.state = DropoffState::kUsed;
    record.finish_time = now;
    RETURN_IF_ERROR(store());
  }
  return Dropoff{.id = std::string(id), .record = std::move(record)};
}

absl::StatusOr<Dropoff> DropoffStore::Check(absl::string_view id,
                                            const SecretBytes& secret) {
  return CheckAndMaybeClaim(id, secret, /*claim=*/false);
}

absl::StatusOr<Dropoff> DropoffStore::Redeem(
    absl::string_view id, const SecretBytes& secret,
    const std::function<absl::Status(const Dropoff&)>& deliver) {
  ASSIGN_OR_RETURN(Dropoff claimed,
                   CheckAndMaybeClaim(id, secret, /*claim=*/true));
  absl::Status delivered = deliver(claimed);
  if (delivered.ok()) return claimed;
  // Released back to pending so the person can try again; a failure to
  // release leaves the link used (the safe side) and is not reported over
  // deliver's own error.
  absl::StatusOr<std::unique_ptr<Transaction>> txn =
      storage_->Begin(TransactionMode::kReadWrite);
  if (txn.ok()) {
    absl::StatusOr<std::pair<DropoffRecord, std::int64_t>> found =
        ReadRecord(**txn, id);
    if (found.ok() && found->first.state == DropoffState::kUsed) {
      found->first.state = DropoffState::kPending;
      found->first.finish_time.reset();
      if ((*txn)
              ->Update(kDropoffRecordKind, id, found->second,
                       EncodeDropoffRecord(found->first))
              .ok()) {
        (*txn)->Commit().IgnoreError();
      }
    }
  }
  return delivered;
}

}  // namespace sejf::vault
