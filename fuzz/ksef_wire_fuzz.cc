// KSeF's API responses (broker/ksef_api/ksef_wire.h): the input's first byte
// picks the parser, the rest is the body (or the Retry-After header). KSeF's
// bodies are outside input even over verified TLS.
#include <cstddef>
#include <cstdint>

#include "broker/ksef_api/ksef_wire.h"
#include "common/secret.h"
#include "fuzz/fuzz_check.h"

namespace wire = sejf::broker::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  absl::string_view rest = sejf::fuzz::Input(data + 1, size - 1);
  sejf::SecretBytes body = sejf::SecretFromView(rest);
  switch (data[0] % 8) {
    case 0:
      (void)wire::ParseChallenge(body);
      break;
    case 1:
      (void)wire::ParseAuthInit(body);
      break;
    case 2:
      (void)wire::ParseAuthStatus(body);
      break;
    case 3:
      (void)wire::ParseAuthTokens(body);
      break;
    case 4:
      (void)wire::ParseRefresh(body);
      break;
    case 5:
      (void)wire::ParsePublicKeyCertificates(body);
      break;
    case 6: {
      wire::ErrorBody error = wire::ParseErrorBody(body);
      // Error texts are bounded (they end up in statuses and logs).
      FUZZ_CHECK(error.text.size() <= 800 + 3);  // ksef_wire.cc kMaxText, "…"
      break;
    }
    default: {
      std::optional<absl::Duration> after = wire::ParseRetryAfter(rest);
      FUZZ_CHECK(!after.has_value() || *after >= absl::ZeroDuration());
      break;
    }
  }
  return 0;
}
