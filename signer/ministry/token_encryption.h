// KSeF-token encryption for POST /auth/ksef-token (ksef-protocol.md §3.4,
// §4): RSAES-OAEP with SHA-256, MGF1-SHA-256 and an empty label over the
// UTF-8 bytes of "{token}|{timestampMs}", Base64 (standard, padded).
//
// The key is always the environment's pinned Ministry certificate chosen by
// MinistryCertificateStore::SelectForTokenEncryption — never one from the
// caller (a caller-chosen key would leak the token) — and checked again by
// MinistryTrust::CheckForUse at every encryption: a record altered in the
// database after import is refused, and nothing is encrypted to it; so is
// a retired certificate (MinistryCertificateStore::ImportFromKsef).
//
// The request body produced (compact JSON, members in this order; the
// OpenAPI schema InitTokenAuthenticationRequest; publicKeyId is optional
// there but sent, as §4.3 advises, so KSeF knows which key was used):
//   {"challenge":"<challenge>",
//    "contextIdentifier":{"type":"Nip|InternalId|NipVatUe|PeppolId",
//                         "value":"<value>"},
//    "encryptedToken":"<Base64>",
//    "publicKeyId":"<Base64>",
//    "authorizationPolicy":{"allowedIps":{"ip4Addresses":["a.b.c.d",…],
//                                         "ip4Ranges":["a.b.c.d-e.f.g.h",…],
//                                         "ip4Masks":["a.b.c.d/n",…]}}}
// contextIdentifier is left out for the environments named in
// TokenEncryptionOptions::environments_without_context_identifier (KSeF
// announced its removal, ksef-api#741). authorizationPolicy is present only
// when some allowed IP is given, and allowedIps has only the kinds given
// (the same rules as the XAdES AllowedIps, signer/ksef/allowed_ips.h).
//
// Thread-safety: thread-safe (the store and clock are).
#ifndef SEJF_SIGNER_MINISTRY_TOKEN_ENCRYPTION_H_
#define SEJF_SIGNER_MINISTRY_TOKEN_ENCRYPTION_H_

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/ksef_context.h"
#include "common/secret.h"
#include "signer/ksef/allowed_ips.h"
#include "signer/ministry/ministry_certificate_store.h"
#include "signer/ministry/ministry_trust.h"

namespace sejf::signer {

// The longest KSeF token (OpenAPI GenerateTokenResponse.token maxLength).
inline constexpr std::size_t kMaxKsefTokenSize = 160;

struct TokenEncryptionOptions {
  // timestampMs must lie within this of the clock's now, either way (the
  // challenge lifetime).
  absl::Duration timestamp_window = absl::Minutes(10);
  // Environments whose body leaves out contextIdentifier
  // ([ksef.environments.NAME] token_context_identifier = false). The token
  // is bound to its context by KSeF either way.
  std::set<std::string> environments_without_context_identifier = {};
};

struct KsefTokenRequest {
  // "test", "demo", "prod" or a custom environment with imported
  // certificates.
  std::string environment = {};
  // From POST /auth/challenge: its form, and its date within a day of the
  // clock's (signer/ksef/challenge.h).
  std::string challenge = {};
  // The token's own context (the caller checks that it is); required.
  KsefContext context = {};
  // The challenge response's timestampMs (Unix milliseconds).
  std::int64_t timestamp_ms = 0;
  // The addresses the resulting access token may be used from; none: no
  // authorizationPolicy.
  AllowedIps allowed_ips = {};
};

struct EncryptedKsefToken {
  std::string encrypted_token;  // Base64 of the 256-byte (RSA-2048) OAEP
  std::string public_key_id;    // of the certificate used
  std::string certificate_id;   // of the certificate used (for audit)
  std::string environment;
  std::string request_json;  // the body for POST /auth/ksef-token
};

class KsefTokenEncryptor {
 public:
  // `certificates`, `trust` and `clock` must outlive this object.
  KsefTokenEncryptor(MinistryCertificateStore* certificates,
                     const MinistryTrust* trust, const Clock* clock,
                     TokenEncryptionOptions options = {});

  // Encrypts `token` for `request`. The plaintext exists only in zeroing
  // memory; no error message contains the token.
  // INVALID_ARGUMENT: empty challenge or context value; allowed IPs that
  //   break the AllowedIps rules (naming the entry, "allowed_ips.ip4_ranges[1]
  //   must be …"); a token that is empty, longer than kMaxKsefTokenSize or
  //   not printable ASCII; timestampMs outside the window of now; a bad
  //   environment name. Nothing is looked up or encrypted then.
  // FAILED_PRECONDITION: no usable Ministry certificate in the environment
  //   ("import with sejf mfcert import --environment E"), or the selected
  //   one is not trusted now (MinistryTrust::CheckForUse: not valid, wrong
  //   purpose, refused by the configured trust, no valid operator pin);
  // DATA_LOSS: the selected record does not hold the certificate it was
  //   stored under (the database was altered).
  // Checks the fields of `request` a caller gives, with this encryptor's
  // clock: environment, challenge, timestamp_ms, allowed_ips (not context:
  // the token's own, known once the token is found). INVALID_ARGUMENT tagged
  // (common/status_context.h TaggedField) with the KsefTokenRequest field it
  // is about. Encrypt runs the same checks; an adapter calls this first, to
  // refuse bad input before it looks anything up.
  absl::Status CheckRequest(const KsefTokenRequest& request) const;

  absl::StatusOr<EncryptedKsefToken> Encrypt(
      const SecretBytes& token, const KsefTokenRequest& request) const;

 private:
  MinistryCertificateStore* certificates_;
  const MinistryTrust* trust_;
  const Clock* clock_;
  TokenEncryptionOptions options_;
};

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_MINISTRY_TOKEN_ENCRYPTION_H_
