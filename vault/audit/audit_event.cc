#include "vault/audit/audit_event.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/openssl_ptr.h"
#include "vault/audit/wire.h"

namespace sejf::vault {
namespace {

using audit_wire::AppendBytes;
using audit_wire::AppendU64;
using audit_wire::AppendU8;
using audit_wire::AuditWireReader;

constexpr std::size_t kSequenceNameSize = 20;

// The text fields in canonical order, with their names and limits.
struct TextField {
  const char* name;
  std::string AuditEvent::*member;
  std::size_t max_size;
};
constexpr std::array<TextField, 9> kTextFields = {{
    {"request_id", &AuditEvent::request_id, kMaxAuditFieldSize},
    {"identity", &AuditEvent::identity, kMaxAuditFieldSize},
    {"operation", &AuditEvent::operation, kMaxAuditFieldSize},
    {"method", &AuditEvent::method, kMaxAuditFieldSize},
    {"resource", &AuditEvent::resource, kMaxAuditFieldSize},
    {"context", &AuditEvent::context, kMaxAuditFieldSize},
    {"outcome", &AuditEvent::outcome, kMaxAuditFieldSize},
    {"detail", &AuditEvent::detail, kMaxAuditDetailSize},
    {"rule", &AuditEvent::rule, kMaxAuditFieldSize},  // format 2 only
}};
// Format 1 has every text field but the last (rule).
constexpr std::size_t kFormat1TextFields = kTextFields.size() - 1;

}  // namespace

bool IsStatusCodeName(absl::string_view name) {
  // The canonical codes are 0..16.
  for (int code = 0; code <= 16; ++code) {
    if (name == absl::StatusCodeToString(static_cast<absl::StatusCode>(code))) {
      return true;
    }
  }
  return false;
}

bool IsAuditOutcome(absl::string_view name) {
  return name == kAuditOutcomeStarted || IsStatusCodeName(name);
}

absl::Status ValidateAuditEvent(const AuditEvent& event) {
  for (const TextField& field : kTextFields) {
    const std::string& value = event.*field.member;
    if (value.size() > field.max_size) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "audit event %s is %d bytes; at most %d are allowed (clip it)",
          field.name, value.size(), field.max_size));
    }
  }
  if (!IsAuditOutcome(event.outcome)) {
    return absl::InvalidArgumentError(
        "audit event outcome must be a status code name such as \"OK\" or "
        "\"PERMISSION_DENIED\", or \"STARTED\"");
  }
  return absl::OkStatus();
}

std::string ClipAuditField(absl::string_view text, std::size_t max_size) {
  if (text.size() <= max_size) return std::string(text);
  std::size_t end = max_size;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so that the cut
  // falls before the lead byte of a sequence.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

std::string EncodeCanonicalAuditEvent(const AuditEvent& event) {
  std::string out;
  out.reserve(17 + 8 * 4 + 256);
  const bool with_rule = !event.rule.empty();
  AppendU8(out, with_rule ? kAuditEventFormatWithRule : kAuditEventFormat);
  AppendU64(out, static_cast<std::uint64_t>(event.sequence));
  AppendU64(out, static_cast<std::uint64_t>(absl::ToUnixMicros(event.time)));
  const std::size_t fields =
      with_rule ? kTextFields.size() : kFormat1TextFields;
  for (std::size_t i = 0; i < fields; ++i) {
    AppendBytes(out, event.*kTextFields[i].member);
  }
  return out;
}

absl::StatusOr<AuditEvent> DecodeCanonicalAuditEvent(
    absl::string_view canonical) {
  AuditWireReader reader(canonical);
  std::uint8_t format = 0;
  if (!reader.ReadU8(format) ||
      (format != kAuditEventFormat && format != kAuditEventFormatWithRule)) {
    return absl::DataLossError(
        absl::StrCat("audit event has unknown format ", format));
  }
  std::uint64_t sequence = 0;
  std::uint64_t time_us = 0;
  if (!reader.ReadU64(sequence) || !reader.ReadU64(time_us)) {
    return absl::DataLossError("audit event is truncated");
  }
  AuditEvent event;
  event.sequence = static_cast<std::int64_t>(sequence);
  event.time = absl::FromUnixMicros(static_cast<std::int64_t>(time_us));
  const std::size_t fields = format == kAuditEventFormatWithRule
                                 ? kTextFields.size()
                                 : kFormat1TextFields;
  for (std::size_t i = 0; i < fields; ++i) {
    const TextField& field = kTextFields[i];
    if (!reader.ReadBytes(field.max_size, event.*field.member)) {
      return absl::DataLossError(absl::StrCat("audit event field ", field.name,
                                              " is truncated or too long"));
    }
  }
  // One encoding per event: format 2 always carries a rule.
  if (format == kAuditEventFormatWithRule && event.rule.empty()) {
    return absl::DataLossError("audit event of format 2 has an empty rule");
  }
  if (!reader.rest().empty()) {
    return absl::DataLossError("audit event has trailing bytes");
  }
  return event;
}

std::string AuditGenesisHash() { return std::string(kAuditHashSize, '\0'); }

std::string ChainAuditHash(absl::string_view previous_hash,
                           absl::string_view canonical) {
  std::string digest(kAuditHashSize, '\0');
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int size = 0;
  // SHA-256 fails only when OpenSSL cannot allocate its context; the chain
  // cannot go on without the hash, and a wrong one would be worse.
  if (ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), previous_hash.data(), previous_hash.size()) !=
          1 ||
      EVP_DigestUpdate(ctx.get(), canonical.data(), canonical.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(),
                         reinterpret_cast<unsigned char*>(digest.data()),
                         &size) != 1) {
    std::abort();
  }
  return digest;
}

std::string AuditSequenceName(std::int64_t sequence) {
  return absl::StrFormat("%020d", sequence);
}

absl::StatusOr<std::int64_t> ParseAuditSequenceName(absl::string_view name) {
  std::int64_t sequence = 0;
  bool digits = name.size() == kSequenceNameSize;
  for (char c : name) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(name, &sequence) || sequence <= 0) {
    return absl::InvalidArgumentError(
        "not an audit sequence name (20 decimal digits naming a positive "
        "number)");
  }
  return sequence;
}

std::string EncodeAuditEventRow(const AuditEvent& event) {
  std::string row = EncodeCanonicalAuditEvent(event);
  row += event.hash;
  return row;
}

absl::StatusOr<DecodedAuditRow> DecodeAuditEventRow(absl::string_view row) {
  if (row.size() < kAuditHashSize) {
    return absl::DataLossError("audit event row is truncated");
  }
  DecodedAuditRow decoded;
  decoded.canonical = row.substr(0, row.size() - kAuditHashSize);
  absl::StatusOr<AuditEvent> event =
      DecodeCanonicalAuditEvent(decoded.canonical);
  if (!event.ok()) return event.status();
  decoded.event = *std::move(event);
  decoded.event.hash = std::string(row.substr(decoded.canonical.size()));
  return decoded;
}

}  // namespace sejf::vault
