#include "server/tls/peer_identity.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "server/tls/pem.h"
#include "server/tls/revocation_list.h"

namespace sejf::server {
namespace {

// Decodes one UTF-8 code point at s[*i] and advances *i; false when the
// bytes there are not well-formed UTF-8 (overlong forms, surrogates and
// values above U+10FFFF included).
bool NextCodePoint(absl::string_view s, size_t* i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(*i);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) {
    *cp = b0;
    *i += 1;
    return true;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return false;
  }
  if (*i + len > s.size()) return false;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) return false;
    *cp = (*cp << 6) | (byte(*i + k) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
    return false;
  }
  *i += len;
  return true;
}

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

absl::Status Unauthenticated(absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat("client certificate ", what));
}

// The first URI subjectAltName of `cert`; false when it has none.
bool FirstUriSan(const X509& cert, std::string* uri) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return false;
  for (int k = 0; k < sk_GENERAL_NAME_num(names.get()); ++k) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), k);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* value = name->d.uniformResourceIdentifier;
    uri->assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                static_cast<size_t>(ASN1_STRING_length(value)));
    return true;
  }
  return false;
}

}  // namespace

absl::Status CheckCertificateIdentity(absl::string_view identity) {
  if (identity.empty()) return absl::InvalidArgumentError("identity is empty");
  if (identity.size() > kMaxIdentityBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("identity is longer than ", kMaxIdentityBytes, " bytes (",
                     identity.size(), ")"));
  }
  for (size_t i = 0; i < identity.size();) {
    uint32_t cp;
    if (!NextCodePoint(identity, &i, &cp)) {
      return absl::InvalidArgumentError("identity is not valid UTF-8");
    }
    if (IsControl(cp)) {
      return absl::InvalidArgumentError("identity contains control characters");
    }
  }
  if (absl::StartsWith(identity, kUnixIdentityPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("identity starts with \"", kUnixIdentityPrefix,
                     "\", which is reserved for callers on the unix socket"));
  }
  return absl::OkStatus();
}

absl::Status CheckCommonNameIdentity(absl::string_view common_name) {
  RETURN_IF_ERROR(CheckCertificateIdentity(common_name));
  if (absl::StrContains(common_name, ':')) {
    return absl::InvalidArgumentError(
        "a common name used as an identity must not contain ':', which "
        "marks URI and unix-socket identities; put a URI in a URI "
        "subjectAltName instead");
  }
  return absl::OkStatus();
}

absl::Status CheckUriIdentity(absl::string_view uri) {
  RETURN_IF_ERROR(CheckCertificateIdentity(uri));
  // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
  std::size_t colon = uri.find(':');
  bool absolute = colon != absl::string_view::npos && colon > 0 &&
                  absl::ascii_isalpha(static_cast<unsigned char>(uri[0]));
  for (std::size_t i = 1; absolute && i < colon; ++i) {
    char c = uri[i];
    absolute = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' ||
               c == '-' || c == '.';
  }
  if (!absolute || colon + 1 == uri.size()) {
    return absl::InvalidArgumentError(
        "identity is not an absolute URI (a scheme such as \"spiffe:\", then "
        "the rest)");
  }
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7F) {
      return absl::InvalidArgumentError(
          "identity URI must be printable ASCII without spaces");
    }
  }
  // "a/../b" is "b" to some readers and not to others: refuse both readings.
  absl::string_view path = uri.substr(colon + 1);
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    absl::string_view bare = segment.substr(0, segment.find_first_of("?#"));
    std::string lowered = absl::AsciiStrToLower(bare);
    if (lowered == "." || lowered == ".." || lowered == "%2e" ||
        lowered == "%2e%2e" || lowered == ".%2e" || lowered == "%2e.") {
      return absl::InvalidArgumentError(
          "identity URI has a \".\" or \"..\" path segment");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> IdentityFromCertificatePem(absl::string_view pem) {
  ASSIGN_OR_RETURN(PeerCertificate peer, ReadPeerCertificate(pem));
  return std::move(peer.identity);
}

absl::StatusOr<PeerCertificate> ReadPeerCertificate(absl::string_view pem) {
  auto cert = ParseCertificatePem(pem);
  if (!cert.ok()) return Unauthenticated("is not a PEM X.509 certificate");

  std::string identity;
  absl::string_view source = "URI subjectAltName";
  const bool from_uri = FirstUriSan(**cert, &identity);
  if (!from_uri) {
    source = "subject common name";
    const X509_NAME* subject = X509_get_subject_name(cert->get());
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0) {
      return Unauthenticated(
          "has neither a URI subjectAltName nor a subject common name");
    }
    if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
      return Unauthenticated("has several subject common names");
    }
    const ASN1_STRING* cn =
        X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, cn);
    OpenSslBytesPtr owned(utf8);
    if (len < 0) {
      DrainOpenSslErrors();
      return Unauthenticated("has a subject common name that is not text");
    }
    identity.assign(reinterpret_cast<const char*>(utf8),
                    static_cast<size_t>(len));
  }
  absl::Status usable =
      from_uri ? CheckUriIdentity(identity) : CheckCommonNameIdentity(identity);
  if (!usable.ok()) {
    return Unauthenticated(
        absl::StrCat("has an unusable ", source, ": ", usable.message()));
  }
  return PeerCertificate{std::move(identity), RevocationKey(**cert)};
}

std::string UnixPeerIdentity(uid_t uid) {
  return absl::StrCat(kUnixIdentityPrefix, uid);
}

}  // namespace sejf::server
