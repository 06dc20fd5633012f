#include "signer/x509/distinguished_name.h"

#include <openssl/asn1.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::signer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

MATCHER_P2(Entry, attribute, value, "") {
  return arg.attribute == attribute && arg.value == value;
}

// The status of parsing `text`, expected to be INVALID_ARGUMENT.
std::string ParseError(const std::string& text) {
  absl::StatusOr<DistinguishedName> dn = DistinguishedName::Parse(text);
  EXPECT_EQ(dn.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(dn.status().message());
}

TEST(DistinguishedNameTest, ParseKeepsOrderAndValuesExactly) {
  auto dn = DistinguishedName::Parse(
      "CN=Zażółć Gęślą Jaźń, SN=Łękawa-Ćwik, GN=Ńina, "
      "serialNumber=TINPL-5265877635, C=PL, O=Spółka ąćęłńóśźż sp. z o.o., "
      "organizationIdentifier=VATPL-5265877635, uniqueIdentifier=abc-XYZ");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_THAT(
      dn->entries(),
      ElementsAre(
          Entry(DnAttribute::kCommonName, "Zażółć Gęślą Jaźń"),
          Entry(DnAttribute::kSurname, "Łękawa-Ćwik"),
          Entry(DnAttribute::kGivenName, "Ńina"),
          Entry(DnAttribute::kSerialNumber, "TINPL-5265877635"),
          Entry(DnAttribute::kCountryName, "PL"),
          Entry(DnAttribute::kOrganizationName, "Spółka ąćęłńóśźż sp. z o.o."),
          Entry(DnAttribute::kOrganizationIdentifier, "VATPL-5265877635"),
          Entry(DnAttribute::kUniqueIdentifier, "abc-XYZ")));
}

TEST(DistinguishedNameTest, ParseKeepsTheOrderAsWrittenNotACanonicalOne) {
  auto dn = DistinguishedName::Parse(
      "C=PL,serialNumber=PNOPL-80010112345,"
      "CN=b,GN=a,GN=c");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_THAT(dn->entries(), ElementsAre(Entry(DnAttribute::kCountryName, "PL"),
                                         Entry(DnAttribute::kSerialNumber,
                                               "PNOPL-80010112345"),
                                         Entry(DnAttribute::kCommonName, "b"),
                                         Entry(DnAttribute::kGivenName, "a"),
                                         Entry(DnAttribute::kGivenName, "c")));
}

TEST(DistinguishedNameTest, ParseAcceptsLongFormsAnyCase) {
  auto dn = DistinguishedName::Parse(
      "commonName=Jan,surname=Nowak,givenName=Jan,cn=x,sn=y,gn=z,"
      "COUNTRYNAME=PL,organizationname=Firma,SERIALNUMBER=1");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_THAT(dn->entries(),
              ElementsAre(Entry(DnAttribute::kCommonName, "Jan"),
                          Entry(DnAttribute::kSurname, "Nowak"),
                          Entry(DnAttribute::kGivenName, "Jan"),
                          Entry(DnAttribute::kCommonName, "x"),
                          Entry(DnAttribute::kSurname, "y"),
                          Entry(DnAttribute::kGivenName, "z"),
                          Entry(DnAttribute::kCountryName, "PL"),
                          Entry(DnAttribute::kOrganizationName, "Firma"),
                          Entry(DnAttribute::kSerialNumber, "1")));
}

TEST(DistinguishedNameTest, ParseTrimsSpacesAroundItemsButNotInside) {
  auto dn = DistinguishedName::Parse("  CN =  Jan  Kowalski  ,  C= PL ");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_THAT(dn->entries(),
              ElementsAre(Entry(DnAttribute::kCommonName, "Jan  Kowalski"),
                          Entry(DnAttribute::kCountryName, "PL")));
}

TEST(DistinguishedNameTest, EscapedCommaAndBackslashAreValueCharacters) {
  auto dn =
      DistinguishedName::Parse(R"(O=Kowalski\, Nowak i s-ka,CN=a\\b=c+d,C=PL)");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_THAT(dn->entries(),
              ElementsAre(Entry(DnAttribute::kOrganizationName,
                                "Kowalski, Nowak i s-ka"),
                          Entry(DnAttribute::kCommonName, R"(a\b=c+d)"),
                          Entry(DnAttribute::kCountryName, "PL")));
}

TEST(DistinguishedNameTest, ToStringParsesBackToTheSameName) {
  auto dn = DistinguishedName::Parse(
      R"(CN=Łukasz\, Jr., organizationIdentifier=VATPL-1,O=a\\b, C=PL)");
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_EQ(dn->ToString(),
            R"(CN=Łukasz\, Jr.,organizationIdentifier=VATPL-1,O=a\\b,C=PL)");
  auto again = DistinguishedName::Parse(dn->ToString());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *dn);
}

