#include "hsm/pkcs11/kek.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "hsm/key_store.h"
#include "hsm/pkcs11/ck_rv.h"
#include "hsm/pkcs11/objects.h"
#include "hsm/pkcs11_uri.h"

namespace sejf::hsm::pkcs11 {
namespace {

CK_MECHANISM WrapMechanism() {
  // No parameter: RFC 5649's default alternative initial value.
  return CK_MECHANISM{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
}

// Destroys a session object when it goes out of scope (also on errors; if
// the session died, the object died with it).
class ScopedObject {
 public:
  ScopedObject(SessionPool::Lease& lease, CK_OBJECT_HANDLE object)
      : lease_(lease), object_(object) {}
  ~ScopedObject() { DestroyObject(lease_, object_).IgnoreError(); }
  ScopedObject(const ScopedObject&) = delete;
  ScopedObject& operator=(const ScopedObject&) = delete;

 private:
  SessionPool::Lease& lease_;
  const CK_OBJECT_HANDLE object_;
};

}  // namespace

std::string FormatKekUri(absl::string_view token_label,
                         absl::string_view kek_label) {
  // FormatPkcs11Uri names a private key: "...;id=;type=private" with an
  // empty id. A KEK is named by label and type alone.
  std::string uri = FormatPkcs11Uri(token_label, kek_label, "");
  constexpr absl::string_view kPrivateSuffix = ";id=;type=private";
  if (absl::EndsWith(uri, kPrivateSuffix)) {
    uri.resize(uri.size() - kPrivateSuffix.size());
  }
  return absl::StrCat(uri, ";type=secret-key");
}

KeyEncryptionKey::KeyEncryptionKey(std::string label)
    : label_(std::move(label)) {}

void KeyEncryptionKey::Forget() {
  absl::MutexLock lock(&mu_);
  cached_.reset();
}

absl::StatusOr<CK_OBJECT_HANDLE> KeyEncryptionKey::Handle(
    SessionPool::Lease& lease, bool create, bool* created,
    absl::string_view new_id) {
  if (created != nullptr) *created = false;
  // Held across the lookup and the creation, so that two threads do not
  // both create a KEK. Wrapping is rare (start-up, rotation).
  absl::MutexLock lock(&mu_);
  if (cached_.has_value() && cached_->epoch == lease.epoch()) {
    return cached_->handle;
  }
  RETURN_IF_ERROR(lease.EnsureLoggedIn());
  const CK_ULONG secret_key = CKO_SECRET_KEY;
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                   FindObjects(lease, {UlongAttribute(CKA_CLASS, secret_key),
                                       BytesAttribute(CKA_LABEL, label_)}));
  if (found.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(found.size(), " secret keys are labelled \"", label_,
                     "\"; the key-encryption key must be unique"));
  }
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  if (found.size() == 1) {
    handle = found.front();
  } else if (!create) {
    return absl::NotFoundError(
        absl::StrCat("no key-encryption key labelled \"", label_, "\""));
  } else {
    const CK_ULONG aes = CKK_AES;
    const CK_ULONG value_len = 32;
    const std::string id =
        new_id.empty() ? RandomBytes(kKeyIdSize) : std::string(new_id);
    std::vector<CK_ATTRIBUTE> attributes = {
        UlongAttribute(CKA_CLASS, secret_key),
        UlongAttribute(CKA_KEY_TYPE, aes),
        UlongAttribute(CKA_VALUE_LEN, value_len),
        BytesAttribute(CKA_LABEL, label_),
        BytesAttribute(CKA_ID, id),
        BoolAttribute(CKA_TOKEN, true),
        BoolAttribute(CKA_PRIVATE, true),
        BoolAttribute(CKA_SENSITIVE, true),
        BoolAttribute(CKA_EXTRACTABLE, false),
        BoolAttribute(CKA_WRAP, true),
        BoolAttribute(CKA_UNWRAP, true),
        BoolAttribute(CKA_ENCRYPT, false),
        BoolAttribute(CKA_DECRYPT, false),
        BoolAttribute(CKA_SIGN, false),
        BoolAttribute(CKA_VERIFY, false),
        BoolAttribute(CKA_DERIVE, false),
    };
    CK_MECHANISM mechanism{CKM_AES_KEY_GEN, nullptr, 0};
    CK_RV rv = lease.functions().C_GenerateKey(
        lease.handle(), &mechanism, attributes.data(),
        static_cast<CK_ULONG>(attributes.size()), &handle);
    RETURN_IF_ERROR(CkRvToStatus(rv, "C_GenerateKey"));
    if (created != nullptr) *created = true;
  }
  cached_ = Cached{handle, lease.epoch()};
  return handle;
}

