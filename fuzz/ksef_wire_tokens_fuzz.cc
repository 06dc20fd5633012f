// KSeF's token-management answers (broker/ksef_api/ksef_wire_tokens.h,
// issue 14): the input's first byte picks the parser, the rest is the body
// (or the reference number). KSeF's bodies are outside input even over
// verified TLS.
#include <cstddef>
#include <cstdint>

#include "broker/ksef_api/ksef_wire_tokens.h"
#include "common/secret.h"
#include "fuzz/fuzz_check.h"

namespace wire = sejf::broker::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  absl::string_view rest = sejf::fuzz::Input(data + 1, size - 1);
  sejf::SecretBytes body = sejf::SecretFromView(rest);
  switch (data[0] % 3) {
    case 0: {
      auto generated = wire::ParseGeneratedToken(body);
      // What is accepted is a reference number and a non-empty token.
      FUZZ_CHECK(!generated.ok() ||
                 (wire::CheckTokenReference(generated->reference_number).ok() &&
                  !generated->token.empty()));
      break;
    }
    case 1: {
      auto status = wire::ParseTokenStatus(body);
      FUZZ_CHECK(!status.ok() || status->status == "Pending" ||
                 status->status == "Active" || status->status == "Revoking" ||
                 status->status == "Revoked" || status->status == "Failed");
      break;
    }
    default:
      (void)wire::CheckTokenReference(rest);
      break;
  }
  return 0;
}
