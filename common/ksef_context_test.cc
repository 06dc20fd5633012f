#include "common/ksef_context.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf {
namespace {

using ::testing::HasSubstr;

TEST(KsefContextTest, ParsesEveryTypeAndPrintsItBack) {
  for (const char* text :
       {"nip:5265877635", "internal-id:5265877635-12345",
        "nip-vat-ue:5265877635-ATU12345678",
        "nip-vat-ue:5265877635-DE123456789", "peppol-id:PPL123456"}) {
    absl::StatusOr<KsefContext> context = ParseKsefContext(text, "context");
    ASSERT_TRUE(context.ok()) << text << ": " << context.status();
    EXPECT_EQ(context->ToString(), text);
  }
}

TEST(KsefContextTest, TypeNamesAreKsefs) {
  EXPECT_EQ(KsefContextTypeName(
                ParseKsefContext("internal-id:5265877635-00001", "c")->type),
            "InternalId");
  EXPECT_EQ(KsefContextTypeName(KsefContextType::kNip), "Nip");
  EXPECT_EQ(KsefContextTypeName(KsefContextType::kNipVatUe), "NipVatUe");
  EXPECT_EQ(KsefContextTypeName(KsefContextType::kPeppolId), "PeppolId");
}

TEST(KsefContextTest, RefusesWrongChecksumNamingTheField) {
  absl::StatusOr<KsefContext> context =
      ParseKsefContext("nip:5265877636", "rule.context");
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(context.status().message(), HasSubstr("rule.context"));
  EXPECT_THAT(context.status().message(), HasSubstr("check digit"));
}

TEST(KsefContextTest, RefusesMalformedValues) {
  for (const char* text :
       {"", "nip", "nip:", "5265877635", "NIP:5265877635", "nip:526587763",
        "nip:52658776350", "nip:0265877635", "nip:5265877635 ", "nip:<a>",
        "internal-id:5265877635", "internal-id:5265877635-1234",
        "internal-id:5265877636-12345", "nip-vat-ue:5265877635-XX123",
        "nip-vat-ue:5265877635-ATU1234567", "peppol-id:PPL12345",
        "peppol-id:ppl123456", "vat:5265877635"}) {
    EXPECT_EQ(ParseKsefContext(text, "context").status().code(),
              absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(KsefContextTest, NipWithZeroSecondAndThirdDigitIsRefused) {
  // Passes the checksum shape test only if the XSD pattern is ignored.
  EXPECT_THAT(ValidateNip("1001234567", "nip").message(),
              HasSubstr("2nd and 3rd"));
}

TEST(KsefContextTest, MakeFromKsefTypeName) {
  absl::StatusOr<KsefContext> context =
      MakeKsefContext("Nip", "5265877635", "contextIdentifier");
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(context->ToString(), "nip:5265877635");
  EXPECT_EQ(MakeKsefContext("Pesel", "5265877635", "contextIdentifier")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf
