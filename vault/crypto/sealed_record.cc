#include "vault/crypto/sealed_record.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sejf::vault {
namespace {

constexpr absl::string_view kDomain = "sejf-sealed-record";

void AppendBigEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

std::string Header(std::uint32_t dek_id) {
  std::string header;
  header.push_back(static_cast<char>(kSealedFormatVersion));
  AppendBigEndian(header, dek_id, 4);
  return header;
}

}  // namespace

std::string SealedAssociatedData(std::uint32_t dek_id,
                                 const SealedPlace& place) {
  std::string ad(kDomain);
  ad += Header(dek_id);
  AppendBigEndian(ad, place.kind.size(), 4);
  ad.append(place.kind.data(), place.kind.size());
  AppendBigEndian(ad, place.id.size(), 4);
  ad.append(place.id.data(), place.id.size());
  AppendBigEndian(ad, static_cast<std::uint64_t>(place.version), 8);
  return ad;
}

absl::StatusOr<std::uint32_t> SealedDataKeyId(absl::string_view sealed) {
  if (sealed.size() < kSealedOverhead) {
    return absl::DataLossError(absl::StrCat(
        "sealed record is ", sealed.size(),
        " bytes, shorter than its header and tag (", kSealedOverhead, ")"));
  }
  const auto format = static_cast<std::uint8_t>(sealed[0]);
  if (format != kSealedFormatVersion) {
    return absl::DataLossError(absl::StrCat("sealed record has format ", format,
                                            "; this sejfd reads format ",
                                            kSealedFormatVersion));
  }
  std::uint32_t id = 0;
  for (int i = 1; i <= 4; ++i) {
    id = (id << 8) | static_cast<std::uint8_t>(sealed[i]);
  }
  return id;
}

absl::StatusOr<std::string> Seal(const Keyring& keyring,
                                 absl::string_view secret,
                                 const SealedPlace& place) {
  auto [dek_id, aead] = keyring.Current();
  ASSIGN_OR_RETURN(std::string body,
                   aead->Encrypt(secret, SealedAssociatedData(dek_id, place)));
  return absl::StrCat(Header(dek_id), body);
}

absl::StatusOr<SecretBytes> Open(Keyring& keyring, absl::string_view sealed,
                                 const SealedPlace& place) {
  ASSIGN_OR_RETURN(std::uint32_t dek_id, SealedDataKeyId(sealed));
  absl::StatusOr<std::shared_ptr<const Aead>> aead = keyring.Get(dek_id);
  if (absl::IsNotFound(aead.status())) {
    return absl::DataLossError(
        absl::StrCat("sealed record names data key ", dek_id,
                     ", which the keyring does not hold"));
  }
  if (!aead.ok()) return aead.status();
  return (*aead)->Decrypt(sealed.substr(5),
                          SealedAssociatedData(dek_id, place));
}

}  // namespace sejf::vault