absl::StatusOr<std::string> KeyEncryptionKey::WrapWith(
    SessionPool::Lease& lease, CK_OBJECT_HANDLE kek,
    const SecretBytes& data_key) {
  const CK_ULONG secret_key = CKO_SECRET_KEY;
  const CK_ULONG generic = CKK_GENERIC_SECRET;
  std::vector<CK_ATTRIBUTE> attributes = {
      UlongAttribute(CKA_CLASS, secret_key),
      UlongAttribute(CKA_KEY_TYPE, generic),
      BoolAttribute(CKA_TOKEN, false),
      BoolAttribute(CKA_PRIVATE, true),
      BoolAttribute(CKA_SENSITIVE, true),
      BoolAttribute(CKA_EXTRACTABLE, true),
      BytesAttribute(CKA_VALUE, SecretView(data_key)),
  };
  CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
  CK_RV rv = lease.functions().C_CreateObject(
      lease.handle(), attributes.data(),
      static_cast<CK_ULONG>(attributes.size()), &object);
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_CreateObject");
  ScopedObject cleanup(lease, object);

  CK_MECHANISM mechanism = WrapMechanism();
  std::string wrapped(kWrappedDataKeySize + 16, '\0');
  CK_ULONG size = wrapped.size();
  rv = lease.functions().C_WrapKey(lease.handle(), &mechanism, kek, object,
                                   reinterpret_cast<CK_BYTE*>(wrapped.data()),
                                   &size);
  if (rv == CKR_WRAPPING_KEY_HANDLE_INVALID) rv = CKR_KEY_HANDLE_INVALID;
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_WrapKey");
  if (size != kWrappedDataKeySize) {
    return absl::InternalError(
        absl::StrCat("C_WrapKey (CKM_AES_KEY_WRAP_PAD) returned ", size,
                     " bytes, not ", kWrappedDataKeySize));
  }
  wrapped.resize(size);
  return wrapped;
}

