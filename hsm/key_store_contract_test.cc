// The KeyStore contract (key_store.h), run against every implementation:
// the PKCS#11 store on a throwaway SoftHSM2 token, and the in-memory fake.
// Every signature is checked with OpenSSL (VerifySignature: EVP_DigestVerify
// on the SPKI), and some with the openssl command line.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/key_store.h"
#include "hsm/pkcs11_uri.h"
#include "hsm/signatures.h"
#include "hsm/testing/key_store_test_env.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm {
namespace {

using ::testing::HasSubstr;

struct Implementation {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<testing::KeyStoreTestEnv>>()>
      make;

  friend void PrintTo(const Implementation& impl, std::ostream* os) {
    *os << impl.name;
  }
};

class KeyStoreContractTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    auto env = GetParam().make();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }

  KeyStore& store() { return env_->store(); }

  KeyRef GenerateOrDie(const std::string& label, KeyAlgorithm algorithm) {
    auto key = store().GenerateKeyPair(label, algorithm);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *key : KeyRef{};
  }

  std::string PublicKeyOrDie(const KeyRef& key) {
    auto spki = store().PublicKey(key);
    EXPECT_TRUE(spki.ok()) << spki.status();
    return spki.ok() ? *spki : "";
  }

  std::string SignOrDie(const KeyRef& key, SignatureScheme scheme,
                        const std::string& data) {
    auto signature = store().Sign(key, scheme, data);
    EXPECT_TRUE(signature.ok()) << signature.status();
    return signature.ok() ? *signature : "";
  }

  // Signs `data` and checks the signature with OpenSSL; returns it.
  std::string SignAndVerify(const KeyRef& key, SignatureScheme scheme,
                            const std::string& data) {
    const std::string signature = SignOrDie(key, scheme, data);
    EXPECT_TRUE(
        VerifySignature(PublicKeyOrDie(key), scheme, data, signature).ok())
        << SignatureSchemeName(scheme);
    return signature;
  }

  std::unique_ptr<testing::KeyStoreTestEnv> env_;
};

TEST_P(KeyStoreContractTest, EcdsaSignatureIsRawRsAndVerifies) {
  const KeyRef key = GenerateOrDie("ec-key", KeyAlgorithm::kEcP256);
  const std::string signature =
      SignAndVerify(key, SignatureScheme::kEcdsaSha256, "<SignedInfo/>");
  EXPECT_EQ(signature.size(), kEcdsaP256RawSize);
  // Empty data is data too.
  SignAndVerify(key, SignatureScheme::kEcdsaSha256, "");
}

TEST_P(KeyStoreContractTest, RsaPkcs1AndPssSignaturesVerify) {
  const KeyRef key = GenerateOrDie("rsa-key", KeyAlgorithm::kRsa2048);
  const std::string pkcs1 =
      SignAndVerify(key, SignatureScheme::kRsaPkcs1Sha256, "data");
  EXPECT_EQ(pkcs1.size(), 256u);
  // PKCS#1 v1.5 is deterministic, PSS is salted.
  EXPECT_EQ(SignOrDie(key, SignatureScheme::kRsaPkcs1Sha256, "data"), pkcs1);
  const std::string pss =
      SignAndVerify(key, SignatureScheme::kRsaPssSha256, "data");
  EXPECT_EQ(pss.size(), 256u);
  EXPECT_NE(SignAndVerify(key, SignatureScheme::kRsaPssSha256, "data"), pss);
  // A PSS signature is no PKCS#1 v1.5 signature, and the other way round.
  const std::string spki = PublicKeyOrDie(key);
  EXPECT_FALSE(
      VerifySignature(spki, SignatureScheme::kRsaPkcs1Sha256, "data", pss)
          .ok());
  EXPECT_FALSE(
      VerifySignature(spki, SignatureScheme::kRsaPssSha256, "data", pkcs1)
          .ok());
}

