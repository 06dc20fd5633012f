// AuthTokenSigner over a throwaway SoftHSM2 token and in-memory storage:
// every document it signs is checked by xmlsec1 and the official schema.
#include "signer/ksef/auth_token_signer.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/testing/key_store_test_env.h"
#include "signer/ksef/testing/xml_testing.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::ValidateAgainstKsefSchema;
using ::sejf::signer::testing::XmlsecVerify;
using vault::KeyUsage;

class AuthTokenSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto env = hsm::testing::MakePkcs11TestEnv();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    custody_ = std::make_unique<KeyCustody>(&env_->store(), &storage_, &clock_);
    signer_ = std::make_unique<AuthTokenSigner>(custody_.get(), &clock_);
  }

  // A key with a self-signed certificate valid `days` from now.
  void MakeKey(const std::string& name, hsm::KeyAlgorithm algorithm,
               KeyUsage usage = KeyUsage::kAuthentication, int days = 30) {
    ASSERT_TRUE(custody_->Generate(name, algorithm, usage).ok());
    SelfSign(name, days);
  }

  void SelfSign(const std::string& name, int days = 30) {
    auto subject = DistinguishedName::Parse(
        "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL");
    ASSERT_TRUE(subject.ok());
    auto key = custody_->SelfSign(name, *subject, days);
    ASSERT_TRUE(key.ok()) << key.status();
  }

  std::string CertificatePem(const std::string& name) {
    auto key = custody_->Get(name);
    EXPECT_TRUE(key.ok() && key->record.certificate);
    auto info = ParseCertificate(key->record.certificate->der);
    EXPECT_TRUE(info.ok());
    return info.ok() ? info->pem : "";
  }

  // A challenge dated today by the clock.
  std::string Challenge() const {
    const absl::CivilDay d =
        absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone());
    return absl::StrFormat("%04d%02d%02d-CR-226FB7B000-3ACF9BE4C0-10", d.year(),
                           d.month(), d.day());
  }

  AuthTokenSignParams Params(const std::string& key) const {
    AuthTokenSignParams p;
    p.key_name = key;
    p.challenge = Challenge();
    p.context = {KsefContextType::kNip, "5265877635"};
    return p;
  }

  void ExpectRefused(const AuthTokenSignParams& params, absl::StatusCode code,
                     absl::string_view message) {
    auto signed_request = signer_->Sign(params);
    EXPECT_EQ(signed_request.status().code(), code) << signed_request.status();
    EXPECT_TRUE(absl::StrContains(signed_request.status().message(), message))
        << signed_request.status();
  }

  // The text of the document's xades:SigningTime.
  static std::string SigningTimeOf(absl::string_view xml) {
    constexpr absl::string_view kOpen = "<xades:SigningTime>";
    const std::size_t begin = xml.find(kOpen);
    const std::size_t end = xml.find("</xades:SigningTime>");
    if (begin == absl::string_view::npos || end == absl::string_view::npos) {
      return "";
    }
    return std::string(
        xml.substr(begin + kOpen.size(), end - begin - kOpen.size()));
  }

  static std::string FormatUtc(absl::Time t) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
  }

  // xmlsec1 checks the certificate against the real time: keep near it.
  FakeClock clock_{absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))};
  std::unique_ptr<hsm::testing::KeyStoreTestEnv> env_;
  vault::MemoryStorage storage_{clock_};
  std::unique_ptr<KeyCustody> custody_;
  std::unique_ptr<AuthTokenSigner> signer_;
};

