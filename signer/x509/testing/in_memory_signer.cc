#include "signer/x509/testing/in_memory_signer.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>

#include "common/openssl_error.h"
#include "signer/x509/der.h"

namespace sejf::signer::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "InMemoryKey: %s: %s\n", what,
               DrainOpenSslErrors().c_str());
  std::abort();
}

}  // namespace

InMemoryKey::InMemoryKey(EvpPkeyPtr key) : key_(std::move(key)) {
  absl::StatusOr<std::string> spki = ToDer(i2d_PUBKEY, key_.get(), "SPKI");
  if (!spki.ok()) Die("cannot encode the public key");
  spki_der_ = *std::move(spki);
}

InMemoryKey InMemoryKey::EcP256() { return EcCurve("P-256"); }

InMemoryKey InMemoryKey::EcCurve(const char* curve) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  if (key == nullptr) Die("EC key generation failed");
  return InMemoryKey(std::move(key));
}

InMemoryKey InMemoryKey::Rsa(int bits) {
  EvpPkeyPtr key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (key == nullptr) Die("RSA key generation failed");
  return InMemoryKey(std::move(key));
}

std::string InMemoryKey::PrivateKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    Die("cannot write the private key");
  }
  absl::StatusOr<std::string> pem = MemoryBioContents(bio.get());
  if (!pem.ok()) Die("cannot read the private key PEM");
  return *pem;
}

ExternalSigner InMemoryKey::Signer(SignatureScheme scheme) const {
  return [this, scheme](absl::string_view data) { return Sign(scheme, data); };
}

absl::StatusOr<std::string> InMemoryKey::Sign(SignatureScheme scheme,
                                              absl::string_view data) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(),
                                           nullptr, key_.get()) != 1) {
    return OpenSslInternal("test signer: DigestSignInit");
  }
  if (scheme == SignatureScheme::kRsaPssSha256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)) {
    return OpenSslInternal("test signer: PSS parameters");
  }
  size_t size = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, in, data.size()) != 1) {
    return OpenSslInternal("test signer: DigestSign size");
  }
  std::string sig(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &size, in, data.size()) != 1) {
    return OpenSslInternal("test signer: DigestSign");
  }
  sig.resize(size);
  if (scheme != SignatureScheme::kEcdsaSha256) return sig;

  // DER ECDSA-Sig-Value -> raw r||s, as PKCS#11 CKM_ECDSA returns it.
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (ecdsa == nullptr) return OpenSslInternal("test signer: ECDSA DER");
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), out + 32, 32) != 32) {
    return OpenSslInternal("test signer: r||s");
  }
  return raw;
}

const InMemoryKey& SharedEcP256Key() {
  static const InMemoryKey* key = new InMemoryKey(InMemoryKey::EcP256());
  return *key;
}

const InMemoryKey& SharedRsa2048Key() {
  static const InMemoryKey* key = new InMemoryKey(InMemoryKey::Rsa(2048));
  return *key;
}

}  // namespace sejf::signer::testing