TEST_P(KeyStoreContractTest, SignatureDoesNotVerifyForOtherDataOrOtherKey) {
  const KeyRef key = GenerateOrDie("one", KeyAlgorithm::kEcP256);
  const KeyRef other = GenerateOrDie("two", KeyAlgorithm::kEcP256);
  const std::string signature =
      SignOrDie(key, SignatureScheme::kEcdsaSha256, "challenge-1");
  EXPECT_EQ(VerifySignature(PublicKeyOrDie(key), SignatureScheme::kEcdsaSha256,
                            "challenge-2", signature)
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      VerifySignature(PublicKeyOrDie(other), SignatureScheme::kEcdsaSha256,
                      "challenge-1", signature)
          .code(),
      absl::StatusCode::kDataLoss);
}

TEST_P(KeyStoreContractTest, SchemeThatDoesNotFitTheKeyIsInvalidArgument) {
  const KeyRef ec = GenerateOrDie("ec", KeyAlgorithm::kEcP256);
  const KeyRef rsa = GenerateOrDie("rsa", KeyAlgorithm::kRsa2048);
  auto pss_with_ec = store().Sign(ec, SignatureScheme::kRsaPssSha256, "x");
  EXPECT_EQ(pss_with_ec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pss_with_ec.status().message(), HasSubstr("rsa-pss-sha256"));
  EXPECT_THAT(pss_with_ec.status().message(), HasSubstr("ec-p256"));
  auto ecdsa_with_rsa = store().Sign(rsa, SignatureScheme::kEcdsaSha256, "x");
  EXPECT_EQ(ecdsa_with_rsa.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ecdsa_with_rsa.status().message(), HasSubstr("rsa-2048"));
  // The key's real type counts, not what the caller's KeyRef claims.
  KeyRef lying = ec;
  lying.algorithm = KeyAlgorithm::kRsa2048;
  EXPECT_EQ(store()
                .Sign(lying, SignatureScheme::kRsaPkcs1Sha256, "x")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  SignAndVerify(lying, SignatureScheme::kEcdsaSha256, "x");
}

TEST_P(KeyStoreContractTest, KeyRefCarriesRandomIdLabelAlgorithmAndUri) {
  const KeyRef a = GenerateOrDie("acme-auth", KeyAlgorithm::kEcP256);
  const KeyRef b = GenerateOrDie("acme-offline", KeyAlgorithm::kRsa2048);
  EXPECT_EQ(a.id.size(), kKeyIdSize);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.label, "acme-auth");
  EXPECT_EQ(a.algorithm, KeyAlgorithm::kEcP256);
  EXPECT_EQ(b.algorithm, KeyAlgorithm::kRsa2048);
  auto uri = ParsePkcs11Uri(a.uri);
  ASSERT_TRUE(uri.ok()) << uri.status() << " " << a.uri;
  EXPECT_EQ(uri->token, env_->token_label());
  EXPECT_EQ(uri->object, "acme-auth");
  EXPECT_EQ(uri->id, a.id);
  EXPECT_EQ(uri->type, "private");
}

TEST_P(KeyStoreContractTest, PublicKeyIsSpkiOfTheRightKind) {
  const KeyRef ec = GenerateOrDie("ec", KeyAlgorithm::kEcP256);
  const KeyRef rsa = GenerateOrDie("rsa", KeyAlgorithm::kRsa2048);
  const std::string ec_spki = PublicKeyOrDie(ec);
  const auto* in = reinterpret_cast<const unsigned char*>(ec_spki.data());
  EvpPkeyPtr ec_key(d2i_PUBKEY(nullptr, &in, ec_spki.size()));
  ASSERT_NE(ec_key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(ec_key.get(), "EC"));
  char group[64] = {};
  size_t group_size = 0;
  ASSERT_EQ(
      EVP_PKEY_get_group_name(ec_key.get(), group, sizeof(group), &group_size),
      1);
  EXPECT_STREQ(group, "prime256v1");

  const std::string rsa_spki = PublicKeyOrDie(rsa);
  in = reinterpret_cast<const unsigned char*>(rsa_spki.data());
  EvpPkeyPtr rsa_key(d2i_PUBKEY(nullptr, &in, rsa_spki.size()));
  ASSERT_NE(rsa_key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(rsa_key.get(), "RSA"));
  EXPECT_EQ(EVP_PKEY_get_bits(rsa_key.get()), 2048);
  // The same key gives the same SPKI every time.
  EXPECT_EQ(PublicKeyOrDie(ec), ec_spki);
}

