#include "server/ksef_auth_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ksef_context.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/ksef_conversions.h"
#include "server/resource_names.h"
#include "server/token_vault_service.h"
#include "signer/qr/qr_code.h"
#include "signer/qr/qr_png.h"
#include "vault/records/credential_name.h"

namespace sejf::server {
namespace {

AccessTarget CredentialTarget(absl::string_view collection,
                              const std::string& name,
                              std::optional<std::string> context,
                              absl::string_view challenge = "") {
  AccessTarget target;
  // Validated before this is built: the challenge is public, not a secret.
  if (!challenge.empty()) target.detail = absl::StrCat("challenge ", challenge);
  target.resource = absl::StrCat(collection, "/", name);
  target.credential = name;
  target.context = std::move(context);
  return target;
}

AccessTarget MfcertsTarget(absl::string_view environment) {
  AccessTarget target;
  if (!environment.empty()) {
    target.resource =
        absl::StrCat("environments/", environment, "/ministryCertificates");
  }
  return target;
}

// "tokens/{name}" → name.
// The QR host of `environment` (field "environment").
absl::StatusOr<std::string> QrHost(const std::string& environment) {
  RETURN_IF_ERROR(
      WithField("environment", signer::ValidateEnvironmentName(environment)));
  return WithField("environment", signer::ResolveQrHost(environment));
}

// The PNG options of a QR request, or nullopt when it did not set `png`:
// an unset label is `default_label`, an unset module size the domain's.
absl::StatusOr<std::optional<signer::QrPngOptions>> QrPngOptionsFromProto(
    bool has_png, const sejf::v1::QrPngOptions& png,
    absl::string_view default_label) {
  if (!has_png) return std::nullopt;
  signer::QrPngOptions options;
  options.label =
      png.label().empty() ? std::string(default_label) : png.label();
  if (png.module_pixels() != 0) options.module_pixels = png.module_pixels();
  RETURN_IF_ERROR(WithField("png", signer::ValidateQrPngOptions(options)));
  return options;
}

// `url` as a PNG file, or "" when `options` is nullopt.
absl::StatusOr<std::string> QrPngOf(
    const std::string& url,
    const std::optional<signer::QrPngOptions>& options) {
  if (!options) return std::string();
  return WithField("png", signer::RenderQrPng(url, *options));
}

absl::StatusOr<signer::InvoiceHash> InvoiceHashFromProto(
    const std::string& digest, absl::string_view field) {
  return WithField(field, signer::InvoiceHash::FromSha256(digest));
}

template <typename T>
absl::StatusOr<T*> Configured(T* service, absl::string_view what) {
  if (service == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("no ", what, " is configured in this sejfd"));
  }
  return service;
}

}  // namespace

grpc::Status KsefAuthService::SignAuthTokenRequest(
    grpc::ServerContext* context,
    const sejf::v1::SignAuthTokenRequestRequest* request,
    sejf::v1::SignAuthTokenRequestResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KsefAuth/SignAuthTokenRequest",
      [&](RpcCall& call) -> absl::Status {
        signer::AuthTokenSignParams params;
        ASSIGN_OR_RETURN(params.key_name,
                         KeyNameFromResource(request->key(), "key"));
        params.challenge = request->challenge();
        ASSIGN_OR_RETURN(params.context,
                         ParseKsefContext(request->context(), "context"));
        std::optional<signer::SubjectIdentifierType> subject =
            SubjectTypeFromProto(request->subject_identifier_type());
        if (!subject) {
          return absl::InvalidArgumentError(
              "subject_identifier_type must be CERTIFICATE_SUBJECT or "
              "CERTIFICATE_FINGERPRINT");
        }
        params.subject_type = *subject;
        std::optional<signer::AuthTokenNamespace> ns =
            NamespaceFromProto(request->namespace_());
        if (!ns) {
          return absl::InvalidArgumentError("namespace must be V2_0 or V2_1");
        }
        params.ns = *ns;
        params.allowed_ips = AllowedIpsFromProto(request->allowed_ips());
        ASSIGN_OR_RETURN(signer::AuthTokenSigner * signer,
                         Configured(domain_.auth_signer, "XAdES signer"));
        RETURN_IF_ERROR(signer->CheckRequest(params));

        RETURN_IF_ERROR(call.Authorize(
            Operation::kAuthXades,
            CredentialTarget("keys", params.key_name, params.context.ToString(),
                             params.challenge)));
        ASSIGN_OR_RETURN(signer::SignedAuthTokenRequest signed_request,
                         signer->Sign(params));
        response->set_signed_xml(std::move(signed_request.xml));
        response->mutable_signing_time()->set_seconds(
            absl::ToUnixSeconds(signed_request.signing_time));
        response->set_certificate_sha256_fingerprint(
            signed_request.certificate_sha256_fingerprint);
        return absl::OkStatus();
      });
}

