// Faults in the HSM under a real sejfd: the daemon loads the fault-injecting
// PKCS#11 module (hsm/testing/fault_pkcs11/, forwarding to SoftHSM2) as its
// `[hsm] module`, clients sign (XAdES, KOD II) and import and read tokens
// concurrently, and the test flips the module's control file: each of
// CKR_DEVICE_ERROR, CKR_SESSION_HANDLE_INVALID, CKR_USER_NOT_LOGGED_IN and
// CKR_DEVICE_REMOVED for a few seconds, then a hung C_Sign.
//
// Asserted, as a user would see it: every call answers OK or UNAVAILABLE;
// every returned signature verifies with tools independent of sejf (xmlsec1
// for XAdES, OpenSSL's EVP API with the key's certificate for KOD II); the
// audit log records the failed calls; signing works again without a restart
// once the module recovers; a hung C_Sign answers UNAVAILABLE after
// `[hsm] call_timeout_seconds` while WhoAmI and token reads stay served.
// No assertion depends on how long anything took.
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/openssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sejf/v1/audit_log.grpc.pb.h"
#include "sejf/v1/identity.grpc.pb.h"
#include "sejf/v1/ksef_auth.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "signer/ksef/testing/xml_testing.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";
constexpr char kContext[] = "nip:5265877635";
constexpr char kSellerNip[] = "1111111111";
// How long each fault lasts. The assertions do not depend on it; it only
// has to be long enough for the clients to meet the fault.
constexpr absl::Duration kFaultWindow = absl::Seconds(2);
// A guard against a test that would otherwise wait forever (a regression
// that lets a hung HSM call hold its caller): far above any normal answer.
constexpr absl::Duration kGuard = absl::Seconds(60);

std::string Challenge() {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
      "-CR-226FB7B000-3ACF9BE4C0-10");
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kGuard));
  return context;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// OpenSSL's verdict on a KOD II link: ECDSA P-256 (raw r||s in the link's