TEST_P(KeyStoreContractTest, FindByIdAndByLabelGiveTheGeneratedRef) {
  const KeyRef ec = GenerateOrDie("findme", KeyAlgorithm::kEcP256);
  const KeyRef rsa = GenerateOrDie("findme-too", KeyAlgorithm::kRsa2048);
  for (const KeyRef& key : {ec, rsa}) {
    auto by_id = store().FindKeyById(key.id);
    ASSERT_TRUE(by_id.ok()) << by_id.status();
    EXPECT_EQ(*by_id, key);
    auto by_label = store().FindKeyByLabel(key.label);
    ASSERT_TRUE(by_label.ok()) << by_label.status();
    EXPECT_EQ(*by_label, key);
  }
  // A found ref signs like the generated one.
  auto found = store().FindKeyByLabel("findme");
  ASSERT_TRUE(found.ok());
  SignAndVerify(*found, SignatureScheme::kEcdsaSha256, "x");
}

TEST_P(KeyStoreContractTest, UnknownKeysAreNotFound) {
  GenerateOrDie("present", KeyAlgorithm::kEcP256);
  EXPECT_EQ(store().FindKeyByLabel("absent").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().FindKeyById(std::string(kKeyIdSize, 'x')).status().code(),
            absl::StatusCode::kNotFound);
  KeyRef ghost;
  ghost.id = std::string(kKeyIdSize, 'y');
  ghost.label = "ghost";
  EXPECT_EQ(
      store().Sign(ghost, SignatureScheme::kEcdsaSha256, "x").status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store().PublicKey(ghost).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Destroy(ghost).code(), absl::StatusCode::kNotFound);
}

TEST_P(KeyStoreContractTest, LabelsAreUniqueAndValidated) {
  GenerateOrDie("unique", KeyAlgorithm::kEcP256);
  auto again = store().GenerateKeyPair("unique", KeyAlgorithm::kRsa2048);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("\"unique\""));
  for (const std::string& bad : {std::string(), std::string("tab\there"),
                                 std::string(kMaxKeyLabelSize + 1, 'a')}) {
    EXPECT_EQ(
        store().GenerateKeyPair(bad, KeyAlgorithm::kEcP256).status().code(),
        absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(store()
                  .GenerateKeyPair(std::string(kMaxKeyLabelSize, 'a'),
                                   KeyAlgorithm::kEcP256)
                  .ok());
}

TEST_P(KeyStoreContractTest,
       ListKeyObjectsShowsBothHalvesAndKeksUntilDestroyed) {
  const KeyRef key = GenerateOrDie("listed", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(store().CreateKekWithId("listed-kek", std::string(16, 'k')).ok());
  auto listed = store().ListKeyObjects();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed,
              ::testing::IsSupersetOf(
                  {KeyObject{KeyObjectClass::kPrivateKey, "listed", key.id},
                   KeyObject{KeyObjectClass::kPublicKey, "listed", key.id},
                   KeyObject{KeyObjectClass::kSecretKey, "listed-kek",
                             std::string(16, 'k')}}));
  ASSERT_TRUE(store().Destroy(key).ok());
  ASSERT_TRUE(store().DestroyKek("listed-kek", std::string(16, 'k')).ok());
  listed = store().ListKeyObjects();
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const KeyObject& object : *listed) {
    EXPECT_NE(object.id, key.id);
    EXPECT_NE(object.label, "listed-kek");
  }
}

