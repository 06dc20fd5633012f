// FakeKsefApi's token endpoints (issue 14): POST /tokens, GET and DELETE
// /tokens/{ref}, in memory.
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "broker/sessions/testing/fake_ksef_api.h"
#include "common/status_macros.h"

namespace sejf::broker::testing {
namespace {

std::string RandomHex(int bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return absl::BytesToHexString(raw);
}

}  // namespace

void FakeKsefApi::SetTokenContext(std::string type, std::string value) {
  absl::MutexLock lock(&mu_);
  token_context_type_ = std::move(type);
  token_context_value_ = std::move(value);
}

void FakeKsefApi::SetTokenPendingPolls(int polls) {
  absl::MutexLock lock(&mu_);
  token_pending_polls_ = polls;
}

void FakeKsefApi::SetTokenStatus(absl::string_view reference,
                                 std::string status) {
  absl::MutexLock lock(&mu_);
  auto it = minted_.find(reference);
  if (it == minted_.end()) return;
  it->second.status = std::move(status);
  it->second.polls_left = 0;
  auto& accepted = accepted_tokens_;
  accepted.erase(
      std::remove(accepted.begin(), accepted.end(), it->second.secret),
      accepted.end());
  if (it->second.status == "Active") accepted.push_back(it->second.secret);
}

std::string FakeKsefApi::MintedToken(absl::string_view reference) const {
  absl::MutexLock lock(&mu_);
  auto it = minted_.find(reference);
  return it == minted_.end() ? "" : it->second.secret;
}

absl::Status FakeKsefApi::CheckAccess(absl::string_view endpoint,
                                      const SecretBytes& bearer) const {
  auto it = access_tokens_.find(std::string(SecretView(bearer)));
  if (it == access_tokens_.end() || it->second.second <= clock_->Now()) {
    return KsefHttpError(endpoint, 401);
  }
  return absl::OkStatus();
}

absl::StatusOr<GeneratedKsefToken> FakeKsefApi::GenerateToken(
    const SecretBytes& access_token, const KsefTokenRequest& request) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kGenerateToken); !injected.ok()) {
    return injected;
  }
  RETURN_IF_ERROR(CheckAccess(kGenerateToken, access_token));
  if (request.permissions.empty() || request.description.size() < 5 ||
      request.description.size() > 256) {
    return KsefHttpError(kGenerateToken, 400, {21405});
  }
  const absl::Time now = clock_->Now();
  ++counter_;
  MintedKsefToken minted;
  minted.reference = absl::StrFormat(
      "%s-EC-%010X-%s-%02X",
      absl::FormatTime("%Y%m%d", now, absl::UTCTimeZone()), counter_,
      absl::AsciiStrToUpper(RandomHex(5)), counter_ % 256);
  minted.secret = absl::StrCat(minted.reference, "|",
                               absl::AsciiStrToLower(token_context_type_), "-",
                               token_context_value_, "|", RandomHex(32));
  minted.request = request;
  minted.status = token_pending_polls_ > 0 ? "Pending" : "Active";
  minted.polls_left = token_pending_polls_;
  minted.created = now;
  if (minted.status == "Active") accepted_tokens_.push_back(minted.secret);
  issued_.push_back(minted.secret);
  GeneratedKsefToken out{.reference_number = minted.reference,
                         .token = SecretFromView(minted.secret)};
  minted_[minted.reference] = std::move(minted);
  return out;
}

absl::StatusOr<KsefTokenStatus> FakeKsefApi::GetToken(
    const SecretBytes& access_token, absl::string_view reference_number) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kGetToken); !injected.ok()) {
    return injected;
  }
  RETURN_IF_ERROR(CheckAccess(kGetToken, access_token));
  auto it = minted_.find(reference_number);
  if (it == minted_.end()) return KsefHttpError(kGetToken, 400, {21405});
  MintedKsefToken& minted = it->second;
  if (minted.status == "Pending" && --minted.polls_left <= 0) {
    minted.status = "Active";
    accepted_tokens_.push_back(minted.secret);
  } else if (minted.status == "Revoking") {
    minted.status = "Revoked";
  }
  return KsefTokenStatus{.reference_number = minted.reference,
                         .status = minted.status,
                         .context_type = token_context_type_,
                         .context_value = token_context_value_,
                         .permissions = minted.request.permissions,
                         .description = minted.request.description,
                         .date_created = minted.created};
}

absl::Status FakeKsefApi::RevokeToken(const SecretBytes& access_token,
                                      absl::string_view reference_number) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kRevokeToken); !injected.ok()) {
    return injected;
  }
  RETURN_IF_ERROR(CheckAccess(kRevokeToken, access_token));
  auto it = minted_.find(reference_number);
  if (it == minted_.end()) return KsefHttpError(kRevokeToken, 400, {21405});
  it->second.status = "Revoking";
  auto& accepted = accepted_tokens_;
  accepted.erase(
      std::remove(accepted.begin(), accepted.end(), it->second.secret),
      accepted.end());
  return absl::OkStatus();
}

}  // namespace sejf::broker::testing
