// For tests only: certificates shaped like the Ministry's (§4.3), made with
// OpenSSL in memory, and the JSON GET /security/public-key-certificates
// would return for them. Not thread-safe (nothing shared, but meant for one
// test thread).
#ifndef SEJF_SIGNER_MINISTRY_TESTING_MINISTRY_TEST_CERTS_H_
#define SEJF_SIGNER_MINISTRY_TESTING_MINISTRY_TEST_CERTS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace sejf::signer::testing {

enum class TestKeyType { kRsa2048, kRsa1024, kEcP256 };

struct TestCertOptions {
  TestKeyType key = TestKeyType::kRsa2048;
  absl::Time not_before = absl::FromUnixSeconds(1759125799);  // 2025-09-29
  absl::Time not_after = absl::FromUnixSeconds(1822197798);   // 2027-09-29
  std::string common_name = "Ministerstwo Finansów";
  // A keyUsage extension as openssl writes it ("keyEncipherment,
  // digitalSignature"); empty: none.
  std::string key_usage = {};
  // basicConstraints CA:TRUE and keyCertSign (a test CA).
  bool ca = false;
};

struct TestCert {
  std::string der;
  std::string pem;      // one CERTIFICATE block
  std::string key_pem;  // the private key, PKCS#8 PEM (for openssl pkeyutl)
  std::string spki_der;
};

// Issued by `issuer` (a TestCert made with ca = true): its subject as the
// issuer name, signed with its key. Aborts on OpenSSL failure.
TestCert MakeIssuedTestCert(const TestCert& issuer,
                            const TestCertOptions& options = {});

// Aborts the test binary when OpenSSL fails (test setup only).
TestCert MakeTestCert(const TestCertOptions& options = {});

// One item of the certificate list, as KSeF writes it: ids computed as §4.3
// defines them, validFrom/validTo from the certificate with 7 fraction
// digits and "+00:00" (as the OpenAPI example).
std::string JsonItem(const TestCert& cert,
                     const std::vector<std::string>& usages);

// "[item,item,...]".
std::string JsonList(const std::vector<std::string>& items);

}  // namespace sejf::signer::testing

#endif  // SEJF_SIGNER_MINISTRY_TESTING_MINISTRY_TEST_CERTS_H_
