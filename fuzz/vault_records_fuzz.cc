// The vault's stored records (vault/records): key and token records. What
// decodes encodes to a record that decodes to the same value.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_check.h"
#include "vault/records/key_record.h"
#include "vault/records/token_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  absl::string_view input = sejf::fuzz::Input(data, size);
  absl::StatusOr<sejf::vault::KeyRecord> key =
      sejf::vault::DecodeKeyRecord(input);
  if (key.ok()) {
    absl::StatusOr<sejf::vault::KeyRecord> again =
        sejf::vault::DecodeKeyRecord(sejf::vault::EncodeKeyRecord(*key));
    FUZZ_CHECK(again.ok() && *again == *key);
  }
  absl::StatusOr<sejf::vault::TokenRecord> token =
      sejf::vault::DecodeTokenRecord(input);
  if (token.ok()) {
    absl::StatusOr<sejf::vault::TokenRecord> again =
        sejf::vault::DecodeTokenRecord(sejf::vault::EncodeTokenRecord(*token));
    FUZZ_CHECK(again.ok() && *again == *token);
  }
  return 0;
}
