#include "hsm/softhsm_bootstrap.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11/module.h"
#include "hsm/pkcs11/session.h"
#include "hsm/pkcs11/token_label.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm {
namespace {

using ::sejf::hsm::pkcs11::Module;
using ::sejf::hsm::pkcs11::Session;
using ::sejf::hsm::testing::kSoftHsmModule;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

mode_t ModeOf(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string ReadOrEmpty(const std::string& path) {
  auto content = ReadFile(path);
  return content.ok() ? *content : "";
}

class SoftHsmBootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(root_.path().empty());
    data_dir_ = root_.path() + "/data";  // does not exist yet
    options_.data_dir = data_dir_;
  }

  std::string PathIn(const char* name) const { return data_dir_ + "/" + name; }

  // Logs in as `user_type` with `pin` through a fresh session.
  static absl::Status LoginWith(const OpenedToken& token,
                                CK_USER_TYPE user_type,
                                const std::string& pin) {
    auto session =
        Session::Open(token.module, token.slot, Session::Access::kReadWrite);
    if (!session.ok()) return session.status();
    return session->Login(user_type, SecretFromView(pin));
  }

  static std::vector<Module::Token> InitialisedTokens(const Module& module) {
    auto tokens = module.ListTokens();
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    std::vector<Module::Token> out;
    for (const auto& token : *tokens) {
      if (token.initialized()) out.push_back(token);
    }
    return out;
  }

  testing::TempDir root_;
  std::string data_dir_;
  SoftHsmOptions options_;
};

TEST_F(SoftHsmBootstrapTest, FirstRunCreatesTheLayoutWithPrivateModes) {
  auto token = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(token.ok()) << token.status();

  EXPECT_EQ(ModeOf(data_dir_), 0700u);
  EXPECT_EQ(ModeOf(PathIn("tokens")), 0700u);
  EXPECT_EQ(ModeOf(PathIn("softhsm2.conf")), 0600u);
  EXPECT_EQ(ModeOf(PathIn("hsm-pin")), 0600u);
  EXPECT_EQ(ModeOf(PathIn("hsm-so-pin")), 0600u);

  const std::string config = ReadOrEmpty(PathIn("softhsm2.conf"));
  EXPECT_THAT(config,
              HasSubstr("directories.tokendir = " + PathIn("tokens") + "\n"));
  EXPECT_THAT(config, HasSubstr("objectstore.backend = file\n"));
  EXPECT_THAT(config, HasSubstr("log.level = ERROR\n"));
  EXPECT_THAT(config, HasSubstr("slots.removable = false\n"));
  EXPECT_STREQ(getenv("SOFTHSM2_CONF"), PathIn("softhsm2.conf").c_str());

  const std::string user_pin = ReadOrEmpty(PathIn("hsm-pin"));
  const std::string so_pin = ReadOrEmpty(PathIn("hsm-so-pin"));
  for (const std::string& pin : {user_pin, so_pin}) {
    EXPECT_EQ(pin.size(), 24u);
    EXPECT_TRUE(std::all_of(pin.begin(), pin.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c));
    }));
  }
  EXPECT_NE(user_pin, so_pin);
}

TEST_F(SoftHsmBootstrapTest, FirstRunTokenAcceptsTheUserPinFromItsFile) {
  auto token = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(token.ok()) << token.status();
  const std::string user_pin = ReadOrEmpty(PathIn("hsm-pin"));
  const std::string so_pin = ReadOrEmpty(PathIn("hsm-so-pin"));

  EXPECT_EQ(token->label, "sejf");
  EXPECT_EQ(SecretView(token->user_pin), user_pin);
  EXPECT_TRUE(LoginWith(*token, CKU_USER, user_pin).ok());
  EXPECT_EQ(LoginWith(*token, CKU_USER, so_pin).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(LoginWith(*token, CKU_SO, so_pin).ok());
}

TEST_F(SoftHsmBootstrapTest, AnOutsideToolSeesTheTokenByItsLabel) {
  auto token = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(token.ok()) << token.status();

  // SOFTHSM2_CONF was set by EnsureSoftHsmToken; pkcs11-tool inherits it.
  auto listing = testing::RunCommand(std::string("pkcs11-tool --module ") +
                                     kSoftHsmModule + " --list-slots");
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(*listing, ContainsRegex("token label *: sejf\n"));
  EXPECT_THAT(*listing, HasSubstr("PIN initialized"));

  // And that the PIN file opens it. The PIN goes on pkcs11-tool's command
  // line, which is acceptable for this throwaway token only.
  auto objects = testing::RunCommand(
      std::string("pkcs11-tool --module ") + kSoftHsmModule +
      " --token-label sejf --login --pin '" + ReadOrEmpty(PathIn("hsm-pin")) +
      "' --list-objects");
  EXPECT_TRUE(objects.ok()) << objects.status();
}

TEST_F(SoftHsmBootstrapTest, SecondRunReusesTheTokenAndLeavesPinFilesAlone) {
  std::string serial;
  {
    auto first = EnsureSoftHsmToken(options_);
    ASSERT_TRUE(first.ok()) << first.status();
    auto tokens = InitialisedTokens(*first->module);
    ASSERT_EQ(tokens.size(), 1u);
    serial = tokens[0].serial;
  }  // C_Finalize: as if the daemon stopped
  const std::string user_pin = ReadOrEmpty(PathIn("hsm-pin"));
  const std::string so_pin = ReadOrEmpty(PathIn("hsm-so-pin"));
  const std::string config = ReadOrEmpty(PathIn("softhsm2.conf"));
  struct stat before = {};
  ASSERT_EQ(stat(PathIn("hsm-pin").c_str(), &before), 0);

  auto second = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(second.ok()) << second.status();

  EXPECT_EQ(ReadOrEmpty(PathIn("hsm-pin")), user_pin);
  EXPECT_EQ(ReadOrEmpty(PathIn("hsm-so-pin")), so_pin);
  EXPECT_EQ(ReadOrEmpty(PathIn("softhsm2.conf")), config);
  struct stat after = {};
  ASSERT_EQ(stat(PathIn("hsm-pin").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);  // not even rewritten

  auto tokens = InitialisedTokens(*second->module);
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].serial, serial);
  EXPECT_EQ(SecretView(second->user_pin), user_pin);
  EXPECT_TRUE(LoginWith(*second, CKU_USER, user_pin).ok());
}

