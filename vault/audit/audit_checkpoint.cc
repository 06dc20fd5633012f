#include "vault/audit/audit_checkpoint.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "vault/audit/audit_event.h"
#include "vault/audit/wire.h"

namespace sejf::vault {
namespace {

using audit_wire::AppendBytes;
using audit_wire::AppendU64;
using audit_wire::AppendU8;
using audit_wire::AuditWireReader;

constexpr std::uint8_t kHeadFormat = 1;
// Generous bounds for a P-256 signature and SPKI (64 and 91 bytes).
constexpr std::size_t kMaxSignatureSize = 1024;
constexpr std::size_t kMaxPublicKeySize = 4096;

}  // namespace

std::string AuditCheckpointSignedData(std::int64_t sequence,
                                      absl::string_view hash, absl::Time time) {
  return absl::StrCat("sejf-audit-checkpoint-v1\nsequence=", sequence,
                      "\nhash=", absl::BytesToHexString(hash),
                      "\ntime_us=", absl::ToUnixMicros(time), "\n");
}

std::string AuditCheckpointSignedData(const AuditCheckpoint& checkpoint) {
  if (checkpoint.format == kAuditCheckpointUnchained) {
    return AuditCheckpointSignedData(checkpoint.sequence, checkpoint.hash,
                                     checkpoint.time);
  }
  return absl::StrCat(
      "sejf-audit-checkpoint-v2\nsequence=", checkpoint.sequence,
      "\nhash=", absl::BytesToHexString(checkpoint.hash),
      "\ntime_us=", absl::ToUnixMicros(checkpoint.time),
      "\nprevious_sequence=", checkpoint.previous_sequence,
      "\nprevious_digest=", absl::BytesToHexString(checkpoint.previous_digest),
      "\n");
}

std::string AuditCheckpointDigest(const AuditCheckpoint& checkpoint) {
  // SHA-256 of the signed data alone (ChainAuditHash hashes its two
  // arguments one after the other).
  return ChainAuditHash("", AuditCheckpointSignedData(checkpoint));
}

std::string NoAuditCheckpointDigest() {
  return std::string(kAuditHashSize, '\0');
}

std::string EncodeAuditCheckpoint(const AuditCheckpoint& checkpoint) {
  std::string out;
  AppendU8(out, static_cast<std::uint8_t>(checkpoint.format));
  AppendU64(out, static_cast<std::uint64_t>(checkpoint.sequence));
  out += checkpoint.hash;
  AppendU64(out,
            static_cast<std::uint64_t>(absl::ToUnixMicros(checkpoint.time)));
  if (checkpoint.format != kAuditCheckpointUnchained) {
    AppendU64(out, static_cast<std::uint64_t>(checkpoint.previous_sequence));
    out += checkpoint.previous_digest;
  }
  AppendBytes(out, checkpoint.signature);
  AppendBytes(out, checkpoint.public_key);
  return out;
}

absl::StatusOr<AuditCheckpoint> DecodeAuditCheckpoint(absl::string_view data) {
  AuditWireReader reader(data);
  std::uint8_t format = 0;
  if (!reader.ReadU8(format) || (format != kAuditCheckpointUnchained &&
                                 format != kAuditCheckpointChained)) {
    return absl::DataLossError(
        absl::StrCat("audit checkpoint has unknown format ", format));
  }
  AuditCheckpoint checkpoint;
  checkpoint.format = format;
  std::uint64_t sequence = 0;
  std::uint64_t time_us = 0;
  std::uint64_t previous_sequence = 0;
  if (!reader.ReadU64(sequence) ||
      !reader.ReadFixed(kAuditHashSize, checkpoint.hash) ||
      !reader.ReadU64(time_us) ||
      (format == kAuditCheckpointChained &&
       (!reader.ReadU64(previous_sequence) ||
        !reader.ReadFixed(kAuditHashSize, checkpoint.previous_digest))) ||
      !reader.ReadBytes(kMaxSignatureSize, checkpoint.signature) ||
      !reader.ReadBytes(kMaxPublicKeySize, checkpoint.public_key) ||
      !reader.rest().empty()) {
    return absl::DataLossError("audit checkpoint record does not parse");
  }
  checkpoint.sequence = static_cast<std::int64_t>(sequence);
  checkpoint.time = absl::FromUnixMicros(static_cast<std::int64_t>(time_us));
  checkpoint.previous_sequence = static_cast<std::int64_t>(previous_sequence);
  return checkpoint;
}

std::string EncodeAuditHead(const AuditHead& head) {
  std::string out;
  AppendU8(out, kHeadFormat);
  AppendU64(out, static_cast<std::uint64_t>(head.sequence));
  out += head.hash;
  return out;
}

absl::StatusOr<AuditHead> DecodeAuditHead(absl::string_view data) {
  AuditWireReader reader(data);
  std::uint8_t format = 0;
  std::uint64_t sequence = 0;
  AuditHead head;
  if (!reader.ReadU8(format) || format != kHeadFormat ||
      !reader.ReadU64(sequence) ||
      !reader.ReadFixed(kAuditHashSize, head.hash) || !reader.rest().empty()) {
    return absl::DataLossError("audit head record does not parse");
  }
  head.sequence = static_cast<std::int64_t>(sequence);
  return head;
}

}  // namespace sejf::vault
