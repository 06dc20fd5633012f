// What is particular to data objects in a PKCS#11 token (data_object.h):
// the object's attributes, invisibility without the user PIN (checked with
// pkcs11-tool, an independent reader), and persistence across a restart.
// The behaviour every KeyStore shares is in key_store_contract_test.cc.
#include "hsm/pkcs11/data_object.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11/pkcs11_key_store.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::pkcs11 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "anchors";
constexpr char kUserPin[] = "user-pin-0815";

class DataObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto token = testing::CreateTestToken(dir_.path(), kToken, kUserPin);
    ASSERT_TRUE(token.ok()) << token.status();
    OpenStore(*std::move(token));
  }

  void OpenStore(OpenedToken token) {
    auto store = Pkcs11KeyStore::Create(std::move(token));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // A process restart: the store and module go, a new store opens.
  void Restart() {
    store_.reset();
    auto token = testing::OpenTestToken(kToken, kUserPin);
    ASSERT_TRUE(token.ok()) << token.status();
    OpenStore(*std::move(token));
  }

  // pkcs11-tool on the test token; the PIN on its command line is fine for
  // a throwaway token.
  absl::StatusOr<std::string> Tool(const std::string& arguments, bool login) {
    return testing::RunCommand(absl::StrCat(
        "pkcs11-tool --module ", testing::kSoftHsmModule, " --token-label ",
        kToken, login ? absl::StrCat(" --login --pin ", kUserPin) : "", " ",
        arguments));
  }

  testing::TempDir dir_;
  std::unique_ptr<Pkcs11KeyStore> store_;
};

TEST_F(DataObjectTest, IsAPrivateTokenDataObjectOnlyTheUserSees) {
  ASSERT_TRUE(store_->WriteDataObject("sejf-audit-anchor", "anchored").ok());
  auto with_pin = Tool("--list-objects --type data", /*login=*/true);
  ASSERT_TRUE(with_pin.ok()) << with_pin.status();
  EXPECT_THAT(*with_pin, HasSubstr("Data object"));
  EXPECT_THAT(*with_pin, HasSubstr("sejf-audit-anchor"));
  EXPECT_THAT(*with_pin, HasSubstr("'sejf'"));  // CKA_APPLICATION
  EXPECT_THAT(*with_pin, HasSubstr("private"));
  // Without the PIN the object does not even show.
  auto without_pin = Tool("--list-objects --type data", /*login=*/false);
  ASSERT_TRUE(without_pin.ok()) << without_pin.status();
  EXPECT_THAT(*without_pin, Not(HasSubstr("sejf-audit-anchor")));
  // pkcs11-tool reads the value we wrote.
  auto value = Tool(
      "--read-object --type data --label sejf-audit-anchor --output-file "
      "/dev/stdout",
      /*login=*/true);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_THAT(*value, HasSubstr("anchored"));
}

TEST_F(DataObjectTest, ValueSurvivesARestartAndIsReplacedInPlace) {
  ASSERT_TRUE(store_->WriteDataObject("kept", "v1").ok());
  ASSERT_TRUE(store_->WriteDataObject("kept", "v2").ok());
  Restart();
  auto value = store_->ReadDataObject("kept");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::optional<std::string>("v2"));
  auto listing = Tool("--list-objects --type data", /*login=*/true);
  ASSERT_TRUE(listing.ok()) << listing.status();
  // One object, not one per write.
  const std::string& text = *listing;
  EXPECT_EQ(text.find("kept"), text.rfind("kept")) << text;
}

TEST_F(DataObjectTest, TwoObjectsWithTheLabelAreFailedPrecondition) {
  ASSERT_TRUE(store_->WriteDataObject("twice", "ours").ok());
  // Another tool adds a second private data object under the same label.
  testing::TempDir files;
  const std::string file = files.path() + "/value";
  ASSERT_TRUE(testing::RunCommand("printf theirs > " + file).ok());
  auto written = Tool(absl::StrCat("--write-object ", file,
                                   " --type data --label twice --private"),
                      /*login=*/true);
  ASSERT_TRUE(written.ok()) << written.status();
  auto read = store_->ReadDataObject("twice");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(read.status().message(), HasSubstr("\"twice\""));
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