TEST_F(AuthTokenSignerTest, EcKeySignsADocumentXmlsecAndTheSchemaAccept) {
  MakeKey("acme-auth", hsm::KeyAlgorithm::kEcP256);
  clock_.Advance(absl::Milliseconds(1500));
  auto signed_request = signer_->Sign(Params("acme-auth"));
  ASSERT_TRUE(signed_request.ok()) << signed_request.status();
  const std::string& xml = signed_request->xml;
  absl::Status verified = XmlsecVerify(xml, CertificatePem("acme-auth"));
  EXPECT_TRUE(verified.ok()) << verified << "\n" << xml;
  absl::Status valid =
      ValidateAgainstKsefSchema(xml, AuthTokenNamespace::kV2_0);
  EXPECT_TRUE(valid.ok()) << valid;
  EXPECT_TRUE(absl::StrContains(xml, "#ecdsa-sha256"));
  EXPECT_TRUE(
      absl::StrContains(xml, "xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\""));
  EXPECT_TRUE(absl::StrContains(
      xml, absl::StrCat("<Challenge>", Challenge(), "</Challenge>")));
  // The certificate was made 1.5 s ago: the back-dated time stops at its
  // notBefore.
  const absl::Time not_before =
      custody_->Get("acme-auth")->record.certificate->not_before;
  EXPECT_EQ(signed_request->signing_time, not_before);
  EXPECT_EQ(SigningTimeOf(xml), FormatUtc(not_before));
  EXPECT_EQ(signed_request->certificate_sha256_fingerprint,
            custody_->Get("acme-auth")->record.certificate->sha256_fingerprint);
}

TEST_F(AuthTokenSignerTest, SigningTimeIsTheClockBackDatedByTheSkew) {
  MakeKey("acme-auth", hsm::KeyAlgorithm::kEcP256);
  clock_.Advance(absl::Minutes(10) + absl::Milliseconds(700));
  const absl::Time t = clock_.Now();
  for (int skew_seconds : {0, 60, 90}) {
    SCOPED_TRACE(skew_seconds);
    AuthTokenSigner signer(custody_.get(), &clock_,
                           {.signing_time_skew = absl::Seconds(skew_seconds)});
    auto signed_request = signer.Sign(Params("acme-auth"));
    ASSERT_TRUE(signed_request.ok()) << signed_request.status();
    const absl::Time expected =
        absl::FromUnixSeconds(absl::ToUnixSeconds(t) - skew_seconds);
    EXPECT_EQ(signed_request->signing_time, expected);
    EXPECT_EQ(SigningTimeOf(signed_request->xml), FormatUtc(expected));
    absl::Status verified =
        XmlsecVerify(signed_request->xml, CertificatePem("acme-auth"));
    EXPECT_TRUE(verified.ok()) << verified;
  }
}

TEST_F(AuthTokenSignerTest, DefaultSkewIsOneMinute) {
  MakeKey("acme-auth", hsm::KeyAlgorithm::kEcP256);
  clock_.Advance(absl::Minutes(5));
  auto signed_request = signer_->Sign(Params("acme-auth"));
  ASSERT_TRUE(signed_request.ok()) << signed_request.status();
  EXPECT_EQ(SigningTimeOf(signed_request->xml),
            FormatUtc(clock_.Now() - absl::Minutes(1)));
}

TEST_F(AuthTokenSignerTest, RsaKeySignsA21DocumentWithAllowedIps) {
  MakeKey("acme-rsa", hsm::KeyAlgorithm::kRsa2048);
  AuthTokenSignParams p = Params("acme-rsa");
  p.ns = AuthTokenNamespace::kV2_1;
  p.subject_type = SubjectIdentifierType::kCertificateFingerprint;
  p.context = {KsefContextType::kInternalId, "5265877635-12345"};
  p.allowed_ips.ip4_addresses = {"192.168.0.1"};
  p.allowed_ips.ip4_ranges = {"10.0.0.1-10.0.0.20"};
  p.allowed_ips.ip4_masks = {"172.16.0.0/12"};
  auto signed_request = signer_->Sign(p);
  ASSERT_TRUE(signed_request.ok()) << signed_request.status();
  const std::string& xml = signed_request->xml;
  absl::Status verified = XmlsecVerify(xml, CertificatePem("acme-rsa"));
  EXPECT_TRUE(verified.ok()) << verified << "\n" << xml;
  absl::Status valid =
      ValidateAgainstKsefSchema(xml, AuthTokenNamespace::kV2_1);
  EXPECT_TRUE(valid.ok()) << valid;
  EXPECT_TRUE(absl::StrContains(xml, "#rsa-sha256"));
  EXPECT_TRUE(absl::StrContains(
      xml, "<ContextIdentifier><InternalId>5265877635-12345</InternalId>"));
  EXPECT_TRUE(absl::StrContains(xml, "<Ip4Mask>172.16.0.0/12</Ip4Mask>"));
}