absl::StatusOr<SecretBytes> KeyEncryptionKey::UnwrapWith(
    SessionPool::Lease& lease, CK_OBJECT_HANDLE kek,
    absl::string_view wrapped) {
  const CK_ULONG secret_key = CKO_SECRET_KEY;
  const CK_ULONG generic = CKK_GENERIC_SECRET;
  std::vector<CK_ATTRIBUTE> attributes = {
      UlongAttribute(CKA_CLASS, secret_key),
      UlongAttribute(CKA_KEY_TYPE, generic),
      BoolAttribute(CKA_TOKEN, false),
      BoolAttribute(CKA_PRIVATE, true),
      BoolAttribute(CKA_SENSITIVE, false),
      BoolAttribute(CKA_EXTRACTABLE, true),
  };
  CK_MECHANISM mechanism = WrapMechanism();
  CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
  CK_RV rv = lease.functions().C_UnwrapKey(
      lease.handle(), &mechanism, kek,
      reinterpret_cast<CK_BYTE*>(const_cast<char*>(wrapped.data())),
      static_cast<CK_ULONG>(wrapped.size()), attributes.data(),
      static_cast<CK_ULONG>(attributes.size()), &object);
  switch (rv) {
    case CKR_OK:
      break;
    case CKR_UNWRAPPING_KEY_HANDLE_INVALID:
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return CkRvToStatus(CKR_KEY_HANDLE_INVALID, "C_UnwrapKey");
    // The integrity check failed. Modules differ in what they say: the
    // standard answers, and SoftHSM2's CKR_GENERAL_ERROR (it reports any
    // unwrap failure so). The KEK and the length are known good here.
    case CKR_WRAPPED_KEY_INVALID:
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_WRAPPED_KEY_LEN_RANGE:
    case CKR_GENERAL_ERROR:
    case CKR_FUNCTION_FAILED:
      return absl::DataLossError(absl::StrCat(
          "C_UnwrapKey: ", CkRvName(rv),
          ": the wrapped key does not unwrap under this KEK (it was "
          "altered, or wrapped under another KEK)"));
    default:
      return CkRvToStatus(rv, "C_UnwrapKey");
  }
  ScopedObject cleanup(lease, object);

  SecretBytes value(kDataKeySize);
  CK_ATTRIBUTE attribute{CKA_VALUE, value.data(),
                         static_cast<CK_ULONG>(value.size())};
  rv = lease.functions().C_GetAttributeValue(lease.handle(), object, &attribute,
                                             1);
  if (rv == CKR_BUFFER_TOO_SMALL ||
      (rv == CKR_OK && attribute.ulValueLen != kDataKeySize)) {
    return absl::DataLossError(
        absl::StrCat("the wrapped key unwraps to a key that is not ",
                     kDataKeySize, " bytes long"));
  }
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_GetAttributeValue(CKA_VALUE)");
  return value;
}

absl::Status KeyEncryptionKey::Create(SessionPool::Lease& lease,
                                      absl::string_view id) {
  Forget();  // look in the token, not in the cache
  bool created = false;
  RETURN_IF_ERROR(Handle(lease, /*create=*/true, &created, id).status());
  if (!created) {
    return absl::AlreadyExistsError(
        absl::StrCat("a key-encryption key labelled \"", label_, "\" exists"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KeyEncryptionKey::Wrap(SessionPool::Lease& lease,
                                                   const SecretBytes& data_key,
                                                   bool create_if_missing) {
  if (data_key.size() != kDataKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data key must be ", kDataKeySize, " bytes, not ", data_key.size()));
  }
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<CK_OBJECT_HANDLE> handle = Handle(lease, create_if_missing);
    if (handle.status().code() == absl::StatusCode::kNotFound) {
      return absl::FailedPreconditionError(
          absl::StrCat(handle.status().message(), " in the token"));
    }
    if (!handle.ok()) return handle.status();
    const CK_OBJECT_HANDLE kek = *handle;
    absl::StatusOr<std::string> wrapped = WrapWith(lease, kek, data_key);
    if (attempt == 0 &&
        wrapped.status().code() == absl::StatusCode::kNotFound) {
      Forget();  // a stale handle: look the KEK up again
      continue;
    }
    return wrapped;
  }
}

absl::StatusOr<SecretBytes> KeyEncryptionKey::Unwrap(
    SessionPool::Lease& lease, absl::string_view wrapped) {
  if (wrapped.size() != kWrappedDataKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("wrapped data key must be ", kWrappedDataKeySize,
                     " bytes, not ", wrapped.size()));
  }
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<CK_OBJECT_HANDLE> kek = Handle(lease, /*create=*/false);
    if (kek.status().code() == absl::StatusCode::kNotFound) {
      return absl::FailedPreconditionError(absl::StrCat(
          kek.status().message(),
          " in the token: nothing was ever wrapped with this token (is it "
          "the right token?)"));
    }
    if (!kek.ok()) return kek.status();
    absl::StatusOr<SecretBytes> key = UnwrapWith(lease, *kek, wrapped);
    if (attempt == 0 && key.status().code() == absl::StatusCode::kNotFound) {
      Forget();
      continue;
    }
    return key;
  }
}

}  // namespace sejf::hsm::pkcs11
