// Owning pointers for the OpenSSL handles signer/x509 needs beyond those in
// common/openssl_ptr.h. Same rule: wrap a handle at once.
#ifndef SEJF_SIGNER_X509_OPENSSL_PTR_EXT_H_
#define SEJF_SIGNER_X509_OPENSSL_PTR_EXT_H_

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/openssl_ptr.h"

namespace sejf::signer {

using X509AlgorPtr = OpenSslPtr<X509_ALGOR, X509_ALGOR_free>;
using Asn1BitStringPtr = OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using Asn1OctetStringPtr =
    OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using BasicConstraintsPtr =
    OpenSslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;

// Memory OpenSSL allocated for us (e.g. PEM_read_bio_ex's outputs).
inline void FreeOpenSslChars(char* p) { OPENSSL_free(p); }
using OpenSslCharsPtr = OpenSslPtr<char, FreeOpenSslChars>;
inline void FreeOpenSslBytes(unsigned char* p) { OPENSSL_free(p); }
using OpenSslBytesPtr = OpenSslPtr<unsigned char, FreeOpenSslBytes>;

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_OPENSSL_PTR_EXT_H_