grpc::Status KsefAuthService::EncryptToken(
    grpc::ServerContext* context, const sejf::v1::EncryptTokenRequest* request,
    sejf::v1::EncryptTokenResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KsefAuth/EncryptToken",
      [&](RpcCall& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string name,
                         TokenNameFromResource(request->token(), "token"));
        ASSIGN_OR_RETURN(
            signer::KsefTokenEncryptor * encryptor,
            Configured(domain_.token_encryptor, "token encryptor"));
        signer::KsefTokenRequest encrypt;
        encrypt.environment = request->environment();
        encrypt.challenge = request->challenge();
        encrypt.timestamp_ms = request->timestamp_ms();
        encrypt.allowed_ips = AllowedIpsFromProto(request->allowed_ips());
        RETURN_IF_ERROR(WithTaggedField(encryptor->CheckRequest(encrypt)));
        std::optional<KsefContext> asked;
        if (!request->context().empty()) {
          ASSIGN_OR_RETURN(asked,
                           ParseKsefContext(request->context(), "context"));
        }
        ASSIGN_OR_RETURN(vault::TokenVault * tokens,
                         Configured(domain_.tokens, "token vault"));

        // Authorized before the token is looked up, so the answer to a
        // caller no rule covers does not depend on whether it exists: in
        // the context asked for, or (none asked) by name in some context.
        // A token that is missing, in another context than the one asked
        // for, or in a context the caller's rules do not reach is then
        // answered with the same NOT_FOUND.
        absl::Status not_found = TokenNotFound(name);
        if (asked) {
          not_found = absl::NotFoundError(absl::StrCat(
              "token \"", name, "\" not found in context ", asked->ToString()));
          RETURN_IF_ERROR(
              call.Authorize(Operation::kAuthToken,
                             CredentialTarget("tokens", name, asked->ToString(),
                                              request->challenge())));
        } else {
          RETURN_IF_ERROR(call.AuthorizeName(
              Operation::kAuthToken,
              CredentialTarget("tokens", name, {}, request->challenge())));
        }
        absl::StatusOr<vault::Token> token = tokens->Get(name);
        if (token.status().code() == absl::StatusCode::kNotFound) {
          return not_found;
        }
        if (!token.ok()) return token.status();
        if (asked) {
          if (token->record.context != asked->ToString()) return not_found;
        } else {
          RETURN_IF_ERROR(call.AuthorizeFound(
              Operation::kAuthToken,
              CredentialTarget("tokens", name, token->record.context,
                               request->challenge()),
              not_found));
        }

        ASSIGN_OR_RETURN(vault::UsableToken usable, tokens->OpenForUse(name));
        absl::StatusOr<KsefContext> own =
            ParseKsefContext(usable.token.record.context, "token context");
        if (!own.ok()) {
          return absl::DataLossError(
              absl::StrCat("token ", name, " has an unreadable context"));
        }
        if (own->ToString() != token->record.context) {
          // Changed between the two reads: answer as if it were missing.
          return not_found;
        }
        encrypt.context = *own;
        absl::StatusOr<signer::EncryptedKsefToken> encrypted =
            encryptor->Encrypt(usable.secret, encrypt);
        if (!encrypted.ok()) return WithTaggedField(encrypted.status());
        response->set_encrypted_token(encrypted->encrypted_token);
        response->set_public_key_id(encrypted->public_key_id);
        response->set_request_json(encrypted->request_json);
        return absl::OkStatus();
      });
}

grpc::Status KsefAuthService::SignOfflineQrCode(
    grpc::ServerContext* context,
    const sejf::v1::SignOfflineQrCodeRequest* request,
    sejf::v1::SignOfflineQrCodeResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KsefAuth/SignOfflineQrCode",
      [&](RpcCall& call) -> absl::Status {
        signer::OfflineQrRequest qr;
        ASSIGN_OR_RETURN(qr.key_name,
                         KeyNameFromResource(request->key(), "key"));
        ASSIGN_OR_RETURN(qr.context,
                         ParseKsefContext(request->context(), "context"));
        RETURN_IF_ERROR(ValidateNip(request->seller_nip(), "seller_nip"));
        qr.seller_nip = request->seller_nip();
        ASSIGN_OR_RETURN(
            qr.invoice_hash,
            InvoiceHashFromProto(request->invoice_sha256(), "invoice_sha256"));
        ASSIGN_OR_RETURN(qr.qr_host, QrHost(request->environment()));
        // Before signing: bad PNG options sign nothing.
        ASSIGN_OR_RETURN(
            auto png_options,
            QrPngOptionsFromProto(request->has_png(), request->png(),
                                  signer::kCertificateQrLabel));
        RETURN_IF_ERROR(call.Authorize(
            Operation::kQrOffline,
            CredentialTarget("keys", qr.key_name, qr.context.ToString())));
        ASSIGN_OR_RETURN(signer::OfflineQrSigner * signer,
                         Configured(domain_.qr_signer, "QR code signer"));
        ASSIGN_OR_RETURN(signer::OfflineQrCode code, signer->Sign(qr));
        ASSIGN_OR_RETURN(std::string png, QrPngOf(code.url, png_options));
        response->set_url(std::move(code.url));
        response->set_png(std::move(png));
        return absl::OkStatus();
      });
}

