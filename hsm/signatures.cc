#include "hsm/signatures.h"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"

namespace sejf::hsm {
namespace {

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "raw ECDSA signature must have an even, non-zero length, not ",
        raw.size()));
  }
  const int half = static_cast<int>(raw.size() / 2);
  BignumPtr r(BN_bin2bn(Bytes(raw), half, nullptr));
  BignumPtr s(BN_bin2bn(Bytes(raw) + half, half, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return OpenSslInternal("ECDSA_SIG_set0");
  }
  r.release();  // owned by sig now
  s.release();
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return OpenSslInternal("i2d_ECDSA_SIG");
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) {
    return OpenSslInternal("i2d_ECDSA_SIG");
  }
  return der;
}

absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der,
                                          std::size_t half_size) {
  const unsigned char* in = Bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (sig == nullptr || in != Bytes(der) + der.size()) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        "not one DER-encoded ECDSA signature (SEQUENCE { r, s })");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * half_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const int n = static_cast<int>(half_size);
  if (BN_bn2binpad(r, out, n) != n || BN_bn2binpad(s, out + n, n) != n) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat(
        "ECDSA signature component does not fit ", half_size, " bytes"));
  }
  return raw;
}

absl::Status VerifySignature(absl::string_view spki_der, SignatureScheme scheme,
                             absl::string_view data,
                             absl::string_view signature) {
  const unsigned char* in = Bytes(spki_der);
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &in, static_cast<long>(spki_der.size())));
  if (key == nullptr || in != Bytes(spki_der) + spki_der.size()) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "public key is not a DER SubjectPublicKeyInfo");
  }
  const bool is_ec = EVP_PKEY_is_a(key.get(), "EC");
  const bool is_rsa = EVP_PKEY_is_a(key.get(), "RSA");
  const bool fits = scheme == SignatureScheme::kEcdsaSha256 ? is_ec : is_rsa;
  if (!fits) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature scheme ", SignatureSchemeName(scheme),
                     " does not fit a ", is_ec ? "EC" : "non-EC", " key"));
  }
  std::string der_signature;
  absl::string_view to_verify = signature;
  if (scheme == SignatureScheme::kEcdsaSha256) {
    absl::StatusOr<std::string> der = EcdsaRawToDer(signature);
    if (!der.ok()) return der.status();
    der_signature = *std::move(der);
    to_verify = der_signature;
  }

  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(),
                                             nullptr, key.get()) != 1) {
    return OpenSslInternal("EVP_DigestVerifyInit");
  }
  if (scheme == SignatureScheme::kRsaPssSha256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1)) {
    return OpenSslInternal("setting RSA-PSS parameters");
  }
  const int ok = EVP_DigestVerify(ctx.get(), Bytes(to_verify), to_verify.size(),
                                  Bytes(data), data.size());
  DrainOpenSslErrors();
  if (ok != 1) {
    return absl::DataLossError(absl::StrCat(SignatureSchemeName(scheme),
                                            " signature does not verify"));
  }
  return absl::OkStatus();
}

}  // namespace sejf::hsm
