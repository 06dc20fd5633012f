// Certificates and chains, PEM or DER (signer/x509/certificate_info.h), and
// the PEM reader under them (common/pem_blocks.h): an accepted chain has
// 1..kMaxChainLength certificates, each of which parses again from its DER.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/pem_blocks.h"
#include "fuzz/fuzz_check.h"
#include "openssl/err.h"
#include "signer/x509/certificate_info.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  // OpenSSL keeps the buffers of popped errors per thread; freeing them here
  // keeps each input's allocations balanced, so libFuzzer does not run a
  // leak scan after almost every input (about 20 times faster).
  ERR_clear_error();
  absl::string_view input = sejf::fuzz::Input(data, size);
  (void)sejf::ReadPemBlocks(input);
  FUZZ_CHECK(ERR_peek_error() == 0);
  (void)sejf::signer::ParseCertificate(input);
  FUZZ_CHECK(ERR_peek_error() == 0);
  absl::StatusOr<sejf::signer::CertificateChain> chain =
      sejf::signer::ParseCertificateChain(input);
  FUZZ_CHECK(ERR_peek_error() == 0);
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
