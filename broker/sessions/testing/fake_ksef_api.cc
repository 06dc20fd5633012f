#include "broker/sessions/testing/fake_ksef_api.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "broker/ksef_api/ksef_error.h"
#include "common/openssl_ptr.h"
#include "nlohmann/json.hpp"

namespace sejf::broker::testing {
namespace {

std::string Hex(int bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return absl::BytesToHexString(raw);
}

std::string Day(absl::Time t) {
  return absl::FormatTime("%Y%m%d", t, absl::UTCTimeZone());
}

// RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) decryption with OpenSSL, as
// KSeF does it; nullopt when it fails.
std::optional<std::string> OaepDecrypt(const std::string& private_key_pem,
                                       const std::string& ciphertext) {
  BioPtr bio(BIO_new_mem_buf(private_key_pem.data(),
                             static_cast<int>(private_key_pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return std::nullopt;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0) {
    return std::nullopt;
  }
  const auto* in = reinterpret_cast<const unsigned char*>(ciphertext.data());
  std::size_t size = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &size, in, ciphertext.size()) <= 0) {
    return std::nullopt;
  }
  std::string out(size, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                       &size, in, ciphertext.size()) <= 0) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

}  // namespace

absl::Status KsefHttpError(absl::string_view endpoint, int http_status,
                           std::vector<int> codes, absl::Duration retry_after) {
  KsefError error{.http_status = http_status, .exception_codes = codes};
  std::string message = absl::StrCat(endpoint, ": HTTP ", http_status);
  if (!codes.empty()) {
    absl::StrAppend(&message, " exception ", absl::StrJoin(codes, ","));
  }
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  if (http_status == 400 || http_status == 410) {
    code = absl::StatusCode::kFailedPrecondition;
  } else if (http_status == 401 || http_status == 403) {
    code = absl::StatusCode::kPermissionDenied;
  } else if (http_status == 429) {
    code = absl::StatusCode::kResourceExhausted;
    error.retry_after = retry_after;
  } else if (http_status == 503 && retry_after > absl::ZeroDuration()) {
    error.retry_after = retry_after;  // KSeF did not take it
  } else if (http_status == 0 || http_status >= 500) {
    // The real client's rule (ksef_http_api.h): a request that makes
    // something in KSeF and got no usable answer has an unknown outcome.
    for (absl::string_view makes :
         {kXades, kKsefToken, kRedeem, kGenerateToken, kCertEnroll}) {
      error.outcome_unknown = error.outcome_unknown || endpoint == makes;
    }
  }
  return WithKsefError(absl::Status(code, message), error);
}

FakeKsefApi::FakeKsefApi(const Clock* clock) : clock_(clock) {}
FakeKsefApi::~FakeKsefApi() = default;

void FakeKsefApi::SetLifetimes(absl::Duration access, absl::Duration refresh) {
  absl::MutexLock lock(&mu_);
  access_lifetime_ = access;
  refresh_lifetime_ = refresh;
}

void FakeKsefApi::SetStatusScript(std::vector<int> codes) {
  absl::MutexLock lock(&mu_);
  script_ = std::move(codes);
}

void FakeKsefApi::QueueStatusScript(std::vector<int> codes) {
  absl::MutexLock lock(&mu_);
  queued_scripts_.push_back(std::move(codes));
}

void FakeKsefApi::SetStatusDetail(std::string description,
                                  std::vector<std::string> details) {
  absl::MutexLock lock(&mu_);
  status_description_ = std::move(description);
  status_details_ = std::move(details);
}

void FakeKsefApi::AcceptKsefToken(std::string token) {
  absl::MutexLock lock(&mu_);
  accepted_tokens_.push_back(std::move(token));
}

void FakeKsefApi::SetMinistryKeys(std::vector<MinistryKey> keys,
                                  std::string certificate_list) {
  absl::MutexLock lock(&mu_);
  ministry_keys_ = std::move(keys);
  certificate_list_ = std::move(certificate_list);
}

void FakeKsefApi::Inject(absl::string_view endpoint, absl::Status status,
                         int times) {
  absl::MutexLock lock(&mu_);
  auto& queue = injected_[std::string(endpoint)];
  for (int i = 0; i < times; ++i) queue.push_back(status);
}

void FakeKsefApi::OnRefresh(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  on_refresh_ = std::move(hook);
}

int FakeKsefApi::Calls(absl::string_view endpoint) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(endpoint);
  return it == calls_.end() ? 0 : it->second;
}

