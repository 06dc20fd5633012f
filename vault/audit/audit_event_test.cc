// The audit formats: canonical event bytes, the hash chain (checked with the
// openssl command line), row, checkpoint and head encodings.
#include "vault/audit/audit_event.h"

#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hsm/testing/softhsm_testing.h"
#include "vault/audit/audit_checkpoint.h"

namespace sejf::vault {
namespace {

using ::sejf::hsm::testing::RunCommand;
using ::sejf::hsm::testing::TempDir;

AuditEvent SampleEvent() {
  return AuditEvent{.sequence = 7,
                    .time = absl::FromUnixMicros(1764000000123456),
                    .request_id = "5f2c",
                    .identity = "unix:uid:1000",
                    .operation = "keys.read",
                    .method = "/sejf.v1.KeyCustody/GetKey",
                    .resource = "keys/acme-auth",
                    .context = "nip:5265877635",
                    .outcome = "OK",
                    .detail = ""};
}

TEST(AuditEventTest, CanonicalEncodingIsTheDocumentedBytes) {
  AuditEvent event{.sequence = 1,
                   .time = absl::FromUnixMicros(2),
                   .request_id = "r",
                   .outcome = "OK",
                   .detail = "d"};
  std::string expected = absl::HexStringToBytes(
      "01"                // format
      "0000000000000001"  // sequence
      "0000000000000002"  // time µs
      "0000000172"        // request_id "r"
      "00000000"          // identity
      "00000000"          // operation
      "00000000"          // method
      "00000000"          // resource
      "00000000"          // context
      "000000024f4b"      // outcome "OK"
      "0000000164");      // detail "d"
  EXPECT_EQ(absl::BytesToHexString(EncodeCanonicalAuditEvent(event)),
            absl::BytesToHexString(expected));
}

TEST(AuditEventTest, EventWithARuleIsFormat2WithTheRuleLast) {
  AuditEvent event{.sequence = 1,
                   .time = absl::FromUnixMicros(2),
                   .request_id = "r",
                   .outcome = "OK",
                   .detail = "d",
                   .rule = "erp"};
  std::string expected = absl::HexStringToBytes(
      "02"                // format: with a rule
      "0000000000000001"  // sequence
      "0000000000000002"  // time µs
      "0000000172"        // request_id "r"
      "00000000"          // identity
      "00000000"          // operation
      "00000000"          // method
      "00000000"          // resource
      "00000000"          // context
      "000000024f4b"      // outcome "OK"
      "0000000164"        // detail "d"
      "00000003657270");  // rule "erp"
  EXPECT_EQ(absl::BytesToHexString(EncodeCanonicalAuditEvent(event)),
            absl::BytesToHexString(expected));
  auto decoded = DecodeCanonicalAuditEvent(expected);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->rule, "erp");
}

TEST(AuditEventTest, EventStoredBeforeRulesWereRecordedStillReencodes) {
  // Bytes as the format-1-only code wrote them (no rule field).
  std::string stored = absl::HexStringToBytes(
      "01"
      "0000000000000001"
      "0000000000000002"
      "0000000172"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "000000024f4b"
      "0000000164");
  auto decoded = DecodeCanonicalAuditEvent(stored);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->rule, "");
  // The same bytes again, so the chain hash over them still holds.
  EXPECT_EQ(EncodeCanonicalAuditEvent(*decoded), stored);
}