TEST_F(SoftHsmBootstrapTest, AMovedDataDirectoryKeepsItsTokenAndPins) {
  std::string serial;
  {
    auto first = EnsureSoftHsmToken(options_);
    ASSERT_TRUE(first.ok()) << first.status();
    serial = InitialisedTokens(*first->module).at(0).serial;
  }
  const std::string moved = root_.path() + "/moved";
  ASSERT_EQ(rename(data_dir_.c_str(), moved.c_str()), 0);
  options_.data_dir = moved;

  auto second = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(second.ok()) << second.status();
  auto tokens = InitialisedTokens(*second->module);
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].serial, serial);
  EXPECT_THAT(ReadOrEmpty(moved + "/softhsm2.conf"),
              HasSubstr("directories.tokendir = " + moved + "/tokens\n"));
}

TEST_F(SoftHsmBootstrapTest, AConfigurationEditedByHandIsKept) {
  ASSERT_TRUE(EnsureDirectory(data_dir_, 0700, true).ok());
  const std::string edited = "directories.tokendir = " + data_dir_ +
                             "/tokens\n"
                             "objectstore.backend = file\n"
                             "log.level = INFO\n";
  ASSERT_TRUE(WriteFileAtomically(PathIn("softhsm2.conf"), edited, 0600).ok());
  auto opened = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(ReadOrEmpty(PathIn("softhsm2.conf")), edited);
}

TEST_F(SoftHsmBootstrapTest, WrongUserPinIsPermissionDeniedWithoutAnyPin) {
  { ASSERT_TRUE(EnsureSoftHsmToken(options_).ok()); }
  const std::string real_pin = ReadOrEmpty(PathIn("hsm-pin"));
  const std::string so_pin = ReadOrEmpty(PathIn("hsm-so-pin"));
  const std::string wrong_pin = "WrongPin0123456789abcdef";
  ASSERT_TRUE(WriteFileAtomically(PathIn("hsm-pin"), wrong_pin, 0600).ok());

  auto token = EnsureSoftHsmToken(options_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kPermissionDenied);
  const std::string message(token.status().message());
  EXPECT_THAT(message, HasSubstr(PathIn("hsm-pin")));
  EXPECT_THAT(message, HasSubstr("CKR_PIN_INCORRECT"));
  EXPECT_THAT(message, Not(HasSubstr(wrong_pin)));
  EXPECT_THAT(message, Not(HasSubstr(real_pin)));
  EXPECT_THAT(message, Not(HasSubstr(so_pin)));
}

