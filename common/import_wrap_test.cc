#include "common/import_wrap.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cctype>
#include <string>

#include "gtest/gtest.h"

namespace sejf {
namespace {

std::string Spki(int bits) {
  EVP_PKEY* key =
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<char*>(der), size);
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return out;
}

TEST(ImportWrapTest, FingerprintsAreTypedInAnyCaseWithOrWithoutColons) {
  const std::string fingerprint = ImportKeyFingerprint("key");
  ASSERT_EQ(fingerprint.size(), 64u);
  std::string typed;
  for (std::size_t i = 0; i < fingerprint.size(); i += 2) {
    if (i > 0) typed += ':';
    typed += static_cast<char>(std::toupper(fingerprint[i]));
    typed += static_cast<char>(std::toupper(fingerprint[i + 1]));
  }
  auto normalized = NormalizeImportKeyFingerprint(typed);
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  EXPECT_EQ(*normalized, fingerprint);
  for (const char* bad : {"", "abc", "zz", "0123"}) {
    EXPECT_EQ(NormalizeImportKeyFingerprint(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(
      NormalizeImportKeyFingerprint(fingerprint.substr(0, 62) + "zz").ok());
}

TEST(ImportWrapTest, OnlyAnRsa3072KeyAndSecretsThatFitAreAccepted) {
  const std::string spki = Spki(3072);
  auto ciphertext = EncryptToImportKey(spki, SecretFromView("token"));
  ASSERT_TRUE(ciphertext.ok()) << ciphertext.status();
  EXPECT_EQ(ciphertext->size(), kImportKeyModulusSize);
  EXPECT_FALSE(EncryptToImportKey(Spki(2048), SecretFromView("token")).ok());
  EXPECT_FALSE(EncryptToImportKey("not a key", SecretFromView("token")).ok());
  EXPECT_FALSE(EncryptToImportKey(spki, SecretBytes()).ok());
  EXPECT_FALSE(
      EncryptToImportKey(spki, SecretBytes(kMaxImportSecretSize + 1, 'x'))
          .ok());
  EXPECT_TRUE(
      EncryptToImportKey(spki, SecretBytes(kMaxImportSecretSize, 'x')).ok());

  // A wrapped key: the OAEP block, then RFC 5649 (input rounded up to 8,
  // plus 8).
  auto wrapped = WrapForImport(spki, SecretBytes(121, 'k'));
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(wrapped->size(), kImportKeyModulusSize + 128 + 8);
  EXPECT_FALSE(WrapForImport(spki, SecretBytes()).ok());
}

TEST(ImportWrapTest, OaepDecodingRefusesWhatIsNotAnEncoding) {
  EXPECT_EQ(
      DecodeOaepSha256(SecretBytes(kImportKeyModulusSize, 0)).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeOaepSha256(SecretBytes(10, 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf
