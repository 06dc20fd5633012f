// Audit events as stored (vault/audit/audit_event.h): the canonical encoding
// is the only one, so what decodes encodes back to the same bytes, and a
// stored row is that encoding followed by the hash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "vault/audit/audit_event.h"

using sejf::vault::AuditEvent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  absl::string_view input = sejf::fuzz::Input(data, size);
  absl::StatusOr<AuditEvent> event =
      sejf::vault::DecodeCanonicalAuditEvent(input);
  if (event.ok()) {
    FUZZ_CHECK(sejf::vault::EncodeCanonicalAuditEvent(*event) == input);
  }
  absl::StatusOr<sejf::vault::DecodedAuditRow> row =
      sejf::vault::DecodeAuditEventRow(input);
  if (row.ok()) {
    FUZZ_CHECK(row->event.hash.size() == sejf::vault::kAuditHashSize);
    FUZZ_CHECK(sejf::vault::EncodeAuditEventRow(row->event) == input);
  }
  (void)sejf::vault::ParseAuditSequenceName(input);
  return 0;
}