TEST_P(KeyStoreContractTest, DestroyRemovesTheKeyAndFreesItsLabel) {
  const KeyRef key = GenerateOrDie("doomed", KeyAlgorithm::kEcP256);
  const KeyRef other = GenerateOrDie("survivor", KeyAlgorithm::kEcP256);
  SignOrDie(key, SignatureScheme::kEcdsaSha256, "x");  // cached now
  ASSERT_TRUE(store().Destroy(key).ok());
  EXPECT_EQ(
      store().Sign(key, SignatureScheme::kEcdsaSha256, "x").status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store().PublicKey(key).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().FindKeyById(key.id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().FindKeyByLabel("doomed").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Destroy(key).code(), absl::StatusCode::kNotFound);
  SignAndVerify(other, SignatureScheme::kEcdsaSha256, "x");
  const KeyRef reborn = GenerateOrDie("doomed", KeyAlgorithm::kEcP256);
  EXPECT_NE(reborn.id, key.id);
}

TEST_P(KeyStoreContractTest, GenerateWithIdUsesExactlyThatId) {
  const std::string id = RandomBytes(kKeyIdSize);
  auto key = store().GenerateKeyPairWithId("chosen", id, KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->id, id);
  EXPECT_EQ(key->label, "chosen");
  auto found = store().FindKeyById(id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->label, "chosen");
  SignAndVerify(*key, SignatureScheme::kEcdsaSha256, "chosen id");
}

TEST_P(KeyStoreContractTest,
       GenerateWithIdRefusesATakenLabelOrIdTouchingNothing) {
  const KeyRef existing = GenerateOrDie("taken", KeyAlgorithm::kEcP256);
  const std::string spki = PublicKeyOrDie(existing);
  auto same_label = store().GenerateKeyPairWithId(
      "taken", RandomBytes(kKeyIdSize), KeyAlgorithm::kEcP256);
  EXPECT_EQ(same_label.status().code(), absl::StatusCode::kAlreadyExists);
  auto same_id = store().GenerateKeyPairWithId("other-label", existing.id,
                                               KeyAlgorithm::kEcP256);
  EXPECT_EQ(same_id.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store().FindKeyByLabel("other-label").status().code(),
            absl::StatusCode::kNotFound);
  // The existing key is unchanged and still signs.
  EXPECT_EQ(PublicKeyOrDie(existing), spki);
  SignAndVerify(existing, SignatureScheme::kEcdsaSha256, "still here");
  for (const std::string& bad_id :
       {std::string(), std::string(15, 'x'), std::string(17, 'x')}) {
    EXPECT_EQ(store()
                  .GenerateKeyPairWithId("fresh", bad_id, KeyAlgorithm::kEcP256)
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST_P(KeyStoreContractTest, KekWithIdIsFoundAndDestroyedOnlyByLabelAndId) {
  const std::string id = RandomBytes(kKeyIdSize);
  const std::string other_id = RandomBytes(kKeyIdSize);
  ASSERT_TRUE(store().CreateKekWithId("kek-a", id).ok());
  EXPECT_EQ(store().CreateKekWithId("kek-a", other_id).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(store().CreateKek("kek-b").ok());
  auto read = store().KekId("kek-a");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, id);
  auto b_id = store().KekId("kek-b");
  ASSERT_TRUE(b_id.ok()) << b_id.status();
  EXPECT_EQ(b_id->size(), kKeyIdSize);
  EXPECT_EQ(store().KekId("kek-none").status().code(),
            absl::StatusCode::kNotFound);

  const SecretBytes dek = SecretFromView(RandomBytes(kDataKeySize));
  auto wrapped = store().WrapKeyWith("kek-a", dek);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  // The right label with another id, or the right id with another label,
  // destroys nothing.
  EXPECT_EQ(store().DestroyKek("kek-a", other_id).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().DestroyKek("kek-b", id).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(store().UnwrapKeyWith("kek-a", *wrapped).ok());
  EXPECT_TRUE(store().WrapKeyWith("kek-b", dek).ok());

  ASSERT_TRUE(store().DestroyKek("kek-a", id).ok());
  EXPECT_EQ(store().UnwrapKeyWith("kek-a", *wrapped).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store().KekId("kek-a").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().DestroyKek("kek-a", id).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(store().WrapKeyWith("kek-b", dek).ok());
  EXPECT_EQ(store().CreateKekWithId("kek-c", "short").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(KeyStoreContractTest, WrapUnwrapRoundTrip) {
  const SecretBytes data_key = SecretFromView(RandomBytes(kDataKeySize));
  auto wrapped = store().WrapKey(data_key);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(wrapped->size(), kWrappedDataKeySize);
  EXPECT_EQ(wrapped->find(std::string(SecretView(data_key))),
            std::string::npos);
  auto unwrapped = store().UnwrapKey(*wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_TRUE(SecretEquals(*unwrapped, data_key));
  // RFC 5649 is deterministic; another key wraps differently.
  EXPECT_EQ(*store().WrapKey(data_key), *wrapped);
  const SecretBytes other = SecretFromView(RandomBytes(kDataKeySize));
  auto other_wrapped = store().WrapKey(other);
  ASSERT_TRUE(other_wrapped.ok());
  EXPECT_NE(*other_wrapped, *wrapped);
  EXPECT_TRUE(SecretEquals(*store().UnwrapKey(*other_wrapped), other));
}

TEST_P(KeyStoreContractTest, TamperedWrappedKeyIsDataLoss) {
  const SecretBytes data_key = SecretFromView(RandomBytes(kDataKeySize));
  auto wrapped = store().WrapKey(data_key);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  for (size_t i : {size_t{0}, size_t{7}, size_t{8}, kWrappedDataKeySize - 1}) {
    std::string tampered = *wrapped;
    tampered[i] ^= 0x01;
    auto result = store().UnwrapKey(tampered);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss)
        << "byte " << i << ": " << result.status();
  }
  // The store still works afterwards.
  EXPECT_TRUE(SecretEquals(*store().UnwrapKey(*wrapped), data_key));
}

TEST_P(KeyStoreContractTest, WrongSizesAreInvalidArgument) {
  ASSERT_TRUE(store().WrapKey(SecretFromView(RandomBytes(32))).ok());
  for (size_t size : {size_t{0}, size_t{16}, size_t{31}, size_t{33}}) {
    EXPECT_EQ(store().WrapKey(SecretBytes(size)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << size;
  }
  for (size_t size : {size_t{0}, size_t{32}, size_t{39}, size_t{41}}) {
    EXPECT_EQ(store().UnwrapKey(std::string(size, 'w')).status().code(),
              absl::StatusCode::kInvalidArgument)
        << size;
  }
}

TEST_P(KeyStoreContractTest, UnwrapBeforeAnyWrapIsFailedPrecondition) {
  auto result = store().UnwrapKey(std::string(kWrappedDataKeySize, 'w'));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition)
      << result.status();
}

// openssl dgst -verify, the independent command-line verifier.
TEST_P(KeyStoreContractTest, OpensslCommandLineVerifiesEverySchemeSignature) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string data = "qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111";
  const std::string data_file = dir.path() + "/data";
  ASSERT_TRUE(WriteFileAtomically(data_file, data, 0600).ok());
  const KeyRef ec = GenerateOrDie("ec", KeyAlgorithm::kEcP256);
  const KeyRef rsa = GenerateOrDie("rsa", KeyAlgorithm::kRsa2048);
  struct Case {
    const KeyRef* key;
    SignatureScheme scheme;
    std::string options;
  };
  const Case cases[] = {
      {&ec, SignatureScheme::kEcdsaSha256, ""},
      {&rsa, SignatureScheme::kRsaPkcs1Sha256, ""},
      {&rsa, SignatureScheme::kRsaPssSha256,
       "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
       "-sigopt rsa_mgf1_md:sha256"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(SignatureSchemeName(c.scheme));
    const std::string base =
        absl::StrCat(dir.path(), "/", SignatureSchemeName(c.scheme));
    ASSERT_TRUE(
        WriteFileAtomically(base + ".spki.der", PublicKeyOrDie(*c.key), 0600)
            .ok());
    auto pem = testing::RunCommand(
        absl::StrCat("openssl pkey -pubin -inform DER -in ", base,
                     ".spki.der -out ", base, ".pub.pem"));
    ASSERT_TRUE(pem.ok()) << pem.status();
    std::string signature = SignOrDie(*c.key, c.scheme, data);
    if (c.scheme == SignatureScheme::kEcdsaSha256) {
      auto der = EcdsaRawToDer(signature);
      ASSERT_TRUE(der.ok());
      signature = *der;
    }
    ASSERT_TRUE(WriteFileAtomically(base + ".sig", signature, 0600).ok());
    const std::string verify =
        absl::StrCat("openssl dgst -sha256 -verify ", base, ".pub.pem ",
                     c.options, " -signature ", base, ".sig ");
    auto good = testing::RunCommand(verify + data_file);
    ASSERT_TRUE(good.ok()) << good.status();
    EXPECT_THAT(*good, HasSubstr("Verified OK"));
    // The same command fails on other data, so it is really checking.
    ASSERT_TRUE(
        WriteFileAtomically(data_file + ".other", data + "!", 0600).ok());
    EXPECT_FALSE(testing::RunCommand(verify + data_file + ".other").ok());
  }
}

TEST_P(KeyStoreContractTest, EightThreadsSignForThreeSecondsWithoutErrors) {
  const KeyRef ec = GenerateOrDie("ec", KeyAlgorithm::kEcP256);
  const KeyRef rsa = GenerateOrDie("rsa", KeyAlgorithm::kRsa2048);
  const std::string ec_spki = PublicKeyOrDie(ec);
  const std::string rsa_spki = PublicKeyOrDie(rsa);
  std::atomic<int> signatures{0};
  std::atomic<int> errors{0};
  std::atomic<int> bad_signatures{0};
  const absl::Time end = absl::Now() + absl::Seconds(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; absl::Now() < end; ++i) {
        // Every thread mostly signs with EC (the hot path), sometimes RSA.
        const bool use_rsa = i % 16 == t % 16;
        const KeyRef& key = use_rsa ? rsa : ec;
        const SignatureScheme scheme = !use_rsa ? SignatureScheme::kEcdsaSha256
                                       : (i % 2 == 0)
                                           ? SignatureScheme::kRsaPssSha256
                                           : SignatureScheme::kRsaPkcs1Sha256;
        const std::string data = absl::StrCat("thread ", t, " message ", i);
        auto signature = store().Sign(key, scheme, data);
        if (!signature.ok()) {
          ++errors;
          continue;
        }
        ++signatures;
        if (!VerifySignature(use_rsa ? rsa_spki : ec_spki, scheme, data,
                             *signature)
                 .ok()) {
          ++bad_signatures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(bad_signatures.load(), 0);
  EXPECT_GT(signatures.load(), 0);
}

// Data objects (the audit anchor's home).

TEST_P(KeyStoreContractTest, DataObjectIsAbsentUntilWrittenThenReadsBack) {
  auto missing = store().ReadDataObject("sejf-audit-anchor");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(store().WriteDataObject("sejf-audit-anchor", "first").ok());
  auto first = store().ReadDataObject("sejf-audit-anchor");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, std::optional<std::string>("first"));
  // Replaced in place, not added: still one object under the label.
  const std::string binary("\x00\x01\xff second", 10);
  const absl::Status rewritten =
      store().WriteDataObject("sejf-audit-anchor", binary);
  ASSERT_TRUE(rewritten.ok()) << rewritten;
  auto second = store().ReadDataObject("sejf-audit-anchor");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, std::optional<std::string>(binary));
  // Other labels are other objects.
  auto other = store().ReadDataObject("another");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(other->has_value());
}

TEST_P(KeyStoreContractTest, DataObjectRejectsBadLabelAndOversizedValue) {
  EXPECT_EQ(store().WriteDataObject("", "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().ReadDataObject("").status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status too_big =
      store().WriteDataObject("big", std::string(kMaxDataObjectSize + 1, 'x'));
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.message(), HasSubstr("4096"));
  auto big = store().ReadDataObject("big");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_FALSE(big->has_value());  // nothing changed
  EXPECT_TRUE(store()
                  .WriteDataObject("big", std::string(kMaxDataObjectSize, 'x'))
                  .ok());
}

TEST_P(KeyStoreContractTest, DataObjectsAreNotKeys) {
  ASSERT_TRUE(store().WriteDataObject("shared-name", "value").ok());
  EXPECT_EQ(store().FindKeyByLabel("shared-name").status().code(),
            absl::StatusCode::kNotFound);
  GenerateOrDie("shared-name", KeyAlgorithm::kEcP256);
  auto value = store().ReadDataObject("shared-name");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::optional<std::string>("value"));
}

INSTANTIATE_TEST_SUITE_P(
    All, KeyStoreContractTest,
    ::testing::Values(
        Implementation{"Pkcs11SoftHsm2",
                       [] { return testing::MakePkcs11TestEnv(); }},
        Implementation{
            "Fake",
            []() -> absl::StatusOr<std::unique_ptr<testing::KeyStoreTestEnv>> {
              return testing::MakeFakeTestEnv();
            }}),
    [](const ::testing::TestParamInfo<Implementation>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace sejf::hsm
