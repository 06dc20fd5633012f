#include "hsm/pkcs11/pkcs11_key_store.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "common/openssl_error.h"
#include "common/random.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/ck_rv.h"
#include "hsm/pkcs11/data_object.h"
#include "hsm/pkcs11/import_key.h"
#include "hsm/pkcs11/key_pair_generation.h"
#include "hsm/pkcs11/objects.h"
#include "hsm/pkcs11/public_key_der.h"
#include "hsm/pkcs11_uri.h"
#include "hsm/signatures.h"

namespace sejf::hsm::pkcs11 {
namespace {

using Lease = SessionPool::Lease;

std::string KeyIdHex(absl::string_view id) {
  return absl::BytesToHexString(id);
}

// Which KeyAlgorithm the private key `handle` is; FAILED_PRECONDITION for
// keys sejf does not handle (other curves, other RSA sizes, other types).
absl::StatusOr<KeyAlgorithm> ReadKeyAlgorithm(Lease& lease,
                                              CK_OBJECT_HANDLE handle) {
  ASSIGN_OR_RETURN(CK_ULONG key_type,
                   GetUlongAttribute(lease, handle, CKA_KEY_TYPE));
  if (key_type == CKK_EC) {
    ASSIGN_OR_RETURN(std::string params,
                     GetBytesAttribute(lease, handle, CKA_EC_PARAMS));
    if (params == kP256EcParams) return KeyAlgorithm::kEcP256;
    return absl::FailedPreconditionError(
        "EC key on a curve other than P-256; sejf handles P-256 only");
  }
  if (key_type == CKK_RSA) {
    ASSIGN_OR_RETURN(std::string modulus,
                     GetBytesAttribute(lease, handle, CKA_MODULUS));
    if (modulus.size() == 256) return KeyAlgorithm::kRsa2048;
    return absl::FailedPreconditionError(
        absl::StrCat("RSA key of ", modulus.size() * 8,
                     " bits; sejf handles RSA-2048 only"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "key type 0x", absl::Hex(key_type), " is neither EC nor RSA"));
}

CK_MECHANISM SignMechanism(SignatureScheme scheme,
                           CK_RSA_PKCS_PSS_PARAMS& pss) {
  switch (scheme) {
    case SignatureScheme::kEcdsaSha256:
      return CK_MECHANISM{CKM_ECDSA, nullptr, 0};
    case SignatureScheme::kRsaPkcs1Sha256:
      return CK_MECHANISM{CKM_SHA256_RSA_PKCS, nullptr, 0};
    case SignatureScheme::kRsaPssSha256:
      pss = CK_RSA_PKCS_PSS_PARAMS{CKM_SHA256, CKG_MGF1_SHA256, 32};
      return CK_MECHANISM{CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss)};
  }
  return CK_MECHANISM{CKM_VENDOR_DEFINED, nullptr, 0};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pkcs11KeyStore>> Pkcs11KeyStore::Create(
    OpenedToken token, Pkcs11KeyStoreOptions options) {
  RETURN_IF_ERROR(InitCrypto());
  if (token.module == nullptr) {
    return absl::InvalidArgumentError("PKCS#11 key store: no module");
  }
  if (options.kek_label.empty()) {
    return absl::InvalidArgumentError(
        "PKCS#11 key store: the KEK label must not be empty");
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<SessionPool> pool,
      SessionPool::Create(token.module, token.slot, token.label,
                          std::move(token.user_pin), options.pool));
  {
    absl::StatusOr<Lease> lease = pool->Acquire();
    RETURN_IF_ERROR(WithContext(
        lease.status(),
        absl::StrCat("opening a session on token \"", token.label,
                     "\" of PKCS#11 module ", token.module->path())));
  }
  // Fetched once: EVP_sha256() would look the implementation up per call.
  Sha256Ptr sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (sha256 == nullptr) return OpenSslInternal("EVP_MD_fetch(SHA256)");
  return std::unique_ptr<Pkcs11KeyStore>(new Pkcs11KeyStore(
      std::move(token.module), std::move(token.label), std::move(pool),
      std::move(options.kek_label), std::move(sha256)));
}

Pkcs11KeyStore::Pkcs11KeyStore(std::shared_ptr<Module> module,
                               std::string token_label,
                               std::unique_ptr<SessionPool> pool,
                               std::string kek_label, Sha256Ptr sha256)
    : module_(std::move(module)),
      token_label_(std::move(token_label)),
      pool_(std::move(pool)),
      sha256_(std::move(sha256)),
      kek_(std::move(kek_label)) {}

Pkcs11KeyStore::~Pkcs11KeyStore() = default;

template <typename T>
absl::StatusOr<T> Pkcs11KeyStore::Run(
    absl::FunctionRef<absl::StatusOr<T>(Lease&)> op) {
  for (int attempt = 0;; ++attempt) {
    std::uint64_t epoch = 0;
    absl::StatusOr<T> result = absl::UnknownError("not run");
    {
      absl::StatusOr<Lease> lease = pool_->Acquire();
      if (!lease.ok()) {
        // Only read on failure: the hot path takes the pool's lock once.
        epoch = pool_->epoch();
        result = lease.status();
      } else {
        epoch = lease->epoch();
        result = op(*lease);
        if (result.status().code() == absl::StatusCode::kUnavailable) {
          lease->MarkBroken();
        }
      }
    }  // the lease goes back (or is closed, if broken) here
    if (attempt > 0 ||
        result.status().code() != absl::StatusCode::kUnavailable) {
      return result;
    }
    pool_->Reset(epoch);
  }
}

void Pkcs11KeyStore::Remember(absl::string_view id, const CachedKey& key) {
  absl::MutexLock lock(&cache_mu_);
  cache_[id] = key;
}

void Pkcs11KeyStore::Forget(absl::string_view id) {
  absl::MutexLock lock(&cache_mu_);
  cache_.erase(id);
}

absl::StatusOr<Pkcs11KeyStore::CachedKey> Pkcs11KeyStore::ResolvePrivateKey(
    Lease& lease, absl::string_view id) {
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    auto it = cache_.find(id);
    if (it != cache_.end() && it->second.epoch == lease.epoch()) {
      return it->second;
    }
  }
  ASSIGN_OR_RETURN(FoundKey found,
                   FindPrivateKey(lease, BytesAttribute(CKA_ID, id),
                                  absl::StrCat("id ", KeyIdHex(id))));
  return found.cached;
}

absl::StatusOr<Pkcs11KeyStore::FoundKey> Pkcs11KeyStore::FindPrivateKey(
    Lease& lease, const CK_ATTRIBUTE& attribute,
    absl::string_view description) {
  // Private objects are invisible to a session that is not logged in.
  RETURN_IF_ERROR(lease.EnsureLoggedIn());
  const CK_ULONG private_key = CKO_PRIVATE_KEY;
  ASSIGN_OR_RETURN(
      std::vector<CK_OBJECT_HANDLE> found,
      FindObjects(lease, {UlongAttribute(CKA_CLASS, private_key), attribute}));
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("no private key with ", description,
                                            " in token \"", token_label_,
                                            "\""));
  }
  if (found.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(found.size(), " private keys with ", description,
                     " in token \"", token_label_, "\""));
  }
  const CK_OBJECT_HANDLE handle = found.front();
  ASSIGN_OR_RETURN(KeyAlgorithm algorithm,
                   WithContext(ReadKeyAlgorithm(lease, handle),
                               absl::StrCat("private key with ", description)));
  ASSIGN_OR_RETURN(std::string id, GetBytesAttribute(lease, handle, CKA_ID));
  ASSIGN_OR_RETURN(std::string label,
                   GetBytesAttribute(lease, handle, CKA_LABEL));
  const CachedKey cached{handle, algorithm, lease.epoch()};
  Remember(id, cached);
  std::string uri = FormatPkcs11Uri(token_label_, label, id);
  return FoundKey{.ref = KeyRef{.id = std::move(id),
                                .label = std::move(label),
                                .algorithm = algorithm,
                                .uri = std::move(uri)},
                  .cached = cached};
}

