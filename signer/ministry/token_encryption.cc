#include "signer/ministry/token_encryption.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <exception>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "signer/ksef/challenge.h"

namespace sejf::signer {
namespace {

absl::Status CheckToken(const SecretBytes& token) {
  if (token.empty()) return absl::InvalidArgumentError("token is empty");
  if (token.size() > kMaxKsefTokenSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("token is ", token.size(), " bytes; a KSeF token has at ",
                     "most ", kMaxKsefTokenSize));
  }
  // Printable ASCII; the position only, never the byte.
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] < 0x21 || token[i] > 0x7E) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token has a character that is not printable ASCII at position ",
          i + 1, "; a KSeF token is printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(std::int64_t timestamp_ms, absl::Time now,
                            absl::Duration window) {
  absl::Time t = absl::FromUnixMillis(timestamp_ms);
  absl::Duration off = t - now;
  if (timestamp_ms <= 0 || absl::AbsDuration(off) > window) {
    return absl::InvalidArgumentError(absl::StrCat(
        "timestampMs ", timestamp_ms, " is ",
        timestamp_ms <= 0
            ? "not a time"
            : absl::StrCat(
                  absl::FormatDuration(absl::AbsDuration(off)),
                  off < absl::ZeroDuration() ? " before now" : " after now"),
        "; it must be the challenge's timestampMs, within ",
        absl::FormatDuration(window), " of now"));
  }
  return absl::OkStatus();
}

// The certificate's public key, re-checked as import checked it (a record
// is not trusted blindly: the database may have been written by others).
absl::StatusOr<EvpPkeyPtr> EncryptionKey(const MinistryCertificate& c) {
  const auto* p = reinterpret_cast<const unsigned char*>(c.der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(c.der.size())));
  if (cert == nullptr) {
    DrainOpenSslErrors();
    return absl::FailedPreconditionError(
        absl::StrCat("the stored Ministry certificate ", c.record_name,
                     " cannot be read; import it again"));
  }
  EvpPkeyPtr key(X509_get_pubkey(cert.get()));
  if (key == nullptr || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA ||
      EVP_PKEY_get_bits(key.get()) < kMinMinistryRsaBits) {
    DrainOpenSslErrors();
    return absl::FailedPreconditionError(absl::StrCat(
        "the stored Ministry certificate ", c.record_name,
        " has no RSA key of at least ", kMinMinistryRsaBits, " bits"));
  }
  return key;
}

absl::StatusOr<std::string> OaepSha256Encrypt(EVP_PKEY* key,
                                              const SecretBytes& plaintext) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (ctx == nullptr || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
    return OpenSslInternal("cannot set up RSA-OAEP-SHA256");
  }
  std::size_t size = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &size, plaintext.data(),
                       plaintext.size()) != 1) {
    return OpenSslInternal("cannot size the RSA-OAEP ciphertext");
  }
  std::string out(size, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                       &size, plaintext.data(), plaintext.size()) != 1) {
    return OpenSslInternal("RSA-OAEP encryption failed");
  }
  out.resize(size);
  return out;
}

// OpenAPI AllowedIps: only the kinds that have entries.
nlohmann::ordered_json AllowedIpsJson(const AllowedIps& ips) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  if (!ips.ip4_addresses.empty()) json["ip4Addresses"] = ips.ip4_addresses;
  if (!ips.ip4_ranges.empty()) json["ip4Ranges"] = ips.ip4_ranges;
  if (!ips.ip4_masks.empty()) json["ip4Masks"] = ips.ip4_masks;
  return json;
}

}  // namespace

KsefTokenEncryptor::KsefTokenEncryptor(MinistryCertificateStore* certificates,
                                       const MinistryTrust* trust,
                                       const Clock* clock,
                                       TokenEncryptionOptions options)
    : certificates_(certificates),
      trust_(trust),
      clock_(clock),
      options_(options) {}

absl::Status KsefTokenEncryptor::CheckRequest(
    const KsefTokenRequest& request) const {
  RETURN_IF_ERROR(
      TagField("environment", ValidateEnvironmentName(request.environment)));
  const absl::Time now = clock_->Now();
  RETURN_IF_ERROR(TagField(
      "challenge", ValidateChallenge(request.challenge, now, "challenge")));
  RETURN_IF_ERROR(TagField(
      "timestamp_ms",
      CheckTimestamp(request.timestamp_ms, now, options_.timestamp_window)));
  return TagField("allowed_ips", ValidateAllowedIps(request.allowed_ips));
}

absl::StatusOr<EncryptedKsefToken> KsefTokenEncryptor::Encrypt(
    const SecretBytes& token, const KsefTokenRequest& request) const {
  RETURN_IF_ERROR(CheckRequest(request));
  if (request.context.value.empty()) {
    return TagField("context",
                    absl::InvalidArgumentError("context is required"));
  }
  RETURN_IF_ERROR(CheckToken(token));
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(
      MinistryCertificate certificate,
      certificates_->SelectForTokenEncryption(request.environment, now));
  if (certificate.retire_time.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the Ministry certificate ", certificate.record_name,
        " was retired (no longer in KSeF's list); nothing is encrypted to it"));
  }
  RETURN_IF_ERROR(trust_->CheckForUse(certificate, now));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, EncryptionKey(certificate));

  // "{token}|{timestampMs}", built in zeroing memory only.
  char digits[24];
  auto [end, ec] =
      std::to_chars(digits, digits + sizeof(digits), request.timestamp_ms);
  if (ec != std::errc())
    return absl::InternalError("cannot format timestampMs");
  SecretBytes plaintext;
  plaintext.reserve(token.size() + 1 + static_cast<std::size_t>(end - digits));
  plaintext.insert(plaintext.end(), token.begin(), token.end());
  plaintext.push_back('|');
  plaintext.insert(plaintext.end(), digits, end);

  ASSIGN_OR_RETURN(std::string ciphertext,
                   OaepSha256Encrypt(key.get(), plaintext));

  EncryptedKsefToken out;
  out.encrypted_token = absl::Base64Escape(ciphertext);
  out.public_key_id = certificate.public_key_id;
  out.certificate_id = certificate.certificate_id;
  out.environment = request.environment;
  nlohmann::ordered_json body;
  body["challenge"] = request.challenge;
  if (!options_.environments_without_context_identifier.contains(
          request.environment)) {
    body["contextIdentifier"]["type"] =
        std::string(KsefContextTypeName(request.context.type));
    body["contextIdentifier"]["value"] = request.context.value;
  }
  body["encryptedToken"] = out.encrypted_token;
  body["publicKeyId"] = out.public_key_id;
  if (!request.allowed_ips.empty()) {
    body["authorizationPolicy"]["allowedIps"] =
        AllowedIpsJson(request.allowed_ips);
  }
  try {
    out.request_json = body.dump();
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(
        "challenge and context must be UTF-8 text");
  }
  return out;
}

}  // namespace sejf::signer
