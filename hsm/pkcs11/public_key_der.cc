#include "hsm/pkcs11/public_key_der.h"

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"

namespace sejf::hsm::pkcs11 {
namespace {

using ParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using Asn1ObjectPtr = OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using Asn1OctetStringPtr =
    OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using EcGroupPtr = OpenSslPtr<EC_GROUP, EC_GROUP_free>;

constexpr char kP256EcParamsBytes[] =
    "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07";

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// `params` made into a public key of `type`, as DER SPKI.
absl::StatusOr<std::string> SpkiFromParams(const char* type,
                                           OSSL_PARAM_BLD* builder) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (params == nullptr || ctx == nullptr ||
      EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslInternal(absl::StrCat("preparing a ", type, " public key"));
  }
  EVP_PKEY* raw_key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("not a valid ", type, " public key"));
  }
  EvpPkeyPtr key(raw_key);
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key.get(), &der);
  if (size <= 0) return OpenSslInternal("i2d_PUBKEY");
  std::string out(reinterpret_cast<const char*>(der), size);
  OPENSSL_free(der);
  return out;
}

}  // namespace

const absl::string_view kP256EcParams(kP256EcParamsBytes,
                                      sizeof(kP256EcParamsBytes) - 1);

absl::StatusOr<std::string> EcSpki(absl::string_view ec_params,
                                   absl::string_view ec_point) {
  const unsigned char* in = Bytes(ec_params);
  Asn1ObjectPtr oid(
      d2i_ASN1_OBJECT(nullptr, &in, static_cast<long>(ec_params.size())));
  const int nid = oid == nullptr ? NID_undef : OBJ_obj2nid(oid.get());
  EcGroupPtr group(nid == NID_undef ? nullptr
                                    : EC_GROUP_new_by_curve_name(nid));
  if (group == nullptr || in != Bytes(ec_params) + ec_params.size()) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "CKA_EC_PARAMS does not name a known curve");
  }
  const size_t field_bytes = (EC_GROUP_get_degree(group.get()) + 7) / 8;

  // The bare uncompressed point is 04 || X || Y; anything else should be
  // that point wrapped in a DER OCTET STRING.
  std::string point;
  if (ec_point.size() == 2 * field_bytes + 1 && ec_point[0] == 0x04) {
    point = std::string(ec_point);
  } else {
    in = Bytes(ec_point);
    Asn1OctetStringPtr octets(d2i_ASN1_OCTET_STRING(
        nullptr, &in, static_cast<long>(ec_point.size())));
    if (octets == nullptr || in != Bytes(ec_point) + ec_point.size()) {
      return OpenSslError(absl::StatusCode::kInvalidArgument,
                          "CKA_EC_POINT is neither a point nor a DER "
                          "OCTET STRING holding one");
    }
    point.assign(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(octets.get())),
        ASN1_STRING_length(octets.get()));
  }

  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      OBJ_nid2sn(nid), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return OpenSslInternal("building EC public key parameters");
  }
  return SpkiFromParams("EC", builder.get());
}

absl::StatusOr<std::string> RsaSpki(absl::string_view modulus,
                                    absl::string_view public_exponent) {
  if (modulus.empty() || public_exponent.empty()) {
    return absl::InvalidArgumentError(
        "RSA public key needs a modulus and a public exponent");
  }
  BignumPtr n(
      BN_bin2bn(Bytes(modulus), static_cast<int>(modulus.size()), nullptr));
  BignumPtr e(BN_bin2bn(Bytes(public_exponent),
                        static_cast<int>(public_exponent.size()), nullptr));
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (n == nullptr || e == nullptr || builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) !=
          1) {
    return OpenSslInternal("building RSA public key parameters");
  }
  return SpkiFromParams("RSA", builder.get());
}

}  // namespace sejf::hsm::pkcs11