absl::Status Pkcs11KeyStore::CheckLabelAndIdFree(Lease& lease,
                                                 absl::string_view label,
                                                 absl::string_view id) {
  const CK_ULONG private_key = CKO_PRIVATE_KEY;
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> existing,
                   FindObjects(lease, {UlongAttribute(CKA_CLASS, private_key),
                                       BytesAttribute(CKA_LABEL, label)}));
  if (!existing.empty()) {
    return absl::AlreadyExistsError(absl::StrCat("a key labelled \"", label,
                                                 "\" exists in token \"",
                                                 token_label_, "\""));
  }
  for (CK_ULONG object_class : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
    ASSIGN_OR_RETURN(
        existing, FindObjects(lease, {UlongAttribute(CKA_CLASS, object_class),
                                      BytesAttribute(CKA_ID, id)}));
    if (!existing.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat("a key with id ", KeyIdHex(id), " exists in token \"",
                       token_label_, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyRef> Pkcs11KeyStore::GenerateOn(Lease& lease,
                                                  absl::string_view label,
                                                  absl::string_view id,
                                                  KeyAlgorithm algorithm) {
  RETURN_IF_ERROR(lease.EnsureLoggedIn());
  RETURN_IF_ERROR(CheckLabelAndIdFree(lease, label, id));
  ASSIGN_OR_RETURN(GeneratedKeyPair pair,
                   GenerateKeyPairInToken(lease, label, id, algorithm));
  Remember(id, CachedKey{pair.private_key, algorithm, lease.epoch()});
  return KeyRef{.id = std::string(id),
                .label = std::string(label),
                .algorithm = algorithm,
                .uri = FormatPkcs11Uri(token_label_, label, id)};
}

absl::StatusOr<KeyRef> Pkcs11KeyStore::GenerateKeyPair(absl::string_view label,
                                                       KeyAlgorithm algorithm) {
  return GenerateKeyPairWithId(label, RandomBytes(kKeyIdSize), algorithm);
}

absl::StatusOr<KeyRef> Pkcs11KeyStore::GenerateKeyPairWithId(
    absl::string_view label, absl::string_view id, KeyAlgorithm algorithm) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  RETURN_IF_ERROR(ValidateKeyId(id));
  absl::MutexLock lock(&generate_mu_);
  return WithContext(Run<KeyRef>([&](Lease& lease) {
                       return GenerateOn(lease, label, id, algorithm);
                     }),
                     absl::StrCat("generating ", KeyAlgorithmName(algorithm),
                                  " key \"", label, "\""));
}

absl::StatusOr<KeyRef> Pkcs11KeyStore::FindKeyById(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("key id must not be empty");
  return Run<KeyRef>([&](Lease& lease) -> absl::StatusOr<KeyRef> {
    ASSIGN_OR_RETURN(FoundKey found,
                     FindPrivateKey(lease, BytesAttribute(CKA_ID, id),
                                    absl::StrCat("id ", KeyIdHex(id))));
    return std::move(found.ref);
  });
}

absl::StatusOr<KeyRef> Pkcs11KeyStore::FindKeyByLabel(absl::string_view label) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  return Run<KeyRef>([&](Lease& lease) -> absl::StatusOr<KeyRef> {
    ASSIGN_OR_RETURN(FoundKey found,
                     FindPrivateKey(lease, BytesAttribute(CKA_LABEL, label),
                                    absl::StrCat("label \"", label, "\"")));
    return std::move(found.ref);
  });
}

absl::StatusOr<std::string> Pkcs11KeyStore::PublicKey(const KeyRef& key) {
  auto op = [&](Lease& lease) -> absl::StatusOr<std::string> {
    const CK_ULONG public_key = CKO_PUBLIC_KEY;
    ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                     FindObjects(lease, {UlongAttribute(CKA_CLASS, public_key),
                                         BytesAttribute(CKA_ID, key.id)}));
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat("no public key with id ",
                                              KeyIdHex(key.id), " in token \"",
                                              token_label_, "\""));
    }
    const CK_OBJECT_HANDLE handle = found.front();
    ASSIGN_OR_RETURN(CK_ULONG key_type,
                     GetUlongAttribute(lease, handle, CKA_KEY_TYPE));
    if (key_type == CKK_EC) {
      ASSIGN_OR_RETURN(std::string params,
                       GetBytesAttribute(lease, handle, CKA_EC_PARAMS));
      ASSIGN_OR_RETURN(std::string point,
                       GetBytesAttribute(lease, handle, CKA_EC_POINT));
      return EcSpki(params, point);
    }
    if (key_type == CKK_RSA) {
      ASSIGN_OR_RETURN(std::string modulus,
                       GetBytesAttribute(lease, handle, CKA_MODULUS));
      ASSIGN_OR_RETURN(std::string exponent,
                       GetBytesAttribute(lease, handle, CKA_PUBLIC_EXPONENT));
      return RsaSpki(modulus, exponent);
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "public key type 0x", absl::Hex(key_type), " is neither EC nor RSA"));
  };
  return WithContext(Run<std::string>(op),
                     absl::StrCat("public key of \"", key.label, "\""));
}