std::vector<std::string> FakeKsefApi::SubmittedXades() const {
  absl::MutexLock lock(&mu_);
  return xades_;
}

std::vector<std::string> FakeKsefApi::DecryptedTokens() const {
  absl::MutexLock lock(&mu_);
  return decrypted_;
}

std::vector<std::string> FakeKsefApi::IssuedTokens() const {
  absl::MutexLock lock(&mu_);
  return issued_;
}

void FakeKsefApi::RevokeAllSessions() {
  absl::MutexLock lock(&mu_);
  for (Session& s : sessions_) s.closed = true;
}

absl::Status FakeKsefApi::Enter(absl::string_view endpoint) {
  calls_[std::string(endpoint)] += 1;
  auto it = injected_.find(endpoint);
  if (it == injected_.end() || it->second.empty()) return absl::OkStatus();
  absl::Status status = it->second.front();
  it->second.pop_front();
  return status;
}

std::string FakeKsefApi::NewToken(absl::string_view kind) {
  std::string token =
      absl::StrCat("eyJ.fake-", kind, "-", ++counter_, ".", Hex(16));
  issued_.push_back(token);
  return token;
}

absl::Status FakeKsefApi::UseChallenge(absl::string_view endpoint,
                                       absl::string_view challenge) {
  if (challenges_.erase(std::string(challenge)) == 0) {
    return KsefHttpError(endpoint, 400, {21111});
  }
  return absl::OkStatus();
}

AuthInit FakeKsefApi::StartOperation(int forced_status) {
  const absl::Time now = clock_->Now();
  Operation op;
  ++counter_;
  op.reference = absl::StrFormat("%s-AU-%010X-%s-%02X", Day(now), counter_,
                                 absl::AsciiStrToUpper(Hex(5)), counter_ % 256);
  op.auth_token = NewToken("auth");
  op.script = script_;
  if (!queued_scripts_.empty()) {
    op.script = std::move(queued_scripts_.front());
    queued_scripts_.pop_front();
  }
  op.forced_status = forced_status;
  operations_.push_back(op);
  return AuthInit{
      .reference_number = op.reference,
      .authentication_token = {.token = SecretFromView(op.auth_token),
                               .valid_until = now + absl::Minutes(45)}};
}

absl::StatusOr<AuthChallenge> FakeKsefApi::Challenge() {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kChallenge); !injected.ok())
    return injected;
  const absl::Time now = clock_->Now();
  ++counter_;
  std::string challenge =
      absl::StrFormat("%s-CR-%010X-%s-%02X", Day(now), counter_,
                      absl::AsciiStrToUpper(Hex(5)), counter_ % 256);
  const std::int64_t ms = absl::ToUnixMillis(now);
  challenges_[challenge] = ms;
  return AuthChallenge{.challenge = challenge,
                       .timestamp = now,
                       .timestamp_ms = ms,
                       .client_ip = "127.0.0.1"};
}

absl::StatusOr<AuthInit> FakeKsefApi::SubmitXadesSignature(
    absl::string_view signed_xml) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kXades); !injected.ok()) return injected;
  xades_.push_back(std::string(signed_xml));
  constexpr absl::string_view kOpen = "<Challenge>";
  const std::size_t begin = signed_xml.find(kOpen);
  const std::size_t end = signed_xml.find("</Challenge>");
  if (begin == absl::string_view::npos || end == absl::string_view::npos) {
    return KsefHttpError(kXades, 400, {21401});
  }
  if (absl::Status used = UseChallenge(
          kXades,
          signed_xml.substr(begin + kOpen.size(), end - begin - kOpen.size()));
      !used.ok()) {
    return used;
  }
  return StartOperation(0);
}

absl::StatusOr<AuthInit> FakeKsefApi::SubmitKsefToken(
    absl::string_view request_json) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kKsefToken); !injected.ok()) {
    return injected;
  }
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(request_json.begin(), request_json.end());
  } catch (const std::exception&) {
    return KsefHttpError(kKsefToken, 400, {21405});
  }
  const std::string challenge = body.value("challenge", "");
  auto known = challenges_.find(challenge);
  if (known == challenges_.end())
    return KsefHttpError(kKsefToken, 400, {21111});
  const std::int64_t timestamp_ms = known->second;
  const std::string key_id = body.value("publicKeyId", "");
  const MinistryKey* key = nullptr;
  for (const MinistryKey& k : ministry_keys_) {
    if (k.public_key_id == key_id) key = &k;
  }
  if (key == nullptr) return KsefHttpError(kKsefToken, 400, {21470});
  challenges_.erase(known);
  std::string ciphertext;
  int forced = 450;
  if (absl::Base64Unescape(body.value("encryptedToken", ""), &ciphertext)) {
    std::optional<std::string> plain =
        OaepDecrypt(key->private_key_pem, ciphertext);
    if (plain) {
      decrypted_.push_back(*plain);
      for (const std::string& token : accepted_tokens_) {
        if (*plain == absl::StrCat(token, "|", timestamp_ms)) forced = 0;
      }
    }
  }
  return StartOperation(forced);
}

