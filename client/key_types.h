// Client-side types of the KeyCustody API (proto/sejf/v1/key_custody.proto):
// keys in the HSM, their certificates, and what the calls take.
//
// Plain values; the server judges every field (names, subjects, validity),
// the client only carries them.
#ifndef SEJF_CLIENT_KEY_TYPES_H_
#define SEJF_CLIENT_KEY_TYPES_H_

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "client/common_types.h"
#include "common/enrollment_data.h"

namespace sejf::client {

// kUnspecified: the server's default in a request (EC P-256), a value this
// client does not know in a response.
enum class KeyAlgorithm { kUnspecified, kEcP256, kRsa2048 };

// The KSeF certificate type a key serves: KSeF login (XAdES) or offline
// invoice QR codes (KOD II).
enum class KeyUsage { kUnspecified, kAuthentication, kOffline };

// A key's attached leaf certificate.
struct Certificate {
  std::string der;
  std::string pem;
  // RFC 2253 subject and issuer.
  std::string subject;
  std::string issuer;
  // Uppercase hex as KSeF writes it (no DER sign byte).
  std::string serial_number;
  absl::Time not_before;
  absl::Time not_after;
  // SHA-256 of the DER, uppercase hex.
  std::string sha256_fingerprint;
};

// A key's KSeF enrollment (EnrollKey; docs/lifecycle-certificates.md).
enum class EnrollmentState {
  kUnspecified,
  kSubmitting,
  kPending,
  kCompleted,
  kFailed
};
struct KsefEnrollment {
  std::string reference_number = {};
  EnrollmentState state = EnrollmentState::kUnspecified;
  std::string session = {};  // "sessions/{session}"
  std::string environment = {};
  std::string certificate_name = {};
  std::string error = {};
  // KSeF's status of the certificate ("Active", "Revoked", …), when seen.
  std::string ksef_status = {};
  absl::Time ksef_status_time = absl::InfinitePast();
  absl::Time create_time = absl::InfinitePast();
};

struct Key {
  // "keys/{key}".
  std::string name;
  KeyAlgorithm algorithm = KeyAlgorithm::kUnspecified;
  KeyUsage usage = KeyUsage::kUnspecified;
  CredentialState state = CredentialState::kUnspecified;
  absl::Time create_time;
  // RFC 7512 URI of the private key object in the HSM.
  std::string pkcs11_uri;
  // SubjectPublicKeyInfo, DER.
  std::string public_key_der;
  // Unset until a certificate is attached.
  std::optional<Certificate> certificate;
  // Intermediate certificates after the leaf, DER, issuer order.
  std::vector<std::string> chain_der;
  // Set for a key enrolled through KSeF.
  std::optional<KsefEnrollment> ksef_enrollment = std::nullopt;
  // The version this describes (0 or 1: the key as first made).
  int version = 0;
  // A renewed key (GetKey, ListKeys): the version that signs now and its
  // certificate; 0 and unset otherwise.
  int current_version = 0;
  std::optional<Certificate> current_certificate = std::nullopt;
  // Enrolled keys: days before the current certificate ends that sejfd
  // renews it (0: never).
  std::optional<int> renew_before_days = std::nullopt;
};

// One version of a key (ListKeyVersions).
struct KeyVersion {
  int version = 1;
  Key key = {};
  bool current = false;  // the version that signs now
};

// What EnrollKey takes.
struct EnrollKey {
  std::string key_id = {};
  std::string session = {};  // "sessions/{session}"
  KeyUsage usage = KeyUsage::kUnspecified;
  KeyAlgorithm algorithm = KeyAlgorithm::kUnspecified;
  std::string certificate_name = {};  // empty: the server's default
  std::optional<int> renew_before_days = std::nullopt;  // unset: 30
};

enum class RevocationReason { kUnspecified, kKeyCompromise, kSuperseded };

// What RevokeKey answers.
struct RevokedKey {
  Key key = {};
  std::vector<std::string> closed_sessions = {};  // "sessions/{session}"
};

// What GenerateKey makes.
// sejfd's import key (GetImportKey; docs/import.md).
struct ImportKeyInfo {
  std::string public_key_der;  // SubjectPublicKeyInfo, RSA-3072
  std::string public_key_pem;
  std::string fingerprint;  // lowercase hex SHA-256 of public_key_der
  std::string scheme;
};

// An existing key and certificate to bring into custody (ImportKey). The
// private key is only ever here wrapped for the import key.
struct KeyImportRequest {
  std::string key_id;
  std::string certificate_chain;  // PEM (leaf first) or one DER certificate
  std::string wrapped_key;        // common/import_wrap.h's WrapForImport
  KeyUsage usage = KeyUsage::kUnspecified;  // unspecified: from keyUsage
};

struct NewKey {
  // The {key} part of the new key's name.
  std::string key_id;
  KeyAlgorithm algorithm = KeyAlgorithm::kUnspecified;
  KeyUsage usage = KeyUsage::kUnspecified;
};

// Which keys ListKeys returns; unset means any.
struct KeyFilter {
  std::optional<KeyUsage> usage;
  std::optional<CredentialState> state;
  // Only keys whose certificate expires within this many days (0: any).
  int expiring_within_days = 0;
};

// The subject of a CSR: a DN ("CN=…,serialNumber=…,C=PL", order and values
// kept) or the enrollment data KSeF returned (sejf::EnrollmentData).
using CsrSubject = std::variant<std::string, EnrollmentData>;

// A PKCS#10 request signed by the HSM key.
struct Csr {
  std::string pem;
  std::string der;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KEY_TYPES_H_
