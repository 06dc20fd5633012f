// Issue 11, finding 2 and KEK retirement, against a real dev sejfd and its
// SoftHSM2 token, checked with pkcs11-tool on that token: a client cannot
// name (and so cannot replace) the audit key or a KEK, a foreign object
// whose label a key name maps to is left untouched, and repeated KEK
// rotations leave one KEK in the token with every token still readable.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

// One object as `pkcs11-tool --list-objects` prints it.
struct TokenObject {
  std::string kind = {};  // "Private Key Object; EC", "Secret Key Object; …"
  std::string label = {};
  std::string id = {};  // hex
};

class CustodyNamespaceE2eTest : public SejfdTest {
 protected:
  void SetUp() override { StartSejfd(); }

  std::vector<TokenObject> Objects(const std::string& type) {
    CommandResult listing = Pkcs11Tool({"--list-objects", "--type", type});
    EXPECT_EQ(listing.exit_code, 0) << listing.err;
    std::vector<TokenObject> objects;
    for (absl::string_view line : absl::StrSplit(listing.out, '\n')) {
      if (absl::StrContains(line, " Object;")) {
        objects.push_back({std::string(absl::StripAsciiWhitespace(line))});
        continue;
      }
      if (objects.empty()) continue;
      absl::string_view rest = absl::StripLeadingAsciiWhitespace(line);
      if (absl::ConsumePrefix(&rest, "label:")) {
        objects.back().label = std::string(absl::StripAsciiWhitespace(rest));
      } else if (absl::ConsumePrefix(&rest, "ID:")) {
        objects.back().id = std::string(absl::StripAsciiWhitespace(rest));
      }
    }
    return objects;
  }

  // The objects of `type` labelled `label`.
  std::vector<TokenObject> Labelled(const std::string& type,
                                    const std::string& label) {
    std::vector<TokenObject> found;
    for (TokenObject& o : Objects(type)) {
      if (o.label == label) found.push_back(std::move(o));
    }
    return found;
  }
};

TEST_F(CustodyNamespaceE2eTest, InternalNamesAreRefusedAndTheAuditKeyStays) {
  const std::vector<TokenObject> audit = Labelled("privkey", "sejf-audit");
  ASSERT_EQ(audit.size(), 1u) << "the daemon's audit key";
  ASSERT_FALSE(audit[0].id.empty());
  for (const char* name : {"sejf-audit", "sejf-kek-v1", "sejf-kek-v2"}) {
    CommandResult r =
        Sejf({"key", "generate", "--name", name, "--usage", "authentication"});
    EXPECT_EQ(r.exit_code, 1) << name << ": " << r.out;
    EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
    EXPECT_THAT(r.err, HasSubstr("reserved"));
  }
  // A name that looks like the key without the prefix is a custody key of
  // its own, in the custody namespace.
  CommandResult own =
      Sejf({"key", "generate", "--name", "audit", "--usage", "authentication"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(Labelled("privkey", "sejf-key/audit").size(), 1u);

  RestartSejfd();
  CommandResult verify = Sejf({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const std::vector<TokenObject> after = Labelled("privkey", "sejf-audit");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, audit[0].id) << "the original audit key";
}

TEST_F(CustodyNamespaceE2eTest, ForeignObjectsSurviveAGenerateOfThatName) {
  // Another application's keys in the same token: one with exactly the
  // label the name "erp" maps to, one labelled "erp" itself.
  for (const auto& [label, id] :
       std::vector<std::pair<std::string, std::string>>{
           {"sejf-key/erp", "0a0b0c0d"}, {"erp", "01020304"}}) {
    CommandResult made =
        Pkcs11Tool({"--keypairgen", "--key-type", "EC:prime256v1", "--label",
                    label, "--id", id});
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  }
  CommandResult r =
      Sejf({"key", "generate", "--name", "erp", "--usage", "authentication"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, HasSubstr("ALREADY_EXISTS"));
  EXPECT_THAT(r.err, HasSubstr("sejf-key/erp"));
  EXPECT_THAT(r.err, HasSubstr("did not create"));
  for (const auto& [label, id] :
       std::vector<std::pair<std::string, std::string>>{
           {"sejf-key/erp", "0a0b0c0d"}, {"erp", "01020304"}}) {
    for (const char* type : {"privkey", "pubkey"}) {
      const std::vector<TokenObject> found = Labelled(type, label);
      ASSERT_EQ(found.size(), 1u) << label << " " << type;
      EXPECT_EQ(found[0].id, id) << label << " " << type;
    }
  }
  EXPECT_EQ(Sejf({"key", "show", "erp"}).exit_code, 1) << "no record";
  // Another name works, next to them.
  CommandResult other =
      Sejf({"key", "generate", "--name", "erp-2", "--usage", "authentication"});
  EXPECT_EQ(other.exit_code, 0) << other.err;
}

TEST_F(CustodyNamespaceE2eTest, RepeatedKekRotationsKeepOneKekInTheToken) {
  for (const char* name : {"one", "two"}) {
    CommandResult imported =
        Sejf({"token", "import", "--name", name, "--context", "nip:5265877635"},
             std::string(40, 'a') + name + "\n");
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }
  ASSERT_EQ(Objects("secrkey").size(), 1u);
  for (int i = 0; i < 4; ++i) {
    CommandResult kek = Sejf({"vault", "rotate-kek"});
    ASSERT_EQ(kek.exit_code, 0) << kek.err;
    const std::vector<TokenObject> keks = Objects("secrkey");
    ASSERT_EQ(keks.size(), 1u) << "after rotation " << i + 1;
    EXPECT_THAT(kek.out, HasSubstr("object=" + keks[0].label));
  }
  EXPECT_EQ(Objects("secrkey")[0].label, "sejf-kek-v5");
  // The keyring opens under the only KEK left after a restart, and every
  // token is still there.
  RestartSejfd();
  for (const char* name : {"one", "two"}) {
    CommandResult show = Sejf({"token", "show", name});
    EXPECT_EQ(show.exit_code, 0) << name << ": " << show.err;
  }
  EXPECT_EQ(Sejf({"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace sejf::testing