TEST_F(AuthTokenSignerTest, ChangingAnySignedByteOfAnHsmSignatureFailsXmlsec) {
  MakeKey("acme-auth", hsm::KeyAlgorithm::kEcP256);
  auto signed_request = signer_->Sign(Params("acme-auth"));
  ASSERT_TRUE(signed_request.ok()) << signed_request.status();
  const std::string pem = CertificatePem("acme-auth");
  const std::string& xml = signed_request->xml;
  ASSERT_TRUE(XmlsecVerify(xml, pem).ok());
  const std::string time = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ", signed_request->signing_time, absl::UTCTimeZone());
  const std::string later = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ", signed_request->signing_time + absl::Seconds(1),
      absl::UTCTimeZone());
  const std::pair<std::string, std::string> tampers[] = {
      {Challenge(), absl::StrReplaceAll(Challenge(), {{"-10", "-11"}})},
      {"<Nip>5265877635</Nip>", "<Nip>7010019002</Nip>"},
      {time, later},
  };
  for (const auto& [from, to] : tampers) {
    ASSERT_TRUE(absl::StrContains(xml, from)) << from;
    EXPECT_FALSE(XmlsecVerify(absl::StrReplaceAll(xml, {{from, to}}), pem).ok())
        << to;
  }
}

TEST_F(AuthTokenSignerTest, RefusesBadFieldsBeforeLookingAtTheKey) {
  AuthTokenSignParams p = Params("no-such-key");
  p.challenge = "20250514-CR-226FB7B000-3ACF9BE4C0";
  ExpectRefused(p, absl::StatusCode::kInvalidArgument,
                "challenge must match YYYYMMDD-CR-XXXXXXXXXX-XXXXXXXXXX-XX");
  p = Params("no-such-key");
  p.challenge = "20250514-CR-226FB7B000-3ACF9BE4C0-10";  // long ago
  ExpectRefused(p, absl::StatusCode::kInvalidArgument, "challenge is stale");
  p = Params("no-such-key");
  p.context.value = "5265877635</Nip><Nip>";
  ExpectRefused(p, absl::StatusCode::kInvalidArgument, "context");
  p = Params("no-such-key");
  p.allowed_ips.ip4_addresses = {"1.2.3.4<"};
  ExpectRefused(p, absl::StatusCode::kInvalidArgument,
                "allowed_ips.ip4_addresses[0]");
  p = Params("Bad Name");
  ExpectRefused(p, absl::StatusCode::kInvalidArgument, "key name");
}

TEST_F(AuthTokenSignerTest, RefusesKeysThatCannotSignSayingWhy) {
  ExpectRefused(Params("ghost"), absl::StatusCode::kNotFound, "ghost");

  ASSERT_TRUE(custody_
                  ->Generate("bare", hsm::KeyAlgorithm::kEcP256,
                             KeyUsage::kAuthentication)
                  .ok());
  ExpectRefused(Params("bare"), absl::StatusCode::kFailedPrecondition,
                "key bare has no certificate: run sejf key self-sign or "
                "attach-cert");

  MakeKey("qr", hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline);
  ExpectRefused(Params("qr"), absl::StatusCode::kFailedPrecondition,
                "key qr has usage offline, not authentication");

  MakeKey("off", hsm::KeyAlgorithm::kEcP256);
  ASSERT_TRUE(custody_->Disable("off").ok());
  ExpectRefused(Params("off"), absl::StatusCode::kFailedPrecondition,
                "key off is disabled");
  ASSERT_TRUE(custody_->Enable("off").ok());
  EXPECT_TRUE(signer_->Sign(Params("off")).ok());
}

TEST_F(AuthTokenSignerTest, RefusesAnExpiredCertificate) {
  MakeKey("short", hsm::KeyAlgorithm::kEcP256, KeyUsage::kAuthentication, 1);
  ASSERT_TRUE(signer_->Sign(Params("short")).ok());
  clock_.Advance(absl::Hours(24) + absl::Seconds(1));
  ExpectRefused(Params("short"), absl::StatusCode::kFailedPrecondition,
                "certificate of key short expired on ");
}

