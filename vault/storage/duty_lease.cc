#include "vault/storage/duty_lease.h"

#include <unistd.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace sejf::vault {
namespace {

struct LeaseRecord {
  std::string holder;
  std::int64_t expires_us = 0;
};

std::string Encode(const LeaseRecord& lease) {
  return nlohmann::json{
      {"format", 1}, {"holder", lease.holder}, {"expires_us", lease.expires_us}}
      .dump();
}

// std::nullopt when `data` is not a lease this code wrote.
std::optional<LeaseRecord> Decode(absl::string_view data) {
  nlohmann::json json = nlohmann::json::parse(data, nullptr, false);
  if (!json.is_object() || json.value("format", 0) != 1 ||
      !json.contains("holder") || !json["holder"].is_string() ||
      !json.contains("expires_us") || !json["expires_us"].is_number_integer()) {
    return std::nullopt;
  }
  return LeaseRecord{.holder = json["holder"].get<std::string>(),
                     .expires_us = json["expires_us"].get<std::int64_t>()};
}

}  // namespace

DutyLease::DutyLease(Storage* storage, const Clock* clock, std::string duty,
                     std::string holder, absl::Duration ttl)
    : storage_(storage),
      clock_(clock),
      duty_(std::move(duty)),
      holder_(std::move(holder)),
      ttl_(ttl) {}

absl::StatusOr<bool> DutyLease::TryHold() {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn->Get(kDutyLeaseKind, duty_));
  const absl::Time now = clock_->Now();
  const std::string renewed =
      Encode({.holder = holder_, .expires_us = absl::ToUnixMicros(now + ttl_)});
  if (!stored) {
    RETURN_IF_ERROR(txn->Insert(kDutyLeaseKind, duty_, renewed).status());
  } else {
    std::optional<LeaseRecord> lease = Decode(stored->data);
    if (lease && lease->holder != holder_ &&
        absl::FromUnixMicros(lease->expires_us) > now) {
      return false;  // another holder's lease runs
    }
    RETURN_IF_ERROR(
        txn->Update(kDutyLeaseKind, duty_, stored->version, renewed).status());
  }
  RETURN_IF_ERROR(txn->Commit());
  return true;
}

absl::StatusOr<bool> DutyLease::Renew() {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn->Get(kDutyLeaseKind, duty_));
  if (!stored) return false;
  std::optional<LeaseRecord> lease = Decode(stored->data);
  if (!lease || lease->holder != holder_) return false;
  RETURN_IF_ERROR(
      txn->Update(
             kDutyLeaseKind, duty_, stored->version,
             Encode({.holder = holder_,
                     .expires_us = absl::ToUnixMicros(clock_->Now() + ttl_)}))
          .status());
  RETURN_IF_ERROR(txn->Commit());
  return true;
}

absl::Status DutyLease::Release() {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn->Get(kDutyLeaseKind, duty_));
  if (!stored) return absl::OkStatus();
  std::optional<LeaseRecord> lease = Decode(stored->data);
  if (!lease || lease->holder != holder_) return absl::OkStatus();
  RETURN_IF_ERROR(txn->Delete(kDutyLeaseKind, duty_, stored->version));
  return txn->Commit();
}

std::string DutyLease::NewHolderId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] != '\0' ? host : "unknown-host", "/", getpid(),
                      "/", absl::BytesToHexString(RandomBytes(8)));
}

}  // namespace sejf::vault
