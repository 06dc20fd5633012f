// The KSeF XAdES login document, signed by a key in custody: the domain
// operation behind `sejf auth xades` / KsefAuth.SignAuthTokenRequest.
//
//   AuthTokenSigner signer(&custody, &clock);
//   ASSIGN_OR_RETURN(SignedAuthTokenRequest signed_request,
//                    signer.Sign({.key_name = "acme-auth",
//                                 .challenge = challenge,
//                                 .context = context}));
//   // POST signed_request.xml to /auth/xades-signature, byte for byte.
//
// The document is AuthTokenRequest (auth_token_request.h) with an enveloped
// XAdES-BES signature (xades_signature.h documents both byte for byte); the
// bytes returned are exactly the bytes signed.
//
// The signing time (xades:SigningTime) is the clock's now minus
// AuthTokenSignerOptions::signing_time_skew, truncated to whole seconds, so
// that a clock slightly ahead of KSeF's does not produce a time in KSeF's
// future (the official C# SDK back-dates by one minute). It is never earlier
// than the certificate's notBefore: a certificate made moments ago is not
// claimed to have signed before it existed. Whether the key may sign is
// decided at the clock's now, not at the back-dated time.
//
// Per-certificate work (parsing, Base64, digest, issuer, serial) is done
// once and cached, keyed by the certificate's DER itself and checked against
// the key's public key, so attaching another certificate can never leave a
// stale one in use. The cache holds at most kMaxCachedCertificates entries
// (it is emptied when full).
//
// Thread-safety: thread-safe.
#ifndef SEJF_SIGNER_KSEF_AUTH_TOKEN_SIGNER_H_
#define SEJF_SIGNER_KSEF_AUTH_TOKEN_SIGNER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/ksef_context.h"
#include "hsm/key_store.h"
#include "signer/custody/key_custody.h"
#include "signer/ksef/allowed_ips.h"
#include "signer/ksef/auth_token_request.h"
#include "signer/ksef/xades_signature.h"

namespace sejf::signer {

struct AuthTokenSignParams {
  std::string key_name = {};   // a key in custody
  std::string challenge = {};  // from POST /auth/challenge
  KsefContext context = {};
  SubjectIdentifierType subject_type =
      SubjectIdentifierType::kCertificateSubject;
  AllowedIps allowed_ips = {};
  AuthTokenNamespace ns = AuthTokenNamespace::kV2_0;
};

// The official C# SDK's back-dating of SigningTime.
inline constexpr absl::Duration kDefaultSigningTimeSkew = absl::Seconds(60);

struct AuthTokenSignerOptions {
  // How far SigningTime is set back from the clock's now; not negative.
  absl::Duration signing_time_skew = kDefaultSigningTimeSkew;
};

struct SignedAuthTokenRequest {
  std::string xml;                                 // UTF-8, exactly as signed
  absl::Time signing_time = absl::InfinitePast();  // as in the document
  std::string certificate_sha256_fingerprint;      // uppercase hex
};

class AuthTokenSigner {
 public:
  static constexpr std::size_t kMaxCachedCertificates = 256;

  // `custody` and `clock` must outlive this object. Custody decides whether
  // a key may sign (KeyCustody::UsableFor) and signs with it; `clock` dates
  // the challenge check and SigningTime (the same clock as custody's).
  AuthTokenSigner(KeyCustody* custody, const Clock* clock,
                  AuthTokenSignerOptions options = {});

  // Checks the request's fields (challenge, context, subject type,
  // namespace, allowed IPs) with this signer's clock: what Sign checks first,
  // for an adapter to refuse bad input before it authorizes or looks up
  // anything. INVALID_ARGUMENT naming the field.
  absl::Status CheckRequest(const AuthTokenSignParams& params) const;

  // Validates the fields, then signs with the key. Errors, in this order:
  //   INVALID_ARGUMENT naming the field: a malformed or stale challenge, a
  //     bad context, bad allowed IPs, a bad key name;
  //   NOT_FOUND: no key of that name;
  //   FAILED_PRECONDITION saying why the key cannot sign: "key X is
  //     disabled" (or destroyed), "key X has usage offline, not
  //     authentication", "key X has no certificate: run sejf key self-sign
  //     or attach-cert", "certificate of key X expired on …" / "… is not
  //     valid until …", or a certificate that does not fit the key;
  //   the key store's status (e.g. UNAVAILABLE when the HSM is away).
  absl::StatusOr<SignedAuthTokenRequest> Sign(
      const AuthTokenSignParams& params);

 private:
  struct CachedCertificate {
    std::string key_spki_der;  // the public key it was checked against
    XadesCertificate certificate;
  };

  // The prepared certificate of `key` (which has one), from the cache or
  // made and checked now.
  absl::StatusOr<std::shared_ptr<const CachedCertificate>> CertificateOf(
      const Key& key);

  KeyCustody* const custody_;
  const Clock* const clock_;
  const AuthTokenSignerOptions options_;

  absl::Mutex mu_;
  // Certificate DER → its prepared form.
  absl::flat_hash_map<std::string, std::shared_ptr<const CachedCertificate>>
      cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_KSEF_AUTH_TOKEN_SIGNER_H_
