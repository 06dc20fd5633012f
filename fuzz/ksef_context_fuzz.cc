// KSeF context identifiers (common/ksef_context.h), "nip:…", "internal-id:…",
// …: what parses formats back to text that parses to the same context, and
// MakeKsefContext agrees with it.
#include <cstddef>
#include <cstdint>

#include "common/ksef_context.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  absl::StatusOr<sejf::KsefContext> context =
      sejf::ParseKsefContext(sejf::fuzz::Input(data, size), "context");
  if (!context.ok()) return 0;
  absl::StatusOr<sejf::KsefContext> again =
      sejf::ParseKsefContext(context->ToString(), "context");
  FUZZ_CHECK(again.ok() && *again == *context);
  absl::StatusOr<sejf::KsefContext> made = sejf::MakeKsefContext(
      sejf::KsefContextTypeName(context->type), context->value, "context");
  FUZZ_CHECK(made.ok() && *made == *context);
  return 0;
}