absl::StatusOr<std::string> Pkcs11KeyStore::SignOn(Lease& lease,
                                                   const KeyRef& key,
                                                   SignatureScheme scheme,
                                                   absl::string_view input) {
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(CachedKey cached, ResolvePrivateKey(lease, key.id));
    if (!SchemeFitsAlgorithm(scheme, cached.algorithm)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "signature scheme ", SignatureSchemeName(scheme),
          " does not fit the ", KeyAlgorithmName(cached.algorithm), " key"));
    }
    CK_RSA_PKCS_PSS_PARAMS pss;
    CK_MECHANISM mechanism = SignMechanism(scheme, pss);
    const CK_FUNCTION_LIST& f = lease.functions();
    CK_RV rv = f.C_SignInit(lease.handle(), &mechanism, cached.handle);
    if ((rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) &&
        attempt == 0) {
      // The handle went stale (e.g. the token logged out and back in
      // behind our back); look the key up again, once.
      Forget(key.id);
      continue;
    }
    if (rv != CKR_OK) return CkRvToStatus(rv, "C_SignInit");
    // Sized for the key, so one C_Sign call does; the two-call protocol
    // otherwise (the operation stays active after CKR_BUFFER_TOO_SMALL).
    std::string signature(
        cached.algorithm == KeyAlgorithm::kEcP256 ? kEcdsaP256RawSize : 256,
        '\0');
    CK_ULONG size = signature.size();
    auto* data = reinterpret_cast<CK_BYTE*>(const_cast<char*>(input.data()));
    rv = f.C_Sign(lease.handle(), data, static_cast<CK_ULONG>(input.size()),
                  reinterpret_cast<CK_BYTE*>(signature.data()), &size);
    if (rv == CKR_BUFFER_TOO_SMALL) {
      signature.resize(size);
      rv = f.C_Sign(lease.handle(), data, static_cast<CK_ULONG>(input.size()),
                    reinterpret_cast<CK_BYTE*>(signature.data()), &size);
    }
    if (rv != CKR_OK) return CkRvToStatus(rv, "C_Sign");
    signature.resize(size);
    if (scheme == SignatureScheme::kEcdsaSha256 && size != kEcdsaP256RawSize) {
      return absl::InternalError(absl::StrCat("CKM_ECDSA returned ", size,
                                              " bytes, not a 64-byte r||s"));
    }
    return signature;
  }
}