TEST_F(SoftHsmBootstrapTest, RecoversWhenPinFilesWereWrittenButNoTokenYet) {
  // A first start that died right after writing the PIN files.
  ASSERT_EQ(mkdir(data_dir_.c_str(), 0700), 0);
  const std::string user_pin = "UserPinWrittenBeforeCrash";
  const std::string so_pin = "SoPinWrittenBeforeCrash1";
  ASSERT_TRUE(WriteFileAtomically(PathIn("hsm-pin"), user_pin, 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(PathIn("hsm-so-pin"), so_pin, 0600).ok());

  auto token = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(ReadOrEmpty(PathIn("hsm-pin")), user_pin);
  EXPECT_EQ(ReadOrEmpty(PathIn("hsm-so-pin")), so_pin);
  EXPECT_TRUE(LoginWith(*token, CKU_USER, user_pin).ok());
  EXPECT_TRUE(LoginWith(*token, CKU_SO, so_pin).ok());
}

// A first start that died between C_InitToken and C_InitPIN: the token
// exists with the SO PIN from the file, but has no user PIN.
class HalfInitialisedTokenTest : public SoftHsmBootstrapTest {
 protected:
  void SetUp() override {
    SoftHsmBootstrapTest::SetUp();
    ASSERT_EQ(mkdir(data_dir_.c_str(), 0700), 0);
    ASSERT_TRUE(WriteFileAtomically(PathIn("hsm-pin"), user_pin_, 0600).ok());
    ASSERT_TRUE(WriteFileAtomically(PathIn("hsm-so-pin"), so_pin_, 0600).ok());
    ASSERT_TRUE(testing::UseSoftHsmStore(data_dir_).ok());
    auto module = Module::Load(kSoftHsmModule);
    ASSERT_TRUE(module.ok()) << module.status();
    auto tokens = (*module)->ListTokens();
    ASSERT_TRUE(tokens.ok() && tokens->size() == 1u);
    auto label = pkcs11::PadTokenLabel("sejf");
    ASSERT_TRUE(label.ok());
    ASSERT_EQ(
        (*module)->functions().C_InitToken(
            (*tokens)[0].slot, reinterpret_cast<CK_UTF8CHAR*>(so_pin_.data()),
            so_pin_.size(), label->data()),
        static_cast<CK_RV>(CKR_OK));
    auto initialised = InitialisedTokens(**module);
    ASSERT_EQ(initialised.size(), 1u);
    ASSERT_EQ(initialised[0].flags & CKF_USER_PIN_INITIALIZED, 0u);
  }

  std::string user_pin_ = "UserPinNeverSetOnToken";
  std::string so_pin_ = "SoPinUsedForInitToken";
};

TEST_F(HalfInitialisedTokenTest, NextRunSetsTheUserPinFromItsFile) {
  auto token = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(InitialisedTokens(*token->module).size(), 1u);
  EXPECT_TRUE(LoginWith(*token, CKU_USER, user_pin_).ok());
  EXPECT_EQ(ReadOrEmpty(PathIn("hsm-pin")), user_pin_);
}

TEST_F(HalfInitialisedTokenTest, NextRunWithoutTheSoPinFileSaysWhatIsMissing) {
  ASSERT_EQ(unlink(PathIn("hsm-so-pin").c_str()), 0);
  auto token = EnsureSoftHsmToken(options_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(token.status().message(), HasSubstr(PathIn("hsm-so-pin")));
  EXPECT_THAT(std::string(token.status().message()), Not(HasSubstr(user_pin_)));
}

TEST_F(SoftHsmBootstrapTest, TokenWithoutItsPinFileIsRefusedWithAdvice) {
  { ASSERT_TRUE(EnsureSoftHsmToken(options_).ok()); }
  ASSERT_EQ(unlink(PathIn("hsm-pin").c_str()), 0);

  auto token = EnsureSoftHsmToken(options_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(token.status().message());
  EXPECT_THAT(message, HasSubstr(PathIn("hsm-pin") + " is missing"));
  EXPECT_THAT(message, HasSubstr("Restore"));
  EXPECT_THAT(message, HasSubstr("delete " + PathIn("tokens")));
  // Nothing was invented in its place: the old token still needs the old PIN.
  EXPECT_FALSE(PathExists(PathIn("hsm-pin")));
}

TEST_F(SoftHsmBootstrapTest, TokensDirectoryOthersMayReadIsRefused) {
  ASSERT_EQ(mkdir(data_dir_.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(PathIn("tokens").c_str(), 0700), 0);
  ASSERT_EQ(chmod(PathIn("tokens").c_str(), 0755), 0);
  auto token = EnsureSoftHsmToken(options_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(token.status().message(), HasSubstr("chmod 700"));
  EXPECT_FALSE(PathExists(PathIn("hsm-pin")));
}

TEST_F(SoftHsmBootstrapTest, UsesTheConfiguredLabel) {
  options_.token_label = "ksef-dev";
  auto token = EnsureSoftHsmToken(options_);
  ASSERT_TRUE(token.ok()) << token.status();
  auto slot = token->module->FindTokenSlot("ksef-dev");
  ASSERT_TRUE(slot.ok()) << slot.status();
  EXPECT_EQ(*slot, token->slot);
  EXPECT_EQ(token->module->FindTokenSlot("sejf").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SoftHsmBootstrapTest, LabelPkcs11CannotHoldIsRejectedBeforeAnyChange) {
  options_.token_label = std::string(33, 'x');
  auto token = EnsureSoftHsmToken(options_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(PathExists(data_dir_));
}

}  // namespace
}  // namespace sejf::hsm
