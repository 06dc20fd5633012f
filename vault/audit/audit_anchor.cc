#include "vault/audit/audit_anchor.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "vault/audit/audit_event.h"

namespace sejf::vault {
namespace {

constexpr absl::string_view kMagic = "sejf-audit-anchor-v1";

// 64 lower-case hex digits as 32 bytes.
bool ParseHash(absl::string_view hex, std::string& out) {
  if (hex.size() != 2 * kAuditHashSize) return false;
  for (char c : hex) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  out = absl::HexStringToBytes(hex);
  return true;
}

bool ParseField(absl::string_view line, absl::string_view name,
                absl::string_view& value) {
  if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, "=")) {
    return false;
  }
  value = line;
  return true;
}

}  // namespace

std::string AuditAnchorLabel(absl::string_view key_label) {
  return absl::StrCat(key_label, "-anchor");
}

std::string EncodeAuditAnchor(const AuditAnchor& anchor) {
  return absl::StrCat(
      kMagic, "\nsequence=", anchor.sequence,
      "\nhash=", absl::BytesToHexString(anchor.hash),
      "\ncheckpoint=", absl::BytesToHexString(anchor.checkpoint), "\n");
}

absl::StatusOr<AuditAnchor> DecodeAuditAnchor(absl::string_view value) {
  const absl::Status bad = absl::DataLossError(
      "the audit anchor in the HSM does not parse (not written by sejfd?)");
  if (!absl::ConsumeSuffix(&value, "\n")) return bad;
  std::vector<absl::string_view> lines = absl::StrSplit(value, '\n');
  if (lines.size() != 4 || lines[0] != kMagic) return bad;
  absl::string_view sequence, hash, checkpoint;
  AuditAnchor anchor;
  if (!ParseField(lines[1], "sequence", sequence) ||
      !ParseField(lines[2], "hash", hash) ||
      !ParseField(lines[3], "checkpoint", checkpoint) ||
      !absl::SimpleAtoi(sequence, &anchor.sequence) || anchor.sequence < 0 ||
      !ParseHash(hash, anchor.hash) ||
      !ParseHash(checkpoint, anchor.checkpoint)) {
    return bad;
  }
  return anchor;
}

std::string FormatAuditPosition(std::int64_t sequence, absl::string_view hash) {
  return absl::StrCat(sequence, ":", absl::BytesToHexString(hash));
}

absl::StatusOr<std::pair<std::int64_t, std::string>> ParseAuditPosition(
    absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits(':', 1));
  std::int64_t sequence = 0;
  std::string hash;
  if (!absl::SimpleAtoi(parts.first, &sequence) || sequence < 1 ||
      !ParseHash(absl::AsciiStrToLower(parts.second), hash)) {
    return absl::InvalidArgumentError(
        "an audit position must be SEQ:HASH, a sequence number from 1 and "
        "the event's 64-digit hex hash, as `sejf audit verify` prints it");
  }
  return std::make_pair(sequence, std::move(hash));
}

absl::StatusOr<std::optional<AuditAnchor>> ReadAuditAnchor(
    hsm::KeyStore& keys, absl::string_view key_label) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   keys.ReadDataObject(AuditAnchorLabel(key_label)));
  if (!value) return std::nullopt;
  ASSIGN_OR_RETURN(AuditAnchor anchor, DecodeAuditAnchor(*value));
  return anchor;
}

absl::Status WriteAuditAnchor(hsm::KeyStore& keys, absl::string_view key_label,
                              const AuditAnchor& anchor) {
  return keys.WriteDataObject(AuditAnchorLabel(key_label),
                              EncodeAuditAnchor(anchor));
}

}  // namespace sejf::vault
