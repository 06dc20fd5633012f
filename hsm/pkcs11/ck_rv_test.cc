#include "hsm/pkcs11/ck_rv.h"

#include <ostream>
#include <string>

#include "gtest/gtest.h"

namespace sejf::hsm::pkcs11 {
namespace {

using Code = absl::StatusCode;

struct Row {
  CK_RV rv;
  const char* name;
  Code code;
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

class CkRvToStatusTest : public ::testing::TestWithParam<Row> {};

TEST_P(CkRvToStatusTest, MapsToCodeAndNamesTheCallAndValue) {
  const Row& row = GetParam();
  absl::Status status = CkRvToStatus(row.rv, "C_Something");
  EXPECT_EQ(status.code(), row.code) << row.name;
  EXPECT_EQ(status.message(), std::string("C_Something: ") + row.name);
  EXPECT_EQ(CkRvName(row.rv), row.name);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CkRvToStatusTest,
    ::testing::Values(
        // Device and session trouble: the caller may reopen and retry.
        Row{CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", Code::kUnavailable},
        Row{CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", Code::kUnavailable},
        Row{CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", Code::kUnavailable},
        Row{CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID",
            Code::kUnavailable},
        Row{CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", Code::kUnavailable},
        Row{CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN",
            Code::kUnavailable},
        Row{CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED",
            Code::kUnavailable},
        Row{CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", Code::kUnavailable},
        // Wrong PIN.
        Row{CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", Code::kPermissionDenied},
        Row{CKR_PIN_LOCKED, "CKR_PIN_LOCKED", Code::kPermissionDenied},
        // Bad arguments and templates.
        Row{CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", Code::kInvalidArgument},
        Row{CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE",
            Code::kInvalidArgument},
        Row{CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT",
            Code::kInvalidArgument},
        Row{CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID",
            Code::kInvalidArgument},
        Row{CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID",
            Code::kInvalidArgument},
        Row{CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", Code::kInvalidArgument},
        // Missing keys and objects.
        Row{CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", Code::kNotFound},
        Row{CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID",
            Code::kNotFound},
        // Memory and buffers.
        Row{CKR_HOST_MEMORY, "CKR_HOST_MEMORY", Code::kResourceExhausted},
        Row{CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", Code::kResourceExhausted},
        Row{CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL",
            Code::kResourceExhausted},
        // Wrong state.
        Row{CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED",
            Code::kFailedPrecondition},
        Row{CKR_CRYPTOKI_ALREADY_INITIALIZED,
            "CKR_CRYPTOKI_ALREADY_INITIALIZED", Code::kFailedPrecondition},
        Row{CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED",
            Code::kUnimplemented},
        // The rest.
        Row{CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", Code::kInternal},
        Row{CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", Code::kInternal},
        Row{CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE",
            Code::kInternal}),
    [](const ::testing::TestParamInfo<Row>& info) {
      return std::string(info.param.name);
    });

TEST(CkRvToStatus, OkIsOk) { EXPECT_TRUE(CkRvToStatus(CKR_OK, "C_Sign").ok()); }

TEST(CkRvToStatus, ExampleMessageFromTheLogin) {
  EXPECT_EQ(CkRvToStatus(CKR_PIN_INCORRECT, "C_Login").message(),
            "C_Login: CKR_PIN_INCORRECT");
}

TEST(CkRvToStatus, VendorDefinedValueIsInternalAndShowsItsOffset) {
  absl::Status status = CkRvToStatus(CKR_VENDOR_DEFINED + 0x2a, "C_Sign");
  EXPECT_EQ(status.code(), Code::kInternal);
  EXPECT_EQ(status.message(), "C_Sign: CKR_VENDOR_DEFINED+0x2a");
}

TEST(CkRvToStatus, UnknownValueIsInternalAndShowsItInHex) {
  absl::Status status = CkRvToStatus(0x7777, "C_Sign");
  EXPECT_EQ(status.code(), Code::kInternal);
  EXPECT_EQ(status.message(), "C_Sign: CKR_0x7777");
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
