#include "server/token_conversions.h"

#include "absl/strings/str_cat.h"
#include "server/common_conversions.h"

namespace sejf::server {

std::optional<vault::TokenPermission> PermissionFromProto(
    sejf::v1::TokenPermission permission) {
  using P = vault::TokenPermission;
  switch (permission) {
    case sejf::v1::TOKEN_PERMISSION_INVOICE_READ:
      return P::kInvoiceRead;
    case sejf::v1::TOKEN_PERMISSION_INVOICE_WRITE:
      return P::kInvoiceWrite;
    case sejf::v1::TOKEN_PERMISSION_CREDENTIALS_READ:
      return P::kCredentialsRead;
    case sejf::v1::TOKEN_PERMISSION_CREDENTIALS_MANAGE:
      return P::kCredentialsManage;
    case sejf::v1::TOKEN_PERMISSION_SUBUNIT_MANAGE:
      return P::kSubunitManage;
    case sejf::v1::TOKEN_PERMISSION_ENFORCEMENT_OPERATIONS:
      return P::kEnforcementOperations;
    case sejf::v1::TOKEN_PERMISSION_INTROSPECTION:
      return P::kIntrospection;
    case sejf::v1::TOKEN_PERMISSION_COLLECTIVE_IDENTIFIER_MANAGE:
      return P::kCollectiveIdentifierManage;
    default:
      return std::nullopt;
  }
}

sejf::v1::TokenPermission PermissionToProto(vault::TokenPermission permission) {
  using P = vault::TokenPermission;
  switch (permission) {
    case P::kInvoiceRead:
      return sejf::v1::TOKEN_PERMISSION_INVOICE_READ;
    case P::kInvoiceWrite:
      return sejf::v1::TOKEN_PERMISSION_INVOICE_WRITE;
    case P::kCredentialsRead:
      return sejf::v1::TOKEN_PERMISSION_CREDENTIALS_READ;
    case P::kCredentialsManage:
      return sejf::v1::TOKEN_PERMISSION_CREDENTIALS_MANAGE;
    case P::kSubunitManage:
      return sejf::v1::TOKEN_PERMISSION_SUBUNIT_MANAGE;
    case P::kEnforcementOperations:
      return sejf::v1::TOKEN_PERMISSION_ENFORCEMENT_OPERATIONS;
    case P::kIntrospection:
      return sejf::v1::TOKEN_PERMISSION_INTROSPECTION;
    case P::kCollectiveIdentifierManage:
      return sejf::v1::TOKEN_PERMISSION_COLLECTIVE_IDENTIFIER_MANAGE;
  }
  return sejf::v1::TOKEN_PERMISSION_UNSPECIFIED;
}

void TokenToProto(const vault::Token& token, sejf::v1::Token* out) {
  const vault::TokenRecord& r = token.record;
  out->set_name(absl::StrCat("tokens/", token.name));
  out->set_context(r.context);
  for (vault::TokenPermission p : r.permissions) {
    out->add_permissions(PermissionToProto(p));
  }
  out->set_description(r.description);
  out->set_state(StateToProto(r.state));
  out->set_version(r.version);
  *out->mutable_create_time() = ToTimestamp(r.create_time);
  *out->mutable_rotate_time() = ToTimestamp(r.rotate_time);
  if (r.expire_time) *out->mutable_expire_time() = ToTimestamp(*r.expire_time);
  out->set_ksef_reference_number(r.ksef_reference);
  out->set_ksef_environment(r.ksef_environment);
  out->set_ksef_status(KsefTokenStatusToProto(r.ksef_status));
  if (r.ksef_status_time) {
    *out->mutable_ksef_status_time() = ToTimestamp(*r.ksef_status_time);
  }
}

sejf::v1::KsefTokenStatus KsefTokenStatusToProto(absl::string_view status) {
  if (status == "Pending") return sejf::v1::KSEF_TOKEN_STATUS_PENDING;
  if (status == "Active") return sejf::v1::KSEF_TOKEN_STATUS_ACTIVE;
  if (status == "Revoking") return sejf::v1::KSEF_TOKEN_STATUS_REVOKING;
  if (status == "Revoked") return sejf::v1::KSEF_TOKEN_STATUS_REVOKED;
  if (status == "Failed") return sejf::v1::KSEF_TOKEN_STATUS_FAILED;
  return sejf::v1::KSEF_TOKEN_STATUS_UNSPECIFIED;
}

}  // namespace sejf::server
