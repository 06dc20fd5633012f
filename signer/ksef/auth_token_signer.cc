#include "signer/ksef/auth_token_signer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "signer/x509/certificate_usage.h"

namespace sejf::signer {
namespace {

// now − skew in whole seconds, but not before `not_before` (whole seconds
// too: X.509 times have no fractions).
absl::Time SigningTime(absl::Time now, absl::Duration skew,
                       absl::Time not_before) {
  const absl::Time t = absl::FromUnixSeconds(absl::ToUnixSeconds(now - skew));
  return std::max(t, not_before);
}

}  // namespace

AuthTokenSigner::AuthTokenSigner(KeyCustody* custody, const Clock* clock,
                                 AuthTokenSignerOptions options)
    : custody_(custody), clock_(clock), options_(options) {}

absl::StatusOr<std::shared_ptr<const AuthTokenSigner::CachedCertificate>>
AuthTokenSigner::CertificateOf(const Key& key) {
  const std::string& der = key.record.certificate->der;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(der);
    if (it != cache_.end() &&
        it->second->key_spki_der == key.record.public_key_der) {
      return it->second;
    }
  }
  absl::StatusOr<XadesCertificate> certificate = XadesCertificate::Create(der);
  absl::Status usable = certificate.status();
  if (usable.ok()) {
    usable =
        CheckCertificateFitsKey(certificate->info(), key.record.public_key_der,
                                CertificateUsage::kAuthentication);
  }
  if (!usable.ok()) {
    if (usable.code() == absl::StatusCode::kInternal) return usable;
    return absl::FailedPreconditionError(
        absl::StrCat("certificate of key ", key.name,
                     " cannot be used: ", usable.message()));
  }
  auto entry = std::make_shared<const CachedCertificate>(
      CachedCertificate{key.record.public_key_der, *std::move(certificate)});
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCachedCertificates) cache_.clear();
  cache_[der] = entry;
  return entry;
}

namespace {

AuthTokenRequest RequestOf(const AuthTokenSignParams& params) {
  AuthTokenRequest request;
  request.challenge = params.challenge;
  request.context = params.context;
  request.subject_type = params.subject_type;
  request.allowed_ips = params.allowed_ips;
  request.ns = params.ns;
  return request;
}

}  // namespace

absl::Status AuthTokenSigner::CheckRequest(
    const AuthTokenSignParams& params) const {
  return ValidateAuthTokenRequest(RequestOf(params), clock_->Now());
}

absl::StatusOr<SignedAuthTokenRequest> AuthTokenSigner::Sign(
    const AuthTokenSignParams& params) {
  const absl::Time now = clock_->Now();
  const AuthTokenRequest request = RequestOf(params);
  RETURN_IF_ERROR(ValidateAuthTokenRequest(request, now));

  // Held in its StatusOr, not moved out (GCC 12 misreads the move of the
  // optional certificate as uninitialized).
  const absl::StatusOr<UsableKey> found =
      custody_->UsableFor(params.key_name, vault::KeyUsage::kAuthentication);
  if (!found.ok()) return found.status();
  const UsableKey& usable = *found;
  const Key& key = usable.key();
  ASSIGN_OR_RETURN(std::shared_ptr<const CachedCertificate> cert,
                   CertificateOf(key));

  const hsm::SignatureScheme scheme = cert->certificate.scheme();
  if (!hsm::SchemeFitsAlgorithm(scheme, usable.algorithm())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "certificate of key ", key.name, " is for another kind of key than ",
        key.record.algorithm));
  }
  std::string content;
  content.reserve(512);
  AppendAuthTokenRequestContent(request, &content);
  SignedAuthTokenRequest out;
  out.signing_time = SigningTime(now, options_.signing_time_skew,
                                 key.record.certificate->not_before);
  ASSIGN_OR_RETURN(
      out.xml,
      SignEnvelopedXades(content, kAuthTokenRequestEnd, cert->certificate,
                         out.signing_time, [&](absl::string_view data) {
                           return custody_->Sign(usable, scheme, data);
                         }));
  out.certificate_sha256_fingerprint =
      cert->certificate.info().sha256_fingerprint;
  return out;
}

}  // namespace sejf::signer