absl::StatusOr<AuthOperationStatus> FakeKsefApi::GetAuthStatus(
    const SecretBytes& authentication_token,
    absl::string_view reference_number) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kAuthStatus); !injected.ok()) {
    return injected;
  }
  for (Operation& op : operations_) {
    if (op.reference != reference_number) continue;
    if (op.auth_token != SecretView(authentication_token)) {
      return KsefHttpError(kAuthStatus, 401);
    }
    int code = op.forced_status;
    if (code == 0) {
      code = op.script[std::min(op.polls, op.script.size() - 1)];
      ++op.polls;
    }
    if (code == 200) op.succeeded = true;
    AuthOperationStatus status;
    status.code = code;
    if (code != 100 && code != 200) {
      status.description = status_description_;
      status.details = status_details_;
    }
    return status;
  }
  return KsefHttpError(kAuthStatus, 400, {21304});
}

absl::StatusOr<AuthTokens> FakeKsefApi::Redeem(
    const SecretBytes& authentication_token) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kRedeem); !injected.ok()) return injected;
  for (Operation& op : operations_) {
    if (op.auth_token != SecretView(authentication_token)) continue;
    if (!op.succeeded || op.redeemed)
      return KsefHttpError(kRedeem, 400, {21301});
    op.redeemed = true;
    const absl::Time now = clock_->Now();
    Session session{.refresh_token = NewToken("refresh"),
                    .refresh_until = now + refresh_lifetime_};
    const std::string access = NewToken("access");
    sessions_.push_back(session);
    access_tokens_[access] = {sessions_.size() - 1, now + access_lifetime_};
    return AuthTokens{
        .access_token = {.token = SecretFromView(access),
                         .valid_until = now + access_lifetime_},
        .refresh_token = {.token = SecretFromView(session.refresh_token),
                          .valid_until = session.refresh_until}};
  }
  return KsefHttpError(kRedeem, 401);
}

absl::StatusOr<KsefBearer> FakeKsefApi::Refresh(
    const SecretBytes& refresh_token) {
  std::function<void()> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = on_refresh_;
  }
  if (hook) hook();
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kRefresh); !injected.ok()) return injected;
  const absl::Time now = clock_->Now();
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    const Session& s = sessions_[i];
    if (s.refresh_token != SecretView(refresh_token)) continue;
    if (s.closed || s.refresh_until <= now) {
      return KsefHttpError(kRefresh, 400, {21301});
    }
    const std::string access = NewToken("access");
    access_tokens_[access] = {i, now + access_lifetime_};
    return KsefBearer{.token = SecretFromView(access),
                      .valid_until = now + access_lifetime_};
  }
  return KsefHttpError(kRefresh, 401);
}

absl::Status FakeKsefApi::CloseCurrentSession(const SecretBytes& bearer) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kCloseSession); !injected.ok()) {
    return injected;
  }
  const absl::Time now = clock_->Now();
  for (Session& s : sessions_) {
    if (s.refresh_token == SecretView(bearer) && s.refresh_until > now &&
        !s.closed) {
      s.closed = true;
      return absl::OkStatus();
    }
  }
  auto it = access_tokens_.find(std::string(SecretView(bearer)));
  if (it != access_tokens_.end() && it->second.second > now) {
    sessions_[it->second.first].closed = true;
    return absl::OkStatus();
  }
  return KsefHttpError(kCloseSession, 401);
}

absl::StatusOr<std::string> FakeKsefApi::PublicKeyCertificates() {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Enter(kPublicKeys); !injected.ok()) {
    return injected;
  }
  return certificate_list_;
}

absl::StatusOr<KsefApi*> FakeKsefApiDirectory::For(
    absl::string_view environment) {
  auto it = apis_.find(environment);
  if (it == apis_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("KSeF environment \"", environment,
                     "\" has no API address: set [ksef.environments.",
                     environment, "] api_url"));
  }
  return it->second;
}

}  // namespace sejf::broker::testing
