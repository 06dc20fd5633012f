#include "hsm/pkcs11/module.h"

#include <dlfcn.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::pkcs11 {
namespace {

using ::sejf::hsm::testing::InitTokenWithTool;
using ::sejf::hsm::testing::kSoftHsmModule;
using ::testing::HasSubstr;

// Each test gets its own token store; only one Module is alive at a time.
class ModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_TRUE(testing::UseSoftHsmStore(dir_.path()).ok());
  }

  testing::TempDir dir_;
};

TEST_F(ModuleTest, LoadOfMissingFileIsNotFoundNamingThePath) {
  auto module = Module::Load("/nonexistent/libpkcs11.so");
  EXPECT_EQ(module.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(module.status().message(),
              HasSubstr("/nonexistent/libpkcs11.so"));
}

TEST_F(ModuleTest, LoadOfLibraryThatIsNotPkcs11Fails) {
  auto module = Module::Load("libc.so.6");
  EXPECT_EQ(module.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(module.status().message(), HasSubstr("libc.so.6"));
  EXPECT_THAT(module.status().message(), HasSubstr("C_GetFunctionList"));
}

TEST_F(ModuleTest, LoadReportsUnreadableConfigurationNamingTheModule) {
  setenv("SOFTHSM2_CONF", (dir_.path() + "/missing.conf").c_str(), 1);
  auto module = Module::Load(kSoftHsmModule);
  EXPECT_FALSE(module.ok());
  EXPECT_THAT(module.status().message(), HasSubstr(kSoftHsmModule));
  EXPECT_THAT(module.status().message(), HasSubstr("C_Initialize"));
}

TEST_F(ModuleTest, SecondLoadInOneProcessFailsUntilTheFirstIsGone) {
  ASSERT_TRUE(InitTokenWithTool("sejf", "so-pin-1", "user-pin-1").ok());
  auto first = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(first.ok()) << first.status();

  auto second = Module::Load(kSoftHsmModule);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("already loaded"));
  // The failed load did not disturb the first one.
  EXPECT_TRUE((*first)->FindTokenSlot("sejf").ok());

  first->reset();  // C_Finalize
  auto third = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_TRUE((*third)->FindTokenSlot("sejf").ok());
}

TEST_F(ModuleTest, LoadFailsWhenAnotherUserInitialisedTheModuleAndLeavesIt) {
  // Another user of the library in this process, like libp11 would be.
  void* library = dlopen(kSoftHsmModule, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr);
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(
      dlsym(library, "C_GetFunctionList"));
  ASSERT_NE(get_list, nullptr);
  CK_FUNCTION_LIST* other = nullptr;
  ASSERT_EQ(get_list(&other), CKR_OK);
  ASSERT_EQ(other->C_Initialize(nullptr), CKR_OK);

  auto module = Module::Load(kSoftHsmModule);
  EXPECT_EQ(module.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(module.status().message(),
              HasSubstr("CKR_CRYPTOKI_ALREADY_INITIALIZED"));
  EXPECT_THAT(module.status().message(), HasSubstr("another user"));

  // Load must not have finalised the other user's initialisation.
  CK_ULONG count = 0;
  EXPECT_EQ(other->C_GetSlotList(CK_TRUE, nullptr, &count), CKR_OK);
  EXPECT_EQ(other->C_Finalize(nullptr), CKR_OK);
  dlclose(library);

  EXPECT_TRUE(Module::Load(kSoftHsmModule).ok());
}

TEST_F(ModuleTest, FindTokenSlotReturnsTheSlotOfTheLabelledToken) {
  ASSERT_TRUE(InitTokenWithTool("alpha", "so-pin-1", "user-pin-1").ok());
  ASSERT_TRUE(InitTokenWithTool("beta", "so-pin-2", "user-pin-2").ok());
  auto module = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(module.ok()) << module.status();

  auto slot = (*module)->FindTokenSlot("beta");
  ASSERT_TRUE(slot.ok()) << slot.status();
  CK_TOKEN_INFO info;
  ASSERT_EQ((*module)->functions().C_GetTokenInfo(*slot, &info), CKR_OK);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(info.label), 32),
            "beta" + std::string(28, ' '));
}

TEST_F(ModuleTest, FindTokenSlotMatchesALabelOfExactlyThirtyTwoBytes) {
  const std::string label(32, 'L');
  ASSERT_TRUE(InitTokenWithTool(label, "so-pin-1", "user-pin-1").ok());
  auto module = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(module.ok()) << module.status();
  EXPECT_TRUE((*module)->FindTokenSlot(label).ok());
  // A prefix is a different label.
  EXPECT_EQ((*module)->FindTokenSlot(label.substr(0, 31)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ModuleTest, FindTokenSlotNotFoundNamesTheLabelAndThosePresent) {
  ASSERT_TRUE(InitTokenWithTool("alpha", "so-pin-1", "user-pin-1").ok());
  auto module = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(module.ok()) << module.status();

  auto slot = (*module)->FindTokenSlot("sejf");
  EXPECT_EQ(slot.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(slot.status().message(), HasSubstr("\"sejf\""));
  EXPECT_THAT(slot.status().message(), HasSubstr("\"alpha\""));
  EXPECT_THAT(slot.status().message(), HasSubstr(kSoftHsmModule));
}

TEST_F(ModuleTest, FindTokenSlotRefusesToGuessBetweenTwoTokensWithOneLabel) {
  ASSERT_TRUE(InitTokenWithTool("twin", "so-pin-1", "user-pin-1").ok());
  ASSERT_TRUE(InitTokenWithTool("twin", "so-pin-2", "user-pin-2").ok());
  auto module = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(module.ok()) << module.status();

  auto slot = (*module)->FindTokenSlot("twin");
  EXPECT_EQ(slot.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(slot.status().message(), HasSubstr("\"twin\""));
}

TEST_F(ModuleTest, FindTokenSlotRejectsLabelTooLongForPkcs11) {
  auto module = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(module.ok()) << module.status();
  EXPECT_EQ((*module)->FindTokenSlot(std::string(33, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModuleTest, ListTokensShowsInitialisedTokensAndTheFreeSlot) {
  ASSERT_TRUE(InitTokenWithTool("alpha", "so-pin-1", "user-pin-1").ok());
  auto module = Module::Load(kSoftHsmModule);
  ASSERT_TRUE(module.ok()) << module.status();

  auto tokens = (*module)->ListTokens();
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 2u);
  auto alpha =
      std::find_if(tokens->begin(), tokens->end(),
                   [](const Module::Token& t) { return t.label == "alpha"; });
  ASSERT_NE(alpha, tokens->end());
  EXPECT_TRUE(alpha->initialized());
  EXPECT_EQ(alpha->serial.size(), 16u);
  EXPECT_EQ(
      std::count_if(tokens->begin(), tokens->end(),
                    [](const Module::Token& t) { return !t.initialized(); }),
      1);
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
