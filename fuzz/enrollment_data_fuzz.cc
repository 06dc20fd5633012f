// KSeF's enrollment-data JSON (common/enrollment_data.h), which the CLI and
// the server read from KSeF's answer. Parsing is deterministic.
#include <cstddef>
#include <cstdint>

#include "common/enrollment_data.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  absl::string_view json = sejf::fuzz::Input(data, size);
  absl::StatusOr<sejf::EnrollmentData> parsed =
      sejf::ParseEnrollmentDataJson(json);
  if (!parsed.ok()) return 0;
  absl::StatusOr<sejf::EnrollmentData> again =
      sejf::ParseEnrollmentDataJson(json);
  FUZZ_CHECK(again.ok() && *again == *parsed);
  return 0;
}
