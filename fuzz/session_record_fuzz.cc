// KSeF session records as stored (broker/sessions/session_record.h): what
// decodes encodes to a record that decodes to the same value.
#include <cstddef>
#include <cstdint>

#include "broker/sessions/session_record.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  absl::StatusOr<sejf::broker::SessionRecord> record =
      sejf::broker::DecodeSessionRecord(sejf::fuzz::Input(data, size));
  if (!record.ok()) return 0;
  absl::StatusOr<sejf::broker::SessionRecord> again =
      sejf::broker::DecodeSessionRecord(
          sejf::broker::EncodeSessionRecord(*record));
  FUZZ_CHECK(again.ok() && *again == *record);
  return 0;
}