absl::StatusOr<std::string> Pkcs11KeyStore::Sign(const KeyRef& key,
                                                 SignatureScheme scheme,
                                                 absl::string_view data) {
  // ECDSA: hash here (CKM_ECDSA signs a digest), before holding a session.
  unsigned char digest[SHA256_DIGEST_LENGTH];
  absl::string_view input = data;
  if (scheme == SignatureScheme::kEcdsaSha256) {
    if (EVP_Digest(data.data(), data.size(), digest, nullptr, sha256_.get(),
                   nullptr) != 1) {
      return absl::InternalError("SHA-256 failed");
    }
    input = absl::string_view(reinterpret_cast<const char*>(digest),
                              sizeof(digest));
  }
  absl::StatusOr<std::string> signature = Run<std::string>(
      [&](Lease& lease) { return SignOn(lease, key, scheme, input); });
  if (signature.ok()) return signature;
  return WithContext(signature.status(),
                     absl::StrCat("signing with key \"", key.label, "\""));
}

absl::Status Pkcs11KeyStore::Destroy(const KeyRef& key) {
  if (key.id.empty()) return absl::InvalidArgumentError("key id is empty");
  auto op = [&](Lease& lease) -> absl::StatusOr<bool> {
    RETURN_IF_ERROR(lease.EnsureLoggedIn());
    Forget(key.id);
    std::vector<CK_OBJECT_HANDLE> objects;
    for (CK_ULONG object_class : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
      ASSIGN_OR_RETURN(
          std::vector<CK_OBJECT_HANDLE> found,
          FindObjects(lease, {UlongAttribute(CKA_CLASS, object_class),
                              BytesAttribute(CKA_ID, key.id)}));
      objects.insert(objects.end(), found.begin(), found.end());
    }
    if (objects.empty()) {
      return absl::NotFoundError(absl::StrCat("no key with id ",
                                              KeyIdHex(key.id), " in token \"",
                                              token_label_, "\""));
    }
    for (CK_OBJECT_HANDLE object : objects) {
      RETURN_IF_ERROR(DestroyObject(lease, object));
    }
    Forget(key.id);  // in case a concurrent Sign cached it meanwhile
    return true;
  };
  return WithContext(Run<bool>(op).status(),
                     absl::StrCat("destroying key \"", key.label, "\""));
}

