// KsefAuth messages ⇄ client KSeF types (client/ksef_types.h). Internal to
// client/: callers use client/ksef_api.h.
#ifndef SEJF_CLIENT_KSEF_CONVERSIONS_H_
#define SEJF_CLIENT_KSEF_CONVERSIONS_H_

#include <vector>

#include "client/ksef_types.h"
#include "sejf/v1/ksef_auth.pb.h"

namespace sejf::client {

// Shared with the KsefSessions conversions.
v1::AllowedIps ToProto(const AllowedIps& ips);
AllowedIps FromProto(const v1::AllowedIps& ips);
v1::SubjectIdentifierType ToProto(SubjectIdentifierType type);

v1::SignAuthTokenRequestRequest ToProto(const AuthTokenRequest& request);
SignedAuthTokenRequest FromProto(const v1::SignAuthTokenRequestResponse& r);
v1::SignAuthTokenRequestResponse ToProto(const SignedAuthTokenRequest& r);

v1::EncryptTokenRequest ToProto(const TokenEncryption& request);
EncryptedToken FromProto(const v1::EncryptTokenResponse& r);
v1::EncryptTokenResponse ToProto(const EncryptedToken& r);

v1::SignOfflineQrCodeRequest ToProto(const OfflineQrCodeSpec& spec);
v1::BuildInvoiceQrCodeRequest ToProto(const InvoiceQrCodeSpec& spec);
QrCode FromProto(const v1::SignOfflineQrCodeResponse& r);
QrCode FromProto(const v1::BuildInvoiceQrCodeResponse& r);
// Both QR responses have the same fields, so the same JSON; this one
// stands for both.
v1::BuildInvoiceQrCodeResponse ToProto(const QrCode& code);

MinistryCertificate FromProto(const v1::MinistryCertificate& c);
v1::MinistryCertificate ToProto(const MinistryCertificate& c);
v1::ImportMinistryCertificatesRequest ToProto(
    const MinistryCertificateImport& request);
std::vector<MinistryCertificate> FromProto(
    const v1::ImportMinistryCertificatesResponse& r);
v1::ListMinistryCertificatesRequest ToListRequest(
    const std::string& environment, const PageRequest& page);
Page<MinistryCertificate> FromProto(
    const v1::ListMinistryCertificatesResponse& page);
v1::ListMinistryCertificatesResponse ToProto(
    const std::vector<MinistryCertificate>& certificates);

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KSEF_CONVERSIONS_H_