TEST(DistinguishedNameTest, UnknownAttributeIsNamedWithTheAllowedOnes) {
  std::string message = ParseError("CN=a, OU=IT");
  EXPECT_THAT(message, HasSubstr("unknown attribute \"OU\""));
  EXPECT_THAT(message, HasSubstr("character 7"));
  EXPECT_THAT(message, HasSubstr("allowed: CN, SN, GN, serialNumber, C, O, "
                                 "organizationIdentifier, uniqueIdentifier"));
}

TEST(DistinguishedNameTest, EmptyValueNamesTheAttribute) {
  EXPECT_THAT(ParseError("CN=, C=PL"), HasSubstr("empty value for CN"));
  EXPECT_THAT(ParseError("C=PL, GN=   "), HasSubstr("empty value for GN"));
}

TEST(DistinguishedNameTest, CountryMustBeTwoCapitalLetters) {
  for (const char* bad : {"C=POL", "C=P", "C=pl", "C=P1", "C=Pł"}) {
    EXPECT_THAT(ParseError(bad),
                HasSubstr("C must be a two-letter country code"))
        << bad;
  }
}

TEST(DistinguishedNameTest, CommonNameAndOrganizationAreAtMost64Characters) {
  // 64 characters (128 bytes in UTF-8) is fine; 65 is not.
  std::string ok;
  for (int i = 0; i < 64; ++i) ok += "ł";
  EXPECT_TRUE(DistinguishedName::Parse("CN=" + ok).ok());
  EXPECT_TRUE(DistinguishedName::Parse("O=" + ok).ok());
  EXPECT_THAT(ParseError("CN=" + ok + "x"),
              HasSubstr("value of CN has 65 characters; at most 64"));
  EXPECT_THAT(ParseError("O=" + ok + "x"),
              HasSubstr("value of O has 65 characters; at most 64"));
  // Other attributes have no such bound of ours.
  EXPECT_TRUE(DistinguishedName::Parse("GN=" + ok + ok).ok());
}

TEST(DistinguishedNameTest, ControlCharactersAreRefusedWithTheirCodePoint) {
  EXPECT_THAT(ParseError(std::string("CN=Jan\tKowalski")),
              HasSubstr("value of CN contains a control character (U+0009)"));
  EXPECT_THAT(ParseError(std::string("SN=a\nb")),
              HasSubstr("value of SN contains a control character (U+000A)"));
  EXPECT_THAT(ParseError("GN=a\x7f"), HasSubstr("(U+007F)"));
  EXPECT_THAT(ParseError("GN=a\xc2\x85"), HasSubstr("(U+0085)"));
  EXPECT_THAT(ParseError(std::string("GN=a\0b", 6)), HasSubstr("(U+0000)"));
}

