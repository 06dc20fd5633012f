#include "signer/custody/import_key.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/import_wrap.h"
#include "common/status_context.h"
#include "common/status_macros.h"

namespace sejf::signer {
namespace {

std::string PublicKeyPem(absl::string_view der) {
  const std::string base64 = absl::Base64Escape(der);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < base64.size(); i += 64) {
    absl::StrAppend(&pem, absl::string_view(base64).substr(i, 64), "\n");
  }
  absl::StrAppend(&pem, "-----END PUBLIC KEY-----\n");
  return pem;
}

}  // namespace

absl::StatusOr<ImportKeyInfo> ImportKey::Get() {
  {
    absl::MutexLock lock(&mu_);
    if (cached_) return *cached_;
  }
  ASSIGN_OR_RETURN(std::string spki, keys_->ImportKeyPublicKey());
  ImportKeyInfo info{.spki_der = spki,
                     .spki_pem = PublicKeyPem(spki),
                     .fingerprint = ImportKeyFingerprint(spki)};
  absl::MutexLock lock(&mu_);
  cached_ = info;
  return info;
}

absl::StatusOr<SecretBytes> ImportKey::Open(absl::string_view ciphertext,
                                            absl::string_view field) {
  if (ciphertext.size() != kImportKeyModulusSize) {
    return TagField(field, absl::InvalidArgumentError(absl::StrCat(
                               "an encrypted secret is ", kImportKeyModulusSize,
                               " bytes (RSA-OAEP-SHA256 to the import key, "
                               "GetImportKey), not ",
                               ciphertext.size())));
  }
  absl::StatusOr<SecretBytes> plain = keys_->DecryptWithImportKey(ciphertext);
  if (absl::IsFailedPrecondition(plain.status())) {
    // No import key yet: nobody can have encrypted to it.
    return TagField(field,
                    absl::InvalidArgumentError(
                        "not encrypted to this sejfd's import key (fetch it "
                        "with GetImportKey and encrypt again)"));
  }
  if (!plain.ok()) return TagField(field, plain.status());
  return plain;
}

}  // namespace sejf::signer