absl::StatusOr<std::string> Pkcs11KeyStore::WrapKey(
    const SecretBytes& data_key) {
  if (data_key.size() != kDataKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data key must be ", kDataKeySize, " bytes, not ", data_key.size()));
  }
  return WithContext(Run<std::string>([&](Lease& lease) {
                       return kek_.Wrap(lease, data_key);
                     }),
                     absl::StrCat("wrapping with KEK \"", kek_.label(), "\""));
}

absl::StatusOr<SecretBytes> Pkcs11KeyStore::UnwrapKey(
    absl::string_view wrapped) {
  if (wrapped.size() != kWrappedDataKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("wrapped data key must be ", kWrappedDataKeySize,
                     " bytes, not ", wrapped.size()));
  }
  return WithContext(
      Run<SecretBytes>(
          [&](Lease& lease) { return kek_.Unwrap(lease, wrapped); }),
      absl::StrCat("unwrapping with KEK \"", kek_.label(), "\""));
}

std::string Pkcs11KeyStore::DefaultKekLabel() const { return kek_.label(); }

std::string Pkcs11KeyStore::KekUri(absl::string_view kek_label) const {
  return FormatKekUri(token_label_, kek_label);
}

KeyEncryptionKey& Pkcs11KeyStore::KekFor(absl::string_view label) {
  if (label == kek_.label()) return kek_;
  absl::MutexLock lock(&keks_mu_);
  std::unique_ptr<KeyEncryptionKey>& kek = keks_[label];
  if (kek == nullptr)
    kek = std::make_unique<KeyEncryptionKey>(std::string(label));
  return *kek;
}

absl::Status Pkcs11KeyStore::CreateKek(absl::string_view kek_label) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  KeyEncryptionKey& kek = KekFor(kek_label);
  return WithContext(Run<bool>([&](Lease& lease) -> absl::StatusOr<bool> {
                       RETURN_IF_ERROR(kek.Create(lease));
                       return true;
                     }).status(),
                     absl::StrCat("creating KEK \"", kek_label, "\""));
}

absl::StatusOr<std::string> Pkcs11KeyStore::WrapKeyWith(
    absl::string_view kek_label, const SecretBytes& data_key) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  if (data_key.size() != kDataKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data key must be ", kDataKeySize, " bytes, not ", data_key.size()));
  }
  KeyEncryptionKey& kek = KekFor(kek_label);
  return WithContext(Run<std::string>([&](Lease& lease) {
                       return kek.Wrap(lease, data_key,
                                       /*create_if_missing=*/false);
                     }),
                     absl::StrCat("wrapping with KEK \"", kek_label, "\""));
}

