// Client-side types of the KsefAuth API (proto/sejf/v1/ksef_auth.proto): the
// KSeF cryptography sejfd does for clients, and Ministry certificates.
//
// Plain values; the server judges every field (challenges, contexts, NIPs,
// AllowedIps, labels), the client only carries them.
#ifndef SEJF_CLIENT_KSEF_TYPES_H_
#define SEJF_CLIENT_KSEF_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/common_types.h"

namespace sejf::client {

// How KSeF recognises the subject of an AuthTokenRequest; kUnspecified: the
// server's default (certificateSubject).
enum class SubjectIdentifierType {
  kUnspecified,
  kCertificateSubject,
  kCertificateFingerprint,
};

// The AuthTokenRequest schema namespace; kUnspecified: the server's default
// (2.0).
enum class AuthTokenNamespace { kUnspecified, kV2_0, kV2_1 };

// AuthorizationPolicy/AllowedIps: where KSeF accepts the access token from.
struct AllowedIps {
  std::vector<std::string> ip4_addresses;  // "192.168.0.1"
  std::vector<std::string> ip4_ranges;     // "192.168.0.1-192.168.0.20"
  std::vector<std::string> ip4_masks;      // "192.168.0.0/24"

  bool empty() const {
    return ip4_addresses.empty() && ip4_ranges.empty() && ip4_masks.empty();
  }
};

// What SignAuthTokenRequest signs: the AuthTokenRequest for a challenge.
struct AuthTokenRequest {
  // "keys/{key}": an active authentication key with a valid certificate.
  std::string key;
  std::string challenge;
  // "nip:…", "internal-id:…", "nip-vat-ue:…" or "peppol-id:…".
  std::string context;
  SubjectIdentifierType subject_identifier_type =
      SubjectIdentifierType::kUnspecified;
  AllowedIps allowed_ips;
  AuthTokenNamespace ns = AuthTokenNamespace::kUnspecified;
};

struct SignedAuthTokenRequest {
  // The signed document, exactly the bytes that were signed (UTF-8 XML).
  std::string signed_xml;
  absl::Time signing_time;
  // SHA-256 of the signing certificate, uppercase hex.
  std::string certificate_sha256_fingerprint;
};

// What EncryptToken encrypts: a stored token for a challenge.
struct TokenEncryption {
  // "tokens/{token}": an active token.
  std::string token;
  std::string challenge;
  // The challenge's timestampMs.
  std::int64_t timestamp_ms = 0;
  // "test", "demo", "prod" or a configured custom environment.
  std::string environment;
  // Optional; when set it must be the token's own context.
  std::string context;
  AllowedIps allowed_ips;
};

struct EncryptedToken {
  // Base64 RSA-OAEP-SHA256 of "token|timestampMs".
  std::string encrypted_token;
  // Base64 SHA-256 of the Ministry certificate's SubjectPublicKeyInfo.
  std::string public_key_id;
  // The complete JSON body for POST /auth/ksef-token.
  std::string request_json;
};

// A QR code also drawn as a PNG image with a label under it.
struct QrPng {
  // Empty: the default of the code's kind ("CERTYFIKAT", "OFFLINE").
  std::string label;
  // Pixels per module; 0: the server's default.
  int module_pixels = 0;
};

// KOD II, the signed certificate link of an offline invoice.
struct OfflineQrCodeSpec {
  // "keys/{key}": an active offline key with a valid certificate.
  std::string key;
  // The login context, e.g. "nip:5265877635".
  std::string context;
  std::string seller_nip;
  // SHA-256 of the invoice XML bytes (32 bytes).
  std::string invoice_sha256;
  std::string environment;
  // Set to also get the PNG.
  std::optional<QrPng> png;
};

// KOD I, the invoice verification link.
struct InvoiceQrCodeSpec {
  std::string seller_nip;
  // The invoice's issue date (P_1), "YYYY-MM-DD".
  std::string issue_date;
  // SHA-256 of the invoice XML bytes (32 bytes).
  std::string invoice_sha256;
  std::string environment;
  // Set to also get the PNG.
  std::optional<QrPng> png;
};

// A built QR code (KOD I or KOD II).
struct QrCode {
  std::string url;
  // The PNG file when the spec asked for one; empty otherwise.
  std::string png;
};

// Usage of a Ministry certificate (PublicKeyCertificateUsage); kUnspecified
// stands for a value this client does not know, or (in an import) the
// server's default.
enum class MinistryCertificateUsage {
  kUnspecified,
  kKsefTokenEncryption,
  kSymmetricKeyEncryption,
};

struct MinistryCertificate {
  // "environments/{environment}/ministryCertificates/{fingerprint}".
  std::string name;
  std::string environment;
  std::vector<MinistryCertificateUsage> usages;
  // Base64 SHA-256 of the certificate DER (KSeF certificateId).
  std::string certificate_id;
  // Base64 SHA-256 of the SubjectPublicKeyInfo DER (KSeF publicKeyId).
  std::string public_key_id;
  absl::Time valid_from;
  absl::Time valid_to;
  std::string subject;
  std::string der;
  // "anchors", "configured-pin", "operator-pin" or "untrusted".
  std::string trusted_by;
  // When KSeF's list stopped holding it: never used for new encryptions
  // since. Unset while it is current.
  std::optional<absl::Time> retire_time;
};

// Ministry certificates to import into an environment.
struct MinistryCertificateImport {
  std::string environment;
  // The JSON of GET /security/public-key-certificates, or PEM/DER.
  std::string content;
  // For PEM/DER content; ignored for JSON.
  MinistryCertificateUsage usage = MinistryCertificateUsage::kUnspecified;
  // SHA-256 fingerprints the operator compared with the published values.
  std::vector<std::string> pin_fingerprints;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KSEF_TYPES_H_