TEST(AuditEventTest, Format2WithoutARuleIsNotCanonical) {
  AuditEvent event = SampleEvent();
  event.rule = "x";
  std::string canonical = EncodeCanonicalAuditEvent(event);
  // Replace the 1-byte rule "x" by an empty one.
  std::string empty_rule =
      canonical.substr(0, canonical.size() - 5) + std::string(4, '\0');
  EXPECT_EQ(DecodeCanonicalAuditEvent(empty_rule).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(AuditEventTest, NegativeTimesAreTwosComplement) {
  AuditEvent event{
      .sequence = 1, .time = absl::FromUnixMicros(-1), .outcome = "OK"};
  std::string canonical = EncodeCanonicalAuditEvent(event);
  EXPECT_EQ(absl::BytesToHexString(canonical.substr(9, 8)), "ffffffffffffffff");
  EXPECT_EQ(DecodeCanonicalAuditEvent(canonical)->time, event.time);
}

TEST(AuditEventTest, DecodeReturnsTheEncodedEvent) {
  AuditEvent event = SampleEvent();
  event.detail = "policy rule 3";
  event.rule = "erp-signing";
  auto decoded = DecodeCanonicalAuditEvent(EncodeCanonicalAuditEvent(event));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, event);
}

TEST(AuditEventTest, DecodeRefusesDamagedBytesWithDataLoss) {
  std::string canonical = EncodeCanonicalAuditEvent(SampleEvent());
  std::string unknown_format = canonical;
  unknown_format[0] = 3;
  for (const std::string& bad :
       {canonical.substr(0, canonical.size() - 1), canonical + "x",
        unknown_format, std::string()}) {
    EXPECT_EQ(DecodeCanonicalAuditEvent(bad).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST(AuditEventTest, ChainHashIsSha256OfPreviousHashAndCanonicalEvent) {
  // Checked against the openssl command line, not our own SHA-256 call.
  TempDir dir;
  std::string canonical = EncodeCanonicalAuditEvent(SampleEvent());
  std::string previous = AuditGenesisHash();
  std::string input = dir.path() + "/input";
  std::ofstream(input, std::ios::binary) << previous << canonical;
  auto out = RunCommand("openssl dgst -sha256 -r " + input);
  ASSERT_TRUE(out.ok()) << out.status();
  std::string hex = std::string(out->substr(0, 64));
  EXPECT_EQ(absl::BytesToHexString(ChainAuditHash(previous, canonical)), hex);
  EXPECT_EQ(previous, std::string(32, '\0'));
}

TEST(AuditEventTest, RowIsCanonicalEventFollowedByItsHash) {
  AuditEvent event = SampleEvent();
  event.hash =
      ChainAuditHash(AuditGenesisHash(), EncodeCanonicalAuditEvent(event));
  std::string row = EncodeAuditEventRow(event);
  EXPECT_EQ(row, EncodeCanonicalAuditEvent(event) + event.hash);
  auto decoded = DecodeAuditEventRow(row);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->event, event);
  EXPECT_EQ(decoded->canonical, EncodeCanonicalAuditEvent(event));
  EXPECT_EQ(DecodeAuditEventRow("short").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(AuditEventTest, ValidateNamesTheOffendingField) {
  EXPECT_TRUE(ValidateAuditEvent(SampleEvent()).ok());

  AuditEvent long_identity = SampleEvent();
  long_identity.identity = std::string(kMaxAuditFieldSize + 1, 'a');
  absl::Status status = ValidateAuditEvent(long_identity);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "identity")) << status;

  AuditEvent long_detail = SampleEvent();
  long_detail.detail = std::string(kMaxAuditDetailSize + 1, 'a');
  status = ValidateAuditEvent(long_detail);
  EXPECT_TRUE(absl::StrContains(status.message(), "detail")) << status;

  for (const char* outcome : {"", "ok", "DENIED", "OK "}) {
    AuditEvent bad = SampleEvent();
    bad.outcome = outcome;
    status = ValidateAuditEvent(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << outcome;
    EXPECT_TRUE(absl::StrContains(status.message(), "outcome")) << status;
  }
  for (const char* outcome : {"OK", "PERMISSION_DENIED", "UNAUTHENTICATED",
                              "INVALID_ARGUMENT", "DATA_LOSS"}) {
    EXPECT_TRUE(IsStatusCodeName(outcome)) << outcome;
  }
  AuditEvent intent = SampleEvent();
  intent.outcome = std::string(kAuditOutcomeStarted);
  EXPECT_TRUE(ValidateAuditEvent(intent).ok());
  EXPECT_FALSE(IsStatusCodeName(kAuditOutcomeStarted));
}

TEST(AuditEventTest, ClipKeepsWholeUtf8Characters) {
  // "zażółć": ż, ó, ł, ć are two bytes each.
  std::string text = "za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87";
  EXPECT_EQ(ClipAuditField(text, 100), text);
  EXPECT_EQ(ClipAuditField(text, 3), "za");  // not half of ż
  EXPECT_EQ(ClipAuditField(text, 4), "za\xC5\xBC");
  EXPECT_EQ(ClipAuditField("abcdef", 3), "abc");
}

TEST(AuditEventTest, SequenceNamesSortInSequenceOrder) {
  EXPECT_EQ(AuditSequenceName(1), "00000000000000000001");
  EXPECT_LT(AuditSequenceName(9), AuditSequenceName(10));
  EXPECT_LT(AuditSequenceName(999), AuditSequenceName(1000));
  EXPECT_EQ(*ParseAuditSequenceName(AuditSequenceName(1234567)), 1234567);
  for (const char* bad :
       {"", "1", "0000000000000000000a", "00000000000000000000",
        "-0000000000000000001", "99999999999999999999"}) {
    EXPECT_EQ(ParseAuditSequenceName(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(AuditCheckpointTest, SignedDataIsTheDocumentedText) {
  std::string hash(32, '\xab');
  EXPECT_EQ(
      AuditCheckpointSignedData(1000, hash, absl::FromUnixMicros(42)),
      "sejf-audit-checkpoint-v1\n"
      "sequence=1000\n"
      "hash=abababababababababababababababababababababababababababababababab\n"
      "time_us=42\n");
}

TEST(AuditCheckpointTest, CheckpointAndHeadRoundTrip) {
  AuditCheckpoint checkpoint{.sequence = 1000,
                             .hash = std::string(32, '\x01'),
                             .time = absl::FromUnixMicros(1764000000000001),
                             .signature = std::string(64, '\x02'),
                             .public_key = "spki"};
  std::string data = EncodeAuditCheckpoint(checkpoint);
  EXPECT_EQ(*DecodeAuditCheckpoint(data), checkpoint);
  EXPECT_EQ(DecodeAuditCheckpoint(data + "x").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeAuditCheckpoint(data.substr(0, 40)).status().code(),
            absl::StatusCode::kDataLoss);

  AuditHead head{.sequence = 5, .hash = std::string(32, '\x03')};
  EXPECT_EQ(*DecodeAuditHead(EncodeAuditHead(head)), head);
  EXPECT_EQ(EncodeAuditHead(head).size(), 1u + 8u + 32u);
  EXPECT_EQ(DecodeAuditHead("x").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sejf::vault
