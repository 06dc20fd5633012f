#include "client/token_conversions.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/common_conversions.h"

namespace sejf::client {
namespace {

constexpr std::pair<TokenPermission, v1::TokenPermission> kPermissions[] = {
    {TokenPermission::kInvoiceRead, v1::TOKEN_PERMISSION_INVOICE_READ},
    {TokenPermission::kInvoiceWrite, v1::TOKEN_PERMISSION_INVOICE_WRITE},
    {TokenPermission::kCredentialsRead, v1::TOKEN_PERMISSION_CREDENTIALS_READ},
    {TokenPermission::kCredentialsManage,
     v1::TOKEN_PERMISSION_CREDENTIALS_MANAGE},
    {TokenPermission::kSubunitManage, v1::TOKEN_PERMISSION_SUBUNIT_MANAGE},
    {TokenPermission::kEnforcementOperations,
     v1::TOKEN_PERMISSION_ENFORCEMENT_OPERATIONS},
    {TokenPermission::kIntrospection, v1::TOKEN_PERMISSION_INTROSPECTION},
    {TokenPermission::kCollectiveIdentifierManage,
     v1::TOKEN_PERMISSION_COLLECTIVE_IDENTIFIER_MANAGE},
};

}  // namespace

// File-local conversions: static rather than in the unnamed namespace, so
// they overload the public ones instead of hiding them.
static v1::TokenPermission ToProto(TokenPermission permission) {
  return Convert(kPermissions, permission, v1::TOKEN_PERMISSION_UNSPECIFIED);
}

// KSeF's status names as the API's enum (issue 14).
constexpr std::pair<const char*, v1::KsefTokenStatus> kKsefStatuses[] = {
    {"Pending", v1::KSEF_TOKEN_STATUS_PENDING},
    {"Active", v1::KSEF_TOKEN_STATUS_ACTIVE},
    {"Revoking", v1::KSEF_TOKEN_STATUS_REVOKING},
    {"Revoked", v1::KSEF_TOKEN_STATUS_REVOKED},
    {"Failed", v1::KSEF_TOKEN_STATUS_FAILED},
};

static std::string KsefStatusFromProto(v1::KsefTokenStatus status) {
  for (const auto& [name, value] : kKsefStatuses) {
    if (value == status) return name;
  }
  return "";
}

static v1::KsefTokenStatus KsefStatusToProto(const std::string& status) {
  for (const auto& [name, value] : kKsefStatuses) {
    if (status == name) return value;
  }
  return v1::KSEF_TOKEN_STATUS_UNSPECIFIED;
}

Token FromProto(const v1::Token& token) {
  Token out{.name = token.name(),
            .context = token.context(),
            .permissions = {},
            .description = token.description(),
            .state = FromProto(token.state()),
            .version = token.version(),
            .create_time = FromProto(token.create_time()),
            .rotate_time = FromProto(token.rotate_time()),
            .expire_time =
                OptionalTime(token.has_expire_time(), token.expire_time())};
  out.ksef_reference_number = token.ksef_reference_number();
  out.ksef_environment = token.ksef_environment();
  out.ksef_status = KsefStatusFromProto(token.ksef_status());
  out.ksef_status_time =
      OptionalTime(token.has_ksef_status_time(), token.ksef_status_time());
  for (int p : token.permissions()) {
    out.permissions.push_back(ConvertBack(kPermissions,
                                          static_cast<v1::TokenPermission>(p),
                                          TokenPermission::kUnspecified));
  }
  return out;
}

v1::Token ToProto(const Token& token) {
  v1::Token out;
  out.set_name(token.name);
  out.set_context(token.context);
  for (TokenPermission p : token.permissions) out.add_permissions(ToProto(p));
  out.set_description(token.description);
  out.set_state(ToProto(token.state));
  out.set_version(token.version);
  *out.mutable_create_time() = ToProto(token.create_time);
  *out.mutable_rotate_time() = ToProto(token.rotate_time);
  if (token.expire_time.has_value()) {
    *out.mutable_expire_time() = ToProto(*token.expire_time);
  }
  out.set_ksef_reference_number(token.ksef_reference_number);
  out.set_ksef_environment(token.ksef_environment);
  out.set_ksef_status(KsefStatusToProto(token.ksef_status));
  if (token.ksef_status_time.has_value()) {
    *out.mutable_ksef_status_time() = ToProto(*token.ksef_status_time);
  }
  return out;
}

v1::CreateTokenInKsefRequest ToProto(const TokenCreate& create) {
  v1::CreateTokenInKsefRequest out;
  out.set_token_id(create.token_id);
  out.set_session(create.session);
  for (TokenPermission p : create.permissions) out.add_permissions(ToProto(p));
  out.set_description(create.description);
  return out;
}

v1::ImportTokenRequest ToProto(const TokenImport& token) {
  v1::ImportTokenRequest out;
  out.set_token_id(token.token_id);
  out.set_context(token.context);
  for (TokenPermission p : token.permissions) out.add_permissions(ToProto(p));
  out.set_description(token.description);
  if (token.expire_time.has_value()) {
    *out.mutable_expire_time() = ToProto(*token.expire_time);
  }
  // Straight into the field: no temporary copy left unwiped.
  if (!token.encrypted_secret.empty()) {
    out.set_encrypted_secret(token.encrypted_secret);
  } else {
    const absl::string_view secret = SecretView(token.secret);
    out.set_secret(secret.data(), secret.size());
  }
  return out;
}

v1::ListTokensRequest ToProto(const TokenFilter& filter,
                              const PageRequest& page) {
  v1::ListTokensRequest out;
  SetPage(page, &out);
  out.set_context(filter.context);
  out.set_state(ToProto(filter.state));
  return out;
}

Page<Token> FromProto(const v1::ListTokensResponse& page) {
  Page<Token> out{.items = {}, .next_page_token = page.next_page_token()};
  out.items.reserve(page.tokens_size());
  for (const v1::Token& t : page.tokens()) out.items.push_back(FromProto(t));
  return out;
}

v1::ListTokensResponse ToProto(const std::vector<Token>& tokens) {
  v1::ListTokensResponse out;
  for (const Token& token : tokens) *out.add_tokens() = ToProto(token);
  return out;
}

VaultStatus FromProto(const v1::GetVaultStatusResponse& status) {
  return VaultStatus{.current_data_key_id = status.current_data_key_id(),
                     .data_key_count = status.data_key_count(),
                     .token_count = status.token_count(),
                     .records_pending_reseal = status.records_pending_reseal(),
                     .kek_uri = status.kek_uri()};
}

v1::GetVaultStatusResponse ToProto(const VaultStatus& status) {
  v1::GetVaultStatusResponse out;
  out.set_current_data_key_id(status.current_data_key_id);
  out.set_data_key_count(status.data_key_count);
  out.set_token_count(status.token_count);
  out.set_records_pending_reseal(status.records_pending_reseal);
  out.set_kek_uri(status.kek_uri);
  return out;
}

DataKeyRotation FromProto(const v1::RotateDataKeyResponse& rotation) {
  return DataKeyRotation{.data_key_id = rotation.data_key_id()};
}

v1::RotateDataKeyResponse ToProto(const DataKeyRotation& rotation) {
  v1::RotateDataKeyResponse out;
  out.set_data_key_id(rotation.data_key_id);
  return out;
}

KekRotation FromProto(const v1::RotateKeyEncryptionKeyResponse& rotation) {
  return KekRotation{.kek_uri = rotation.kek_uri()};
}

v1::RotateKeyEncryptionKeyResponse ToProto(const KekRotation& rotation) {
  v1::RotateKeyEncryptionKeyResponse out;
  out.set_kek_uri(rotation.kek_uri);
  return out;
}

namespace {

constexpr absl::string_view kFindingPrefix = "VAULT_FINDING_KIND_";

}  // namespace

VaultCheck FromProto(const v1::CheckVaultResponse& check) {
  VaultCheck out{.clean = check.clean(),
                 .findings = {},
                 .keys_checked = check.keys_checked(),
                 .tokens_checked = check.tokens_checked(),
                 .hsm_objects = check.hsm_objects(),
                 .data_keys_checked = check.data_keys_checked()};
  for (const v1::VaultFinding& f : check.findings()) {
    std::string kind = v1::VaultFindingKind_Name(f.kind());
    if (absl::StartsWith(kind, kFindingPrefix) &&
        f.kind() != v1::VAULT_FINDING_KIND_UNSPECIFIED) {
      kind = absl::AsciiStrToLower(kind.substr(kFindingPrefix.size()));
    } else {
      kind = "unspecified";
    }
    out.findings.push_back({.kind = std::move(kind),
                            .subject = f.subject(),
                            .detail = f.detail(),
                            .remedy = f.remedy()});
  }
  return out;
}

v1::CheckVaultResponse ToProto(const VaultCheck& check) {
  v1::CheckVaultResponse out;
  out.set_clean(check.clean);
  out.set_keys_checked(check.keys_checked);
  out.set_tokens_checked(check.tokens_checked);
  out.set_hsm_objects(check.hsm_objects);
  out.set_data_keys_checked(check.data_keys_checked);
  for (const VaultFinding& f : check.findings) {
    v1::VaultFinding* finding = out.add_findings();
    v1::VaultFindingKind kind = v1::VAULT_FINDING_KIND_UNSPECIFIED;
    if (!v1::VaultFindingKind_Parse(
            absl::StrCat(kFindingPrefix, absl::AsciiStrToUpper(f.kind)),
            &kind)) {
      kind = v1::VAULT_FINDING_KIND_UNSPECIFIED;
    }
    finding->set_kind(kind);
    finding->set_subject(f.subject);
    finding->set_detail(f.detail);
    finding->set_remedy(f.remedy);
  }
  return out;
}

}  // namespace sejf::client
