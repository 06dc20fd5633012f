#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "vault/records/credential_name.h"
#include "vault/records/key_record.h"

namespace sejf::vault {
namespace {

TEST(CredentialNameTest, AcceptsTheDocumentedAlphabet) {
  for (const char* ok :
       {"a", "0", "acme-auth", "acme.auth_2026",
        "k123456789012345678901234567890123456789012345678901234567890123"}) {
    EXPECT_TRUE(ValidateCredentialName(ok, "key name").ok()) << ok;
  }
}

TEST(CredentialNameTest, RefusesOthersNamingTheField) {
  for (const char* bad :
       {"", "Acme", "-acme", ".acme", "acme auth", "acme/auth", "acme*",
        "k1234567890123456789012345678901234567890123456789012345678901234",
        "zaż\xc3\xb3\xc5\x82\xc4\x87"}) {
    absl::Status s = ValidateCredentialName(bad, "token name");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("token name"), absl::string_view::npos)
        << s.message();
  }
}

TEST(CredentialNameTest, NonPrintableNameIsNotEchoed) {
  absl::Status s = ValidateCredentialName("a\nINFO forged", "key name");
  EXPECT_EQ(s.message().find("forged"), absl::string_view::npos) << s.message();
}

KeyRecord SampleRecord() {
  KeyRecord r;
  r.key_id = "00112233445566778899aabbccddeeff";
  r.algorithm = "ec-p256";
  r.usage = KeyUsage::kOffline;
  r.state = CredentialState::kDisabled;
  r.create_time = absl::FromUnixMicros(1764000000123456);
  r.pkcs11_uri = "pkcs11:token=sejf;object=acme;type=private";
  r.public_key_der = std::string("\x30\x59\x00\xff", 4);
  KeyCertificate c;
  c.der = std::string("\x30\x82\x00", 3);
  c.chain_der = {"ca1", std::string("\0ca2", 4)};
  c.subject = "CN=Jan Kowalski,C=PL";
  c.issuer = "CN=TEST CCK KSeF,C=PL";
  c.serial = "012E76A6111F788E";
  c.not_before = absl::FromUnixSeconds(1760000000);
  c.not_after = absl::FromUnixSeconds(1823000000);
  c.sha256_fingerprint = std::string(64, 'A');
  r.certificate = c;
  return r;
}

TEST(KeyRecordTest, RoundTripsEveryField) {
  KeyRecord r = SampleRecord();
  auto decoded = DecodeKeyRecord(EncodeKeyRecord(r));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, r);
}

TEST(KeyRecordTest, RoundTripsWithoutCertificate) {
  KeyRecord r = SampleRecord();
  r.certificate.reset();
  auto decoded = DecodeKeyRecord(EncodeKeyRecord(r));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(decoded->certificate.has_value());
  EXPECT_EQ(*decoded, r);
}

TEST(KeyRecordTest, SerialStoredWithDersSignByteReadsAsItsValue) {
  KeyRecord r = SampleRecord();
  for (const auto& [stored, read] :
       std::vector<std::pair<std::string, std::string>>{
           {"008000000000000001", "8000000000000001"},
           {"00C3126A6111F788E0", "C3126A6111F788E0"},
           {"00FF", "FF"},
           // No sign byte: as it is.
           {"8000000000000001", "8000000000000001"},
           {"007F", "007F"},
           {"0000000000000001", "0000000000000001"},
           {"00", "00"},
           {"012E76A6111F788E", "012E76A6111F788E"}}) {
    r.certificate->serial = stored;
    auto decoded = DecodeKeyRecord(EncodeKeyRecord(r));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->certificate->serial, read) << stored;
  }
}

TEST(KeyRecordTest, DamagedOrForeignDataIsDataLoss) {
  std::string good = EncodeKeyRecord(SampleRecord());
  for (const std::string& bad :
       {good.substr(0, good.size() / 2), std::string("{}"),
        std::string("not json"), std::string(R"({"format":2})"), [&] {
          std::string s = good;
          s.replace(s.find("\"offline\""), 9, "\"online\"");
          return s;
        }()}) {
    EXPECT_EQ(DecodeKeyRecord(bad).status().code(), absl::StatusCode::kDataLoss)
        << bad;
  }
}

// Found by fuzzing (fuzz/vault_records_fuzz.cc covers this decoder): a
// number too large for int64 was converted without a check (undefined
// behaviour); numbers that are not 64-bit integers are DATA_LOSS.
TEST(KeyRecordTest, NumbersThatAreNotInt64AreDataLoss) {
  std::string good = EncodeKeyRecord(SampleRecord());
  for (const char* member : {"\"format\":", "\"create_time_us\":",
                             "\"not_before_us\":", "\"not_after_us\":"}) {
    for (const char* number :
         {"1e21", "1.5", "-1e300", "9223372036854775808"}) {
      std::string bad = good;
      std::size_t at = bad.find(member);
      ASSERT_NE(at, std::string::npos) << member;
      at += std::string(member).size();
      bad.replace(at, bad.find_first_of(",}", at) - at, number);
      EXPECT_EQ(DecodeKeyRecord(bad).status().code(),
                absl::StatusCode::kDataLoss)
          << bad;
    }
  }
}

TEST(KeyRecordTest, UnknownMembersAreIgnored) {
  std::string data = EncodeKeyRecord(SampleRecord());
  data.insert(1, R"("added_later":{"x":1},)");
  auto decoded = DecodeKeyRecord(data);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, SampleRecord());
}

}  // namespace
}  // namespace sejf::vault
