// Certificates and chains, PEM or DER (signer/x509/certificate_info.h), and
// the PEM reader under them (common/pem_blocks.h): an accepted chain has
// 1..kMaxChainLength certificates, each of which parses again from its DER.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/pem_blocks.h"
#include "fuzz/fuzz_check.h"
#include "signer/x509/certificate_info.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  absl::string_view input = sejf::fuzz::Input(data, size);
  (void)sejf::ReadPemBlocks(input);
  (void)sejf::signer::ParseCertificate(input);
  absl::StatusOr<sejf::signer::CertificateChain> chain =
      sejf::signer::ParseCertificateChain(input);
  if (!chain.ok()) return 0;
  FUZZ_CHECK(chain->intermediates_der.size() < sejf::signer::kMaxChainLength);
  absl::StatusOr<sejf::signer::CertificateInfo> leaf =
      sejf::signer::ParseCertificate(chain->leaf.der);
  FUZZ_CHECK(leaf.ok() &&
             leaf->sha256_fingerprint == chain->leaf.sha256_fingerprint &&
             leaf->subject == chain->leaf.subject);
  for (const std::string& der : chain->intermediates_der) {
    FUZZ_CHECK(sejf::signer::ParseCertificate(der).ok());
  }
  return 0;
}