// last segment) over the link without "https://" and that segment, with the
// public key of `certificate_pem`.
bool QrLinkVerifies(const std::string& url,
                    const std::string& certificate_pem) {
  const std::string prefix = "https://";
  const size_t slash = url.rfind('/');
  if (!absl::StartsWith(url, prefix) || slash == std::string::npos) {
    return false;
  }
  const std::string signed_data =
      url.substr(prefix.size(), slash - prefix.size());
  std::string raw;
  if (!absl::WebSafeBase64Unescape(url.substr(slash + 1), &raw) ||
      raw.size() != 64) {
    return false;
  }
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(p, 32, nullptr),
                 BN_bin2bn(p + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  BioPtr bio(BIO_new_mem_buf(certificate_pem.data(),
                             static_cast<int>(certificate_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  EvpPkeyPtr key(cert ? X509_get_pubkey(cert.get()) : nullptr);
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  const bool ok =
      key != nullptr && der_size > 0 &&
      EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr,
                           key.get()) == 1 &&
      EVP_DigestVerify(
          md.get(), der, static_cast<size_t>(der_size),
          reinterpret_cast<const unsigned char*>(signed_data.data()),
          signed_data.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

// What the clients saw: gRPC codes per call kind, and what was signed.
struct Observed {
  std::mutex mu;
  std::map<std::string, std::map<grpc::StatusCode, int>> codes;
  std::map<std::string, std::string> unexpected;  // call kind -> message
  std::vector<std::string> xades;                 // signed documents
  std::vector<std::string> qr_links;              // signed links
  std::atomic<int> sign_ok{0};
  std::atomic<int> sign_unavailable{0};

  void Record(const std::string& kind, const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mu);
    ++codes[kind][status.error_code()];
    if (!status.ok() && status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      unexpected[kind] =
          absl::StrCat(status.error_code(), " ", status.error_message());
    }
  }
  int Count(const std::string& kind, grpc::StatusCode code) {
    std::lock_guard<std::mutex> lock(mu);
    return codes[kind][code];
  }
};

class HsmFaultE2eTest : public SejfdTest {
 public:
  static void SetUpTestSuite() {
    control_ = temp_dir() + "/fault-control";
    stats_ = temp_dir() + "/fault-stats";
    SetFaults("");
    SejfdConfig config;
    config.config =
        "[hsm]\n"
        "call_timeout_seconds = 2\n"
        "[server]\n"
        "max_threads = 16\n";
    config.env = {{"SEJF_HSM_MODULE", SEJF_FAULT_PKCS11_MODULE_PATH},
                  {"SEJF_FAULT_PKCS11_CONTROL", control_},
                  {"SEJF_FAULT_PKCS11_STATS", stats_}};
    StartSejfd(config);
    for (const auto& [name, usage] : {std::pair{"xades-ec", "authentication"},
                                      std::pair{"qr-ec", "offline"}}) {
      CommandResult r =
          Sejf({"key", "generate", "--name", name, "--usage", usage});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      r = Sejf(
          {"key", "self-sign", name, "--subject", kSubject, "--days", "30"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    xades_pem_ = SejfJson({"key", "show", "xades-ec"})["certificate"]["pem"];
    qr_pem_ = SejfJson({"key", "show", "qr-ec"})["certificate"]["pem"];
  }

  // Replaces the module's control file atomically (see its README.md).
  static void SetFaults(const std::string& rules) {
    const std::string tmp = control_ + ".new";
    std::ofstream(tmp) << rules;
    ASSERT_EQ(std::rename(tmp.c_str(), control_.c_str()), 0);
  }

  // The module's count of injected faults ("injected N" in its stats file).
  static long InjectedFaults(const std::string& what = "injected") {
    std::istringstream in(ReadFile(stats_));
    std::string word;
    long n = 0;
    while (in >> word >> n) {
      if (word == what) return n;
    }
    return 0;
  }

  static grpc::Status SignXades(Observed* seen) {
    sejf::v1::SignAuthTokenRequestRequest request;
    request.set_key("keys/xades-ec");
    request.set_challenge(Challenge());
    request.set_context(kContext);
    sejf::v1::SignAuthTokenRequestResponse response;
    grpc::Status status =
        sejf::v1::KsefAuth::NewStub(SocketChannel())
            ->SignAuthTokenRequest(Context().get(), request, &response);
    if (seen != nullptr) {
      seen->Record("xades", status);
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(seen->mu);
        seen->xades.push_back(response.signed_xml());
      }
    }
    return status;
  }

  static grpc::Status SignQr(Observed* seen, std::string* link = nullptr) {
    sejf::v1::SignOfflineQrCodeRequest request;
    request.set_key("keys/qr-ec");
    request.set_context(kContext);
    request.set_seller_nip(kSellerNip);
    request.set_invoice_sha256(std::string(32, '\x5a'));
    request.set_environment("test");
    sejf::v1::SignOfflineQrCodeResponse response;
    grpc::Status status =
        sejf::v1::KsefAuth::NewStub(SocketChannel())
            ->SignOfflineQrCode(Context().get(), request, &response);
    if (link != nullptr) *link = response.url();
    if (seen != nullptr) {
      seen->Record("qr", status);
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(seen->mu);
        seen->qr_links.push_back(response.url());
      }
    }
    return status;
  }

  static grpc::Status ImportAndReadToken(Observed* seen, int n) {
    sejf::v1::ImportTokenRequest request;
    request.set_token_id(absl::StrCat("fault-", n));
    request.set_context(kContext);
    request.add_permissions(sejf::v1::TOKEN_PERMISSION_INVOICE_READ);
    request.set_secret(absl::StrCat("secret-", n, "-x"));
    sejf::v1::ImportTokenResponse imported;
    auto stub = sejf::v1::TokenVault::NewStub(SocketChannel());
    grpc::Status status =
        stub->ImportToken(Context().get(), request, &imported);
    seen->Record("token.import", status);
    if (!status.ok()) return status;
    sejf::v1::GetTokenRequest get;
    get.set_name(absl::StrCat("tokens/fault-", n));
    sejf::v1::GetTokenResponse got;
    status = stub->GetToken(Context().get(), get, &got);
    seen->Record("token.get", status);
    return status;
  }

  static grpc::Status WhoAmI() {
    sejf::v1::WhoAmIResponse response;
    return sejf::v1::Identity::NewStub(SocketChannel())
        ->WhoAmI(Context().get(), {}, &response);
  }

  static grpc::Status ListTokens() {
    sejf::v1::ListTokensResponse response;
    return sejf::v1::TokenVault::NewStub(SocketChannel())
        ->ListTokens(Context().get(), {}, &response);
  }

  // Calls until one signing call answers OK (or kGuard passes).
  static bool SigningWorks() {
    const absl::Time give_up = absl::Now() + kGuard;
    while (absl::Now() < give_up) {
      std::string link;
      if (SignQr(nullptr, &link).ok()) {
        EXPECT_TRUE(QrLinkVerifies(link, qr_pem_)) << link;
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  static std::string control_, stats_, xades_pem_, qr_pem_;
};

std::string HsmFaultE2eTest::control_;
std::string HsmFaultE2eTest::stats_;
std::string HsmFaultE2eTest::xades_pem_;
std::string HsmFaultE2eTest::qr_pem_;

// Clients that sign (XAdES, KOD II) and import and read tokens until
// stopped, recording what they see.
class Clients {
 public:
  explicit Clients(Observed* seen) {
    auto loop = [this, seen](auto call) {
      return [this, seen, call] {
        while (!stop_) call(seen);
      };
    };
    threads_.emplace_back(loop([](Observed* seen) {
      grpc::Status s = HsmFaultE2eTest::SignXades(seen);
      (s.ok() ? seen->sign_ok : seen->sign_unavailable)++;
    }));
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back(loop([](Observed* seen) {
        grpc::Status s = HsmFaultE2eTest::SignQr(seen);
        (s.ok() ? seen->sign_ok : seen->sign_unavailable)++;
      }));
    }
    threads_.emplace_back(loop([this](Observed* seen) {
      HsmFaultE2eTest::ImportAndReadToken(seen, next_token_++);
    }));
  }
  ~Clients() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::atomic<bool> stop_ = false;
  std::atomic<int> next_token_ = 0;
  std::vector<std::thread> threads_;
};

// Waits (up to kGuard) until `done()`; false if it never was.
template <typename F>
bool WaitFor(F done) {
  const absl::Time give_up = absl::Now() + kGuard;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

TEST_F(HsmFaultE2eTest, EachDeviceFaultAnswersUnavailableAndServiceHeals) {
  Observed seen;
  long injected_before = InjectedFaults();
  int healed = 0;
  {
    Clients clients(&seen);
    for (const char* code : {"CKR_DEVICE_ERROR", "CKR_SESSION_HANDLE_INVALID",
                             "CKR_USER_NOT_LOGGED_IN", "CKR_DEVICE_REMOVED"}) {
      SCOPED_TRACE(code);
      // Signing works before the fault...
      const int ok_before = seen.sign_ok;
      ASSERT_TRUE(WaitFor([&] { return seen.sign_ok > ok_before; }));
      // ...fails while every function of the module fails...
      const int unavailable_before = seen.sign_unavailable;
      SetFaults(absl::StrCat("fail all ", code, "\n"));
      absl::SleepFor(kFaultWindow);
      ASSERT_TRUE(
          WaitFor([&] { return seen.sign_unavailable > unavailable_before; }));
      // ...and works again once the module recovers, without a restart.
      SetFaults("");
      const int ok_at_recovery = seen.sign_ok;
      ASSERT_TRUE(WaitFor([&] { return seen.sign_ok > ok_at_recovery + 3; }));
      ++healed;
    }
    clients.Stop();
  }
  EXPECT_EQ(healed, 4);
  EXPECT_GT(InjectedFaults(), injected_before);
  // The removed token lost its sessions and the login was lost for real
  // (README.md of the module): sejfd opened new sessions and logged in again.
  EXPECT_EQ(InjectedFaults("token_actions"), 2);

  // Every call answered OK or UNAVAILABLE; nothing else.
  for (const auto& [kind, message] : seen.unexpected) {
    ADD_FAILURE() << kind << " answered " << message;
  }
  EXPECT_GT(seen.Count("xades", grpc::StatusCode::UNAVAILABLE) +
                seen.Count("qr", grpc::StatusCode::UNAVAILABLE),
            0);
  // Every returned signature verifies, checked by code that is not sejf's.
  for (const std::string& link : seen.qr_links) {
    EXPECT_TRUE(QrLinkVerifies(link, qr_pem_)) << link;
  }
  for (const std::string& xml : seen.xades) {
    absl::Status verified = signer::testing::XmlsecVerify(xml, xades_pem_);
    EXPECT_TRUE(verified.ok()) << verified;
  }
  std::cout << "HSM faults: " << InjectedFaults() - injected_before
            << " PKCS#11 calls failed by the module; signing calls: "
            << seen.sign_ok << " OK (" << seen.qr_links.size() << " KOD II, "
            << seen.xades.size() << " XAdES, all verified), "
            << seen.sign_unavailable << " UNAVAILABLE; token imports OK "
            << seen.Count("token.import", grpc::StatusCode::OK)
            << ", UNAVAILABLE "
            << seen.Count("token.import", grpc::StatusCode::UNAVAILABLE)
            << "\n";

  // The audit log records the failed calls.
  sejf::v1::ListEventsRequest request;
  request.set_outcome("UNAVAILABLE");
  request.set_page_size(100);
  sejf::v1::ListEventsResponse events;
  grpc::Status listed = sejf::v1::AuditLog::NewStub(SocketChannel())
                            ->ListEvents(Context().get(), request, &events);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  ASSERT_GT(events.events_size(), 0);
  std::set<std::string> methods;
  for (const sejf::v1::AuditEvent& event : events.events()) {
    EXPECT_EQ(event.outcome(), "UNAVAILABLE");
    methods.insert(event.method());
  }
  EXPECT_THAT(methods, ::testing::Contains(HasSubstr("SignOfflineQrCode")));
  // The daemon is the one started for the suite: it never crashed.
  EXPECT_TRUE(WhoAmI().ok());
}

TEST_F(HsmFaultE2eTest, HungSignIsBoundedAndOtherCallsAreServed) {
  ASSERT_TRUE(SigningWorks());
  SetFaults("hang C_Sign\n");
  // Whatever fails below, the daemon must be able to stop afterwards.
  absl::Cleanup unhang = [] { SetFaults(""); };
  // More signing calls than [server] max_threads (16), from 8 clients: each
  // answers UNAVAILABLE (after call_timeout_seconds, or at once when every
  // HSM worker is stuck), so none holds a server thread.
  constexpr int kClients = 8, kCallsEach = 3;
  std::atomic<int> unavailable = 0;
  std::vector<std::string> others;
  std::mutex others_mu;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      for (int j = 0; j < kCallsEach; ++j) {
        grpc::Status s = SignQr(nullptr);
        if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++unavailable;
        } else {
          std::lock_guard<std::mutex> lock(others_mu);
          others.push_back(
              absl::StrCat(s.error_code(), " ", s.error_message()));
        }
      }
    });
  }
  // Meanwhile calls that need no HSM are served.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(WhoAmI().ok());
    EXPECT_TRUE(ListTokens().ok());
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(unavailable, kClients * kCallsEach);
  EXPECT_THAT(others, ::testing::IsEmpty());
  // Every HSM worker is stuck now: a signing call is refused at once.
  grpc::Status refused = SignQr(nullptr);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("HSM"));
  EXPECT_TRUE(WhoAmI().ok());
  EXPECT_TRUE(ListTokens().ok());
  EXPECT_GT(InjectedFaults("hung"), 0);

  // Un-hung: the workers come back and signing works again.
  SetFaults("");
  EXPECT_TRUE(SigningWorks());
  std::string link;
  ASSERT_TRUE(SignQr(nullptr, &link).ok());
  EXPECT_TRUE(QrLinkVerifies(link, qr_pem_)) << link;
}

}  // namespace
}  // namespace sejf::testing
