#include "server/resource_names.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "vault/records/credential_name.h"

namespace sejf::server {
namespace {

absl::StatusOr<std::string> NameFromResource(absl::string_view resource,
                                             absl::string_view collection,
                                             absl::string_view field) {
  absl::string_view name = resource;
  if (!absl::ConsumePrefix(&name, collection) ||
      !absl::ConsumePrefix(&name, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must be a resource name \"", collection, "/{name}\""));
  }
  RETURN_IF_ERROR(vault::ValidateCredentialName(name, field));
  return std::string(name);
}

}  // namespace

absl::StatusOr<std::string> KeyNameFromResource(absl::string_view resource,
                                                absl::string_view field) {
  return NameFromResource(resource, "keys", field);
}

absl::StatusOr<std::string> TokenNameFromResource(absl::string_view resource,
                                                  absl::string_view field) {
  return NameFromResource(resource, "tokens", field);
}

absl::StatusOr<std::string> SessionNameFromResource(absl::string_view resource,
                                                    absl::string_view field) {
  return NameFromResource(resource, "sessions", field);
}

}  // namespace sejf::server