TEST_F(AuthTokenSignerTest, ANewCertificateIsUsedAtOnce) {
  MakeKey("acme-auth", hsm::KeyAlgorithm::kEcP256);
  auto first = signer_->Sign(Params("acme-auth"));
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string old_pem = CertificatePem("acme-auth");
  SelfSign("acme-auth");  // another certificate for the same key
  auto second = signer_->Sign(Params("acme-auth"));
  ASSERT_TRUE(second.ok()) << second.status();
  const auto record = custody_->Get("acme-auth")->record;
  EXPECT_NE(second->certificate_sha256_fingerprint,
            first->certificate_sha256_fingerprint);
  EXPECT_EQ(second->certificate_sha256_fingerprint,
            record.certificate->sha256_fingerprint);
  EXPECT_TRUE(XmlsecVerify(second->xml, CertificatePem("acme-auth")).ok());
  EXPECT_FALSE(XmlsecVerify(second->xml, old_pem).ok())
      << "the document must carry the new certificate";
}

TEST_F(AuthTokenSignerTest, RefusesARecordWhoseCertificateIsAnotherKeys) {
  MakeKey("a", hsm::KeyAlgorithm::kEcP256);
  MakeKey("b", hsm::KeyAlgorithm::kEcP256);
  ASSERT_TRUE(signer_->Sign(Params("a")).ok());
  // What AttachCertificate refuses, written behind its back.
  auto a = custody_->Get("a");
  ASSERT_TRUE(a.ok());
  a->record.certificate = custody_->Get("b")->record.certificate;
  auto txn = storage_.Begin(vault::TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)
                  ->Update(vault::kKeyRecordKind, "a", a->version,
                           vault::EncodeKeyRecord(a->record))
                  .ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  ExpectRefused(Params("a"), absl::StatusCode::kFailedPrecondition,
                "certificate of key a cannot be used");
  EXPECT_TRUE(signer_->Sign(Params("b")).ok());
}

TEST_F(AuthTokenSignerTest, SignsFromSeveralThreadsAtOnce) {
  MakeKey("acme-auth", hsm::KeyAlgorithm::kEcP256);
  MakeKey("acme-rsa", hsm::KeyAlgorithm::kRsa2048);
  constexpr int kThreads = 4;
  std::vector<std::string> last(kThreads);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const AuthTokenSignParams p = Params(t % 2 ? "acme-rsa" : "acme-auth");
      for (int i = 0; i < 10; ++i) {
        auto signed_request = signer_->Sign(p);
        if (!signed_request.ok()) {
          ++failures[t];
          continue;
        }
        last[t] = signed_request->xml;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0);
    absl::Status verified =
        XmlsecVerify(last[t], CertificatePem(t % 2 ? "acme-rsa" : "acme-auth"));
    EXPECT_TRUE(verified.ok()) << verified;
  }
}

// Not a test: one thread signing through the whole stack below the RPC
// layer (storage read, checks, build, digests, SoftHSM). Run with
// --gtest_also_run_disabled_tests --gtest_filter='*Benchmark*'.
TEST_F(AuthTokenSignerTest, DISABLED_BenchmarkSignWithSoftHsm) {
  MakeKey("acme-auth", hsm::KeyAlgorithm::kEcP256);
  constexpr int kIterations = 5000;
  const auto time = [&](const char* what, auto&& op) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kIterations; ++i) op();
    std::printf("%s: %.1f us/op\n", what,
                std::chrono::duration<double, std::micro>(
                    std::chrono::steady_clock::now() - start)
                        .count() /
                    kIterations);
  };
  const AuthTokenSignParams p = Params("acme-auth");
  time("AuthTokenSigner::Sign, EC P-256 on SoftHSM",
       [&] { ASSERT_TRUE(signer_->Sign(p).ok()); });
  time("  of which KeyCustody::Get (MemoryStorage, JSON record)",
       [&] { ASSERT_TRUE(custody_->Get("acme-auth").ok()); });
  time("    of which vault::Storage::Get (no decoding)", [&] {
    ASSERT_TRUE(storage_.Get(vault::kKeyRecordKind, "acme-auth").ok());
  });
  const auto key = custody_->Get("acme-auth");
  const hsm::KeyRef ref = KeyCustody::KeyRefOf("acme-auth", key->record);
  const std::string data(1200, 'x');
  time("  of which KeyStore::Sign (SoftHSM ECDSA)", [&] {
    ASSERT_TRUE(
        env_->store().Sign(ref, hsm::SignatureScheme::kEcdsaSha256, data).ok());
  });
}

}  // namespace
}  // namespace sejf::signer
