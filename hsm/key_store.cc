#include "hsm/key_store.h"

#include "absl/strings/str_cat.h"

namespace sejf::hsm {

absl::string_view KeyAlgorithmName(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kEcP256:
      return "ec-p256";
    case KeyAlgorithm::kRsa2048:
      return "rsa-2048";
  }
  return "unknown-algorithm";
}

bool SchemeFitsAlgorithm(SignatureScheme scheme, KeyAlgorithm algorithm) {
  switch (scheme) {
    case SignatureScheme::kEcdsaSha256:
      return algorithm == KeyAlgorithm::kEcP256;
    case SignatureScheme::kRsaPkcs1Sha256:
    case SignatureScheme::kRsaPssSha256:
      return algorithm == KeyAlgorithm::kRsa2048;
  }
  return false;
}

absl::Status ValidateKeyLabel(absl::string_view label) {
  if (label.empty()) {
    return absl::InvalidArgumentError("key label must not be empty");
  }
  if (label.size() > kMaxKeyLabelSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key label must be at most ", kMaxKeyLabelSize,
                     " bytes, not ", label.size()));
  }
  for (char c : label) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return absl::InvalidArgumentError(
          "key label must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKeyId(absl::string_view id) {
  if (id.size() != kKeyIdSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key id must be ", kKeyIdSize, " bytes, not ", id.size()));
  }
  return absl::OkStatus();
}

}  // namespace sejf::hsm

namespace sejf::hsm {

absl::Status ValidateDataObject(absl::string_view label,
                                absl::string_view value) {
  if (absl::Status status = ValidateKeyLabel(label); !status.ok()) {
    return status;
  }
  if (value.size() > kMaxDataObjectSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a data object holds at most ", kMaxDataObjectSize,
                     " bytes, not ", value.size()));
  }
  return absl::OkStatus();
}

namespace {
absl::Status NoImportKey() {
  return absl::UnimplementedError("this key store has no import key");
}
}  // namespace

absl::StatusOr<std::string> KeyStore::ImportKeyPublicKey() {
  return NoImportKey();
}

absl::StatusOr<SecretBytes> KeyStore::DecryptWithImportKey(absl::string_view) {
  return NoImportKey();
}

absl::StatusOr<KeyRef> KeyStore::UnwrapKeyPairWithId(absl::string_view,
                                                     absl::string_view,
                                                     absl::string_view,
                                                     absl::string_view) {
  return NoImportKey();
}

}  // namespace sejf::hsm
