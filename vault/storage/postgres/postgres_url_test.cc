#include "vault/storage/postgres/postgres_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ValidatePostgresUrlTest, AcceptsUrlsAndKeywordStringsWithoutPassword) {
  for (const char* url :
       {"postgresql://sejf@db.example.com:5432/sejf",
        "postgres://sejf@db1,db2/sejf?target_session_attrs=read-write",
        "host=db.example.com port=5432 dbname=sejf user=sejf",
        "postgresql:///sejf?host=/run/postgresql",
        "postgresql://sejf@db/sejf?passfile=/etc/sejf/pgpass"}) {
    EXPECT_TRUE(ValidatePostgresUrl(url, /*ca_file_set=*/false).ok()) << url;
  }
}

TEST(ValidatePostgresUrlTest, RefusesAPasswordWithoutRepeatingIt) {
  for (const char* url : {"postgresql://sejf:Sup3rSecret@db.example.com/sejf",
                          "postgresql://sejf@db/sejf?password=Sup3rSecret",
                          "host=db user=sejf password=Sup3rSecret"}) {
    absl::Status status = ValidatePostgresUrl(url, false);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(status.message(), HasSubstr("postgres_password_file"));
    EXPECT_THAT(status.message(), Not(HasSubstr("Sup3rSecret")));
  }
}

TEST(ValidatePostgresUrlTest, RefusesUnparsableStringsWithoutRepeatingThem) {
  for (const char* url : {"host=db password", "postgresql://[::1/x",
                          "host=db passwrd=Sup3rSecret"}) {
    absl::Status status = ValidatePostgresUrl(url, false);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(status.message(), HasSubstr("postgresql://"));
    EXPECT_THAT(status.message(), Not(HasSubstr("Sup3rSecret")));
  }
  EXPECT_EQ(ValidatePostgresUrl("", false).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidatePostgresUrlTest, CaFileMeansVerifyFullAndNoWeakerSslmode) {
  EXPECT_TRUE(ValidatePostgresUrl("postgresql://sejf@db/sejf", true).ok());
  EXPECT_TRUE(
      ValidatePostgresUrl("postgresql://sejf@db/sejf?sslmode=verify-full", true)
          .ok());
  for (const char* mode : {"disable", "prefer", "require", "verify-ca"}) {
    absl::Status status = ValidatePostgresUrl(
        std::string("postgresql://sejf@db/sejf?sslmode=") + mode, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mode;
    EXPECT_THAT(status.message(), HasSubstr("postgres_ca_file"));
    // Without a CA file the URL's sslmode is the operator's choice.
    EXPECT_TRUE(
        ValidatePostgresUrl(
            std::string("postgresql://sejf@db/sejf?sslmode=") + mode, false)
            .ok());
  }
}

}  // namespace
}  // namespace sejf::vault
