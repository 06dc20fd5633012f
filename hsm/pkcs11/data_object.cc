#include "hsm/pkcs11/data_object.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/ck_rv.h"
#include "hsm/pkcs11/objects.h"

namespace sejf::hsm::pkcs11 {
namespace {

// A new value is written under this label first (see WriteDataObjectOn).
std::string PendingLabel(absl::string_view label) {
  return absl::StrCat(label, kDataObjectPendingSuffix);
}

// The data object labelled `label`, if any.
absl::StatusOr<std::optional<CK_OBJECT_HANDLE>> FindDataObject(
    SessionPool::Lease& lease, absl::string_view label) {
  RETURN_IF_ERROR(lease.EnsureLoggedIn());
  const CK_ULONG data_class = CKO_DATA;
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                   FindObjects(lease, {UlongAttribute(CKA_CLASS, data_class),
                                       BoolAttribute(CKA_TOKEN, true),
                                       BoolAttribute(CKA_PRIVATE, true),
                                       BytesAttribute(CKA_LABEL, label)}));
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(found.size(), " data objects are labelled \"", label,
                     "\" in the token; expected one"));
  }
  return found.front();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadDataObjectOn(
    SessionPool::Lease& lease, absl::string_view label) {
  // A write in another process (see the header) may destroy the object
  // between the search and the read (NOT_FOUND: CKR_OBJECT_HANDLE_INVALID),
  // or relabel it between the two searches: then search again. Only a value
  // found, or nothing found twice in a row, is an answer.
  constexpr int kAttempts = 4;
  absl::Status last = absl::OkStatus();
  int found_nothing = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<CK_OBJECT_HANDLE> handle,
                     FindDataObject(lease, label));
    if (!handle) {
      // A write between its steps 2 and 3, or one that stopped there.
      ASSIGN_OR_RETURN(handle, FindDataObject(lease, PendingLabel(label)));
    }
    if (!handle) {
      if (++found_nothing == 2) return std::nullopt;
      continue;
    }
    found_nothing = 0;
    absl::StatusOr<std::string> value =
        GetBytesAttribute(lease, *handle, CKA_VALUE);
    if (value.ok()) return *std::move(value);
    if (value.status().code() != absl::StatusCode::kNotFound) {
      return value.status();
    }
    last = value.status();
  }
  if (last.ok()) return std::nullopt;
  return last;
}

absl::Status WriteDataObjectOn(SessionPool::Lease& lease,
                               absl::string_view label,
                               absl::string_view value) {
  const std::string pending_label = PendingLabel(label);
  ASSIGN_OR_RETURN(std::optional<CK_OBJECT_HANDLE> current,
                   FindDataObject(lease, label));
  ASSIGN_OR_RETURN(std::optional<CK_OBJECT_HANDLE> stale,
                   FindDataObject(lease, pending_label));
  if (stale) {
    if (current) {
      // A write that stopped before removing the old object: drop it.
      RETURN_IF_ERROR(DestroyObject(lease, *stale));
    } else {
      // A write that stopped after removing the old object: finish it.
      current = stale;
      CK_ATTRIBUTE relabel = BytesAttribute(CKA_LABEL, label);
      RETURN_IF_ERROR(CkRvToStatus(lease.functions().C_SetAttributeValue(
                                       lease.handle(), *current, &relabel, 1),
                                   "C_SetAttributeValue(CKA_LABEL)"));
    }
  }
  // 1. The new value under the pending label.
  const CK_ULONG data_class = CKO_DATA;
  std::vector<CK_ATTRIBUTE> attributes = {
      UlongAttribute(CKA_CLASS, data_class),
      BoolAttribute(CKA_TOKEN, true),
      BoolAttribute(CKA_PRIVATE, true),
      BoolAttribute(CKA_MODIFIABLE, true),
      BytesAttribute(CKA_APPLICATION, kDataObjectApplication),
      BytesAttribute(CKA_LABEL, pending_label),
      BytesAttribute(CKA_VALUE, value),
  };
  const CK_FUNCTION_LIST& f = lease.functions();
  CK_OBJECT_HANDLE created = CK_INVALID_HANDLE;
  RETURN_IF_ERROR(CkRvToStatus(
      f.C_CreateObject(lease.handle(), attributes.data(),
                       static_cast<CK_ULONG>(attributes.size()), &created),
      "C_CreateObject"));
  // 2. The old value goes.
  if (current) RETURN_IF_ERROR(DestroyObject(lease, *current));
  // 3. The new value takes the label.
  CK_ATTRIBUTE relabel = BytesAttribute(CKA_LABEL, label);
  return CkRvToStatus(
      f.C_SetAttributeValue(lease.handle(), created, &relabel, 1),
      "C_SetAttributeValue(CKA_LABEL)");
}

}  // namespace sejf::hsm::pkcs11