absl::StatusOr<SecretBytes> Pkcs11KeyStore::UnwrapKeyWith(
    absl::string_view kek_label, absl::string_view wrapped) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  if (wrapped.size() != kWrappedDataKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("wrapped data key must be ", kWrappedDataKeySize,
                     " bytes, not ", wrapped.size()));
  }
  KeyEncryptionKey& kek = KekFor(kek_label);
  return WithContext(Run<SecretBytes>([&](Lease& lease) {
                       return kek.Unwrap(lease, wrapped);
                     }),
                     absl::StrCat("unwrapping with KEK \"", kek_label, "\""));
}

absl::Status Pkcs11KeyStore::CreateKekWithId(absl::string_view kek_label,
                                             absl::string_view id) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  RETURN_IF_ERROR(ValidateKeyId(id));
  KeyEncryptionKey& kek = KekFor(kek_label);
  return WithContext(Run<bool>([&](Lease& lease) -> absl::StatusOr<bool> {
                       RETURN_IF_ERROR(kek.Create(lease, id));
                       return true;
                     }).status(),
                     absl::StrCat("creating KEK \"", kek_label, "\""));
}

absl::StatusOr<std::string> Pkcs11KeyStore::KekId(absl::string_view kek_label) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  auto op = [&](Lease& lease) -> absl::StatusOr<std::string> {
    RETURN_IF_ERROR(lease.EnsureLoggedIn());
    const CK_ULONG secret_key = CKO_SECRET_KEY;
    ASSIGN_OR_RETURN(
        std::vector<CK_OBJECT_HANDLE> found,
        FindObjects(lease, {UlongAttribute(CKA_CLASS, secret_key),
                            BytesAttribute(CKA_LABEL, kek_label)}));
    if (found.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no key-encryption key labelled \"", kek_label,
                       "\" in token \"", token_label_, "\""));
    }
    if (found.size() > 1) {
      return absl::FailedPreconditionError(
          absl::StrCat(found.size(), " secret keys are labelled \"", kek_label,
                       "\" in token \"", token_label_, "\""));
    }
    return GetBytesAttribute(lease, found.front(), CKA_ID);
  };
  return WithContext(Run<std::string>(op),
                     absl::StrCat("reading the id of KEK \"", kek_label, "\""));
}

absl::Status Pkcs11KeyStore::DestroyKek(absl::string_view kek_label,
                                        absl::string_view id) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  if (id.empty()) return absl::InvalidArgumentError("KEK id is empty");
  KeyEncryptionKey& kek = KekFor(kek_label);
  auto op = [&](Lease& lease) -> absl::StatusOr<bool> {
    RETURN_IF_ERROR(lease.EnsureLoggedIn());
    const CK_ULONG secret_key = CKO_SECRET_KEY;
    ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                     FindObjects(lease, {UlongAttribute(CKA_CLASS, secret_key),
                                         BytesAttribute(CKA_LABEL, kek_label),
                                         BytesAttribute(CKA_ID, id)}));
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "no key-encryption key labelled \"", kek_label, "\" with id ",
          KeyIdHex(id), " in token \"", token_label_, "\""));
    }
    kek.Forget();
    for (CK_OBJECT_HANDLE object : found) {
      RETURN_IF_ERROR(DestroyObject(lease, object));
    }
    return true;
  };
  return WithContext(Run<bool>(op).status(),
                     absl::StrCat("destroying KEK \"", kek_label, "\""));
}

}  // namespace sejf::hsm::pkcs11

namespace sejf::hsm::pkcs11 {

absl::StatusOr<std::optional<std::string>> Pkcs11KeyStore::ReadDataObject(
    absl::string_view label) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  absl::MutexLock lock(&data_objects_mu_);
  return WithContext(Run<std::optional<std::string>>([&](Lease& lease) {
                       return ReadDataObjectOn(lease, label);
                     }),
                     absl::StrCat("reading data object \"", label, "\""));
}