TEST(DistinguishedNameTest, InvalidUtf8IsRefused) {
  EXPECT_THAT(ParseError("CN=\xff"), HasSubstr("CN is not valid UTF-8"));
  EXPECT_THAT(ParseError("CN=a\xc5"), HasSubstr("CN is not valid UTF-8"));
  EXPECT_THAT(ParseError("CN=\xc0\xaf"), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(ParseError("CN=\xed\xa0\x80"), HasSubstr("not valid UTF-8"));
}

TEST(DistinguishedNameTest, SerialNumberMustBePrintableString) {
  EXPECT_THAT(ParseError("serialNumber=TINPL_1"),
              HasSubstr("serialNumber may contain only A-Z, a-z, 0-9"));
  EXPECT_THAT(ParseError("serialNumber=PESEL-ł1"), HasSubstr("found \"ł\""));
  std::string long_serial(65, '1');
  EXPECT_THAT(ParseError("serialNumber=" + long_serial),
              HasSubstr("value of serialNumber has 65 characters"));
}

TEST(DistinguishedNameTest, SyntaxErrorsSayWhere) {
  EXPECT_THAT(ParseError(""), HasSubstr("the subject is empty"));
  EXPECT_THAT(ParseError("   "), HasSubstr("the subject is empty"));
  EXPECT_THAT(ParseError("CN=a,,C=PL"),
              HasSubstr("at character 6: empty item"));
  EXPECT_THAT(ParseError("CN=a,"), HasSubstr("empty item"));
  EXPECT_THAT(ParseError("CN=a, Kowalski"),
              HasSubstr("at character 7: expected attr=value, got "
                        "\"Kowalski\""));
  EXPECT_THAT(ParseError("=a"), HasSubstr("attribute name missing"));
  EXPECT_THAT(ParseError("CN=a\\"), HasSubstr("'\\' at the end"));
  EXPECT_THAT(ParseError("CN=a\\+b"),
              HasSubstr("at character 5: unsupported escape \"\\+\""));
}

TEST(DistinguishedNameTest, FromEntriesAppliesTheSameRules) {
  EXPECT_TRUE(DistinguishedName::FromEntries(
                  {{DnAttribute::kCommonName, "Jan, Kowalski"}})
                  .ok());
  EXPECT_EQ(DistinguishedName::FromEntries({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto bad = DistinguishedName::FromEntries(
      {{DnAttribute::kCommonName, "a"}, {DnAttribute::kCountryName, "Poland"}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("C must be a two-letter"));
}

// The encoded Name: one RDN per attribute, in order, with the string types
// the header promises. (The CSR tests check the same with `openssl`.)
TEST(DistinguishedNameTest, ToX509NameUsesOrderAndStringTypes) {
  auto dn = DistinguishedName::Parse(
      "CN=Zażółć,serialNumber=TINPL-1,C=PL,uniqueIdentifier=u,"
      "organizationIdentifier=VATPL-1");
  ASSERT_TRUE(dn.ok()) << dn.status();
  auto name = dn->ToX509Name();
  ASSERT_TRUE(name.ok()) << name.status();
  struct Expected {
    int nid;
    int type;
    const char* value;
  };
  const Expected expected[] = {
      {NID_commonName, V_ASN1_UTF8STRING, "Zażółć"},
      {NID_serialNumber, V_ASN1_PRINTABLESTRING, "TINPL-1"},
      {NID_countryName, V_ASN1_PRINTABLESTRING, "PL"},
      {NID_x500UniqueIdentifier, V_ASN1_UTF8STRING, "u"},
      {NID_organizationIdentifier, V_ASN1_UTF8STRING, "VATPL-1"},
  };
  ASSERT_EQ(X509_NAME_entry_count(name->get()), 5);
  for (int i = 0; i < 5; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name->get(), i);
    EXPECT_EQ(X509_NAME_ENTRY_set(entry), i) << "one RDN per attribute";
    EXPECT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)), expected[i].nid);
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
    EXPECT_EQ(ASN1_STRING_type(data), expected[i].type) << i;
    EXPECT_EQ(
        std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                    ASN1_STRING_length(data)),
        expected[i].value);
  }
}

}  // namespace
}  // namespace sejf::signer