grpc::Status KsefAuthService::BuildInvoiceQrCode(
    grpc::ServerContext* context,
    const sejf::v1::BuildInvoiceQrCodeRequest* request,
    sejf::v1::BuildInvoiceQrCodeResponse* response) {
  // No secret: no policy operation; RunRpc still requires a known caller.
  return RunRpc(
      env_, context, "/sejf.v1.KsefAuth/BuildInvoiceQrCode",
      [&](RpcCall&) -> absl::Status {
        RETURN_IF_ERROR(ValidateNip(request->seller_nip(), "seller_nip"));
        ASSIGN_OR_RETURN(
            signer::InvoiceHash hash,
            InvoiceHashFromProto(request->invoice_sha256(), "invoice_sha256"));
        ASSIGN_OR_RETURN(std::string host, QrHost(request->environment()));
        ASSIGN_OR_RETURN(
            std::string url,
            WithField("issue_date",
                      signer::BuildInvoiceQrUrl(host, request->seller_nip(),
                                                request->issue_date(), hash)));
        ASSIGN_OR_RETURN(
            auto png_options,
            QrPngOptionsFromProto(request->has_png(), request->png(),
                                  signer::kInvoiceQrOfflineLabel));
        ASSIGN_OR_RETURN(std::string png, QrPngOf(url, png_options));
        response->set_url(std::move(url));
        response->set_png(std::move(png));
        return absl::OkStatus();
      });
}

grpc::Status KsefAuthService::ImportMinistryCertificates(
    grpc::ServerContext* context,
    const sejf::v1::ImportMinistryCertificatesRequest* request,
    sejf::v1::ImportMinistryCertificatesResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KsefAuth/ImportMinistryCertificates",
      [&](RpcCall& call) -> absl::Status {
        RETURN_IF_ERROR(
            WithField("environment",
                      signer::ValidateEnvironmentName(request->environment())));
        std::optional<signer::MinistryCertificateUsage> usage =
            MinistryUsageFromProto(request->usage());
        if (!usage) {
          return absl::InvalidArgumentError(
              "usage must be KSEF_TOKEN_ENCRYPTION or "
              "SYMMETRIC_KEY_ENCRYPTION");
        }
        if (request->content().empty()) {
          return absl::InvalidArgumentError(
              "content is required: the JSON of GET "
              "/security/public-key-certificates, PEM or DER");
        }
        RETURN_IF_ERROR(call.Authorize(Operation::kMfcertsManage,
                                       MfcertsTarget(request->environment())));
        ASSIGN_OR_RETURN(
            signer::MinistryCertificateStore * store,
            Configured(domain_.mfcerts, "Ministry certificate store"));
        std::vector<std::string> pins(request->pin_fingerprints().begin(),
                                      request->pin_fingerprints().end());
        absl::StatusOr<std::vector<signer::MinistryCertificate>> imported =
            store->Import(request->environment(), request->content(), *usage,
                          pins);
        if (!imported.ok()) {
          // Bad input is about the pins when the domain says so (tagged),
          // else about the content.
          return TaggedField(imported.status())
                     ? WithTaggedField(imported.status())
                     : WithField("content", imported.status());
        }
        for (const signer::MinistryCertificate& c : *imported) {
          MinistryCertificateToProto(c, response->add_certificates());
        }
        return absl::OkStatus();
      });
}

grpc::Status KsefAuthService::ListMinistryCertificates(
    grpc::ServerContext* context,
    const sejf::v1::ListMinistryCertificatesRequest* request,
    sejf::v1::ListMinistryCertificatesResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KsefAuth/ListMinistryCertificates",
      [&](RpcCall& call) -> absl::Status {
        if (!request->environment().empty()) {
          RETURN_IF_ERROR(WithField(
              "environment",
              signer::ValidateEnvironmentName(request->environment())));
        }
        if (request->page_size() < 0) {
          return absl::InvalidArgumentError("page_size must not be negative");
        }
        RETURN_IF_ERROR(call.Authorize(Operation::kMfcertsManage,
                                       MfcertsTarget(request->environment())));
        ASSIGN_OR_RETURN(
            signer::MinistryCertificateStore * store,
            Configured(domain_.mfcerts, "Ministry certificate store"));
        ASSIGN_OR_RETURN(
            signer::MinistryCertificatePage page,
            store->List(request->environment(), request->page_size(),
                        request->page_token()));
        for (const signer::MinistryCertificate& c : page.certificates) {
          MinistryCertificateToProto(c, response->add_certificates());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

}  // namespace sejf::server
