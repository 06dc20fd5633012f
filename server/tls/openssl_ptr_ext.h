// Owning pointers for the OpenSSL handles server/tls needs beyond those in
// common/openssl_ptr.h. Same rule: wrap a handle at once.
#ifndef SEJF_SERVER_TLS_OPENSSL_PTR_EXT_H_
#define SEJF_SERVER_TLS_OPENSSL_PTR_EXT_H_

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "common/openssl_ptr.h"

namespace sejf::server {

using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using Asn1OctetStringPtr =
    OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Asn1Ia5StringPtr = OpenSslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free>;

// Memory OpenSSL allocated for us (e.g. the output of ASN1_STRING_to_UTF8).
inline void FreeOpenSslBytes(unsigned char* p) { OPENSSL_free(p); }
using OpenSslBytesPtr = OpenSslPtr<unsigned char, FreeOpenSslBytes>;

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_OPENSSL_PTR_EXT_H_
