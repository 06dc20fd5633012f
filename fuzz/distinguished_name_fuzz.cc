// Distinguished names (signer/x509/distinguished_name.h) as a client writes
// them: a parsed name formats to text that parses to the same name, rebuilds
// from its entries, and becomes an X509_NAME.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_check.h"
#include "signer/x509/distinguished_name.h"

using sejf::signer::DistinguishedName;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  absl::StatusOr<DistinguishedName> dn =
      DistinguishedName::Parse(sejf::fuzz::Input(data, size));
  if (!dn.ok()) return 0;
  absl::StatusOr<DistinguishedName> again =
      DistinguishedName::Parse(dn->ToString());
  FUZZ_CHECK(again.ok() && *again == *dn);
  absl::StatusOr<DistinguishedName> rebuilt =
      DistinguishedName::FromEntries(dn->entries());
  FUZZ_CHECK(rebuilt.ok() && *rebuilt == *dn);
  FUZZ_CHECK(dn->ToX509Name().ok());
  return 0;
}