absl::Status Pkcs11KeyStore::WriteDataObject(absl::string_view label,
                                             absl::string_view value) {
  RETURN_IF_ERROR(ValidateDataObject(label, value));
  absl::MutexLock lock(&data_objects_mu_);
  auto op = [&](Lease& lease) -> absl::StatusOr<bool> {
    RETURN_IF_ERROR(WriteDataObjectOn(lease, label, value));
    return true;
  };
  return WithContext(Run<bool>(op).status(),
                     absl::StrCat("writing data object \"", label, "\""));
}

absl::StatusOr<std::vector<KeyObject>> Pkcs11KeyStore::ListKeyObjects() {
  auto op = [&](Lease& lease) -> absl::StatusOr<std::vector<KeyObject>> {
    // Private objects are invisible to a session that is not logged in.
    RETURN_IF_ERROR(lease.EnsureLoggedIn());
    std::vector<KeyObject> objects;
    constexpr std::pair<CK_ULONG, KeyObjectClass> kClasses[] = {
        {CKO_PRIVATE_KEY, KeyObjectClass::kPrivateKey},
        {CKO_PUBLIC_KEY, KeyObjectClass::kPublicKey},
        {CKO_SECRET_KEY, KeyObjectClass::kSecretKey}};
    for (const auto& [ck_class, object_class] : kClasses) {
      ASSIGN_OR_RETURN(
          std::vector<CK_OBJECT_HANDLE> found,
          FindAllObjects(lease, {UlongAttribute(CKA_CLASS, ck_class)}));
      for (CK_OBJECT_HANDLE handle : found) {
        KeyObject object{.object_class = object_class};
        for (auto [type, value] : {std::pair{CKA_LABEL, &object.label},
                                   std::pair{CKA_ID, &object.id}}) {
          absl::StatusOr<std::string> read =
              GetBytesAttribute(lease, handle, type);
          if (read.ok()) {
            *value = *std::move(read);
          } else if (absl::IsNotFound(read.status())) {
            break;  // destroyed meanwhile
          } else if (!absl::IsInvalidArgument(read.status())) {
            return read.status();
          }
        }
        objects.push_back(std::move(object));
      }
    }
    return objects;
  };
  return WithContext(
      Run<std::vector<KeyObject>>(op),
      absl::StrCat("listing the key objects of token \"", token_label_, "\""));
}

}  // namespace sejf::hsm::pkcs11

namespace sejf::hsm::pkcs11 {

absl::StatusOr<std::string> Pkcs11KeyStore::ImportKeyPublicKey() {
  absl::MutexLock lock(&import_key_mu_);
  return WithContext(
      Run<std::string>([&](Lease& lease) { return ImportKeySpkiOn(lease); }),
      absl::StrCat("the import key of token \"", token_label_, "\""));
}

absl::StatusOr<SecretBytes> Pkcs11KeyStore::DecryptWithImportKey(
    absl::string_view ciphertext) {
  return Run<SecretBytes>(
      [&](Lease& lease) { return DecryptWithImportKeyOn(lease, ciphertext); });
}

absl::StatusOr<KeyRef> Pkcs11KeyStore::UnwrapKeyPairWithId(
    absl::string_view label, absl::string_view id, absl::string_view wrapped,
    absl::string_view public_key_der) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  RETURN_IF_ERROR(ValidateKeyId(id));
  absl::MutexLock lock(&generate_mu_);
  auto op = [&](Lease& lease) -> absl::StatusOr<KeyRef> {
    RETURN_IF_ERROR(lease.EnsureLoggedIn());
    RETURN_IF_ERROR(CheckLabelAndIdFree(lease, label, id));
    ASSIGN_OR_RETURN(
        KeyAlgorithm algorithm,
        UnwrapKeyPairOn(lease, label, id, wrapped, public_key_der));
    return KeyRef{.id = std::string(id),
                  .label = std::string(label),
                  .algorithm = algorithm,
                  .uri = FormatPkcs11Uri(token_label_, label, id)};
  };
  return WithContext(Run<KeyRef>(op),
                     absl::StrCat("importing key \"", label, "\""));
}

}  // namespace sejf::hsm::pkcs11
