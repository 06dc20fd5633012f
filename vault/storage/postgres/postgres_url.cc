#include "vault/storage/postgres/postgres_url.h"

#include <libpq-fe.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace sejf::vault {
namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

}  // namespace

absl::Status ValidatePostgresUrl(absl::string_view url, bool ca_file_set) {
  if (url.empty()) {
    return absl::InvalidArgumentError(
        "is empty; set a libpq connection URL, e.g. "
        "\"postgresql://sejf@db.example.com:5432/sejf\"");
  }
  const std::string text(url);
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(
      PQconninfoParse(text.c_str(), &error));
  if (options == nullptr) {
    // libpq's message quotes the string, which might hold a password.
    PQfreemem(error);
    return absl::InvalidArgumentError(
        "is not a libpq connection string: use a URL such as "
        "\"postgresql://sejf@db.example.com:5432/sejf?sslmode=verify-full\" "
        "or keywords such as \"host=db.example.com dbname=sejf user=sejf\"");
  }
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const absl::string_view keyword = o->keyword;
    const absl::string_view value = o->val;
    if (keyword == "password" && !value.empty()) {
      return absl::InvalidArgumentError(
          "contains a password; remove it and put the password in the file "
          "named by storage.postgres_password_file (or in a PGPASSFILE), so "
          "that it never appears in configuration, logs or process listings");
    }
    if (keyword == "sslmode" && ca_file_set && value != "verify-full") {
      return absl::InvalidArgumentError(
          absl::StrCat("sets sslmode=", value,
                       " but storage.postgres_ca_file is set, which means "
                       "sslmode=verify-full; remove sslmode from the URL"));
    }
  }
  return absl::OkStatus();
}

}  // namespace sejf::vault
