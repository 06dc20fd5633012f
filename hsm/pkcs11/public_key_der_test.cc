#include "hsm/pkcs11/public_key_der.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

#include "common/openssl_ptr.h"
#include "gtest/gtest.h"

namespace sejf::hsm::pkcs11 {
namespace {

std::string Spki(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<char*>(der), size);
  OPENSSL_free(der);
  return out;
}

std::string EncodedPoint(EVP_PKEY* key) {
  std::string point(256, '\0');
  size_t size = 0;
  EXPECT_EQ(
      EVP_PKEY_get_octet_string_param(
          key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
          reinterpret_cast<unsigned char*>(point.data()), point.size(), &size),
      1);
  point.resize(size);
  return point;
}

TEST(PublicKeyDerTest, EcSpkiFromWrappedAndBarePointsMatchOpenSsl) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_NE(key, nullptr);
  const std::string point = EncodedPoint(key.get());
  ASSERT_EQ(point.size(), 65u);
  // CKA_EC_POINT as PKCS#11 2.40 has it: DER OCTET STRING (04 41 ...).
  const std::string wrapped = std::string("\x04\x41", 2) + point;
  auto from_wrapped = EcSpki(kP256EcParams, wrapped);
  ASSERT_TRUE(from_wrapped.ok()) << from_wrapped.status();
  EXPECT_EQ(*from_wrapped, Spki(key.get()));
  auto from_bare = EcSpki(kP256EcParams, point);
  ASSERT_TRUE(from_bare.ok()) << from_bare.status();
  EXPECT_EQ(*from_bare, Spki(key.get()));
}

TEST(PublicKeyDerTest, EcBadInputsAreInvalidArgument) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::string point = EncodedPoint(key.get());
  EXPECT_EQ(EcSpki("\x06\x03\x2a\x03\x04", point).status().code(),
            absl::StatusCode::kInvalidArgument);  // not a curve
  EXPECT_EQ(EcSpki("", point).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EcSpki(kP256EcParams, "junk").status().code(),
            absl::StatusCode::kInvalidArgument);
  point[64] ^= 1;  // off the curve
  EXPECT_EQ(EcSpki(kP256EcParams, point).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PublicKeyDerTest, RsaSpkiMatchesOpenSsl) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  ASSERT_NE(key, nullptr);
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n), 1);
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e), 1);
  BignumPtr n_owner(n);
  BignumPtr e_owner(e);
  std::string modulus(BN_num_bytes(n), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(modulus.data()));
  std::string exponent(BN_num_bytes(e), '\0');
  BN_bn2bin(e, reinterpret_cast<unsigned char*>(exponent.data()));
  auto spki = RsaSpki(modulus, exponent);
  ASSERT_TRUE(spki.ok()) << spki.status();
  EXPECT_EQ(*spki, Spki(key.get()));
  EXPECT_EQ(RsaSpki("", exponent).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
