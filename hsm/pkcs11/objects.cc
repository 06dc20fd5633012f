#include "hsm/pkcs11/objects.h"

#include "hsm/pkcs11/ck_rv.h"

namespace sejf::hsm::pkcs11 {
namespace {

// PKCS#11 templates take non-const pointers but only read them.
CK_BBOOL kTrueValue = CK_TRUE;
CK_BBOOL kFalseValue = CK_FALSE;

}  // namespace

CK_ATTRIBUTE BoolAttribute(CK_ATTRIBUTE_TYPE type, bool value) {
  return CK_ATTRIBUTE{type, value ? &kTrueValue : &kFalseValue,
                      sizeof(CK_BBOOL)};
}

CK_ATTRIBUTE UlongAttribute(CK_ATTRIBUTE_TYPE type, const CK_ULONG& value) {
  return CK_ATTRIBUTE{type, const_cast<CK_ULONG*>(&value), sizeof(CK_ULONG)};
}

CK_ATTRIBUTE BytesAttribute(CK_ATTRIBUTE_TYPE type, absl::string_view value) {
  return CK_ATTRIBUTE{type, const_cast<char*>(value.data()),
                      static_cast<CK_ULONG>(value.size())};
}

absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindObjects(
    SessionPool::Lease& lease, std::vector<CK_ATTRIBUTE> attributes,
    std::size_t limit) {
  const CK_FUNCTION_LIST& f = lease.functions();
  CK_RV rv = f.C_FindObjectsInit(lease.handle(), attributes.data(),
                                 static_cast<CK_ULONG>(attributes.size()));
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_FindObjectsInit");
  std::vector<CK_OBJECT_HANDLE> found(limit);
  CK_ULONG count = 0;
  rv = f.C_FindObjects(lease.handle(), found.data(),
                       static_cast<CK_ULONG>(found.size()), &count);
  // Always end the search, or the session stays busy with it.
  const CK_RV final_rv = f.C_FindObjectsFinal(lease.handle());
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_FindObjects");
  if (final_rv != CKR_OK) return CkRvToStatus(final_rv, "C_FindObjectsFinal");
  found.resize(count);
  return found;
}

absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindAllObjects(
    SessionPool::Lease& lease, std::vector<CK_ATTRIBUTE> attributes) {
  const CK_FUNCTION_LIST& f = lease.functions();
  CK_RV rv = f.C_FindObjectsInit(lease.handle(), attributes.data(),
                                 static_cast<CK_ULONG>(attributes.size()));
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_FindObjectsInit");
  constexpr std::size_t kBatch = 256;
  std::vector<CK_OBJECT_HANDLE> found;
  for (;;) {
    const std::size_t start = found.size();
    found.resize(start + kBatch);
    CK_ULONG count = 0;
    rv = f.C_FindObjects(lease.handle(), found.data() + start, kBatch, &count);
    found.resize(start + (rv == CKR_OK ? count : 0));
    if (rv != CKR_OK || count < kBatch) break;
  }
  // Always end the search, or the session stays busy with it.
  const CK_RV final_rv = f.C_FindObjectsFinal(lease.handle());
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_FindObjects");
  if (final_rv != CKR_OK) return CkRvToStatus(final_rv, "C_FindObjectsFinal");
  return found;
}

absl::StatusOr<std::string> GetBytesAttribute(SessionPool::Lease& lease,
                                              CK_OBJECT_HANDLE object,
                                              CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE attribute{type, nullptr, 0};
  CK_RV rv = lease.functions().C_GetAttributeValue(lease.handle(), object,
                                                   &attribute, 1);
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_GetAttributeValue");
  if (attribute.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    return absl::InvalidArgumentError(
        "C_GetAttributeValue: attribute unavailable");
  }
  std::string value(attribute.ulValueLen, '\0');
  attribute.pValue = value.data();
  rv = lease.functions().C_GetAttributeValue(lease.handle(), object, &attribute,
                                             1);
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_GetAttributeValue");
  value.resize(attribute.ulValueLen);
  return value;
}

absl::StatusOr<CK_ULONG> GetUlongAttribute(SessionPool::Lease& lease,
                                           CK_OBJECT_HANDLE object,
                                           CK_ATTRIBUTE_TYPE type) {
  CK_ULONG value = 0;
  CK_ATTRIBUTE attribute{type, &value, sizeof(value)};
  CK_RV rv = lease.functions().C_GetAttributeValue(lease.handle(), object,
                                                   &attribute, 1);
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_GetAttributeValue");
  return value;
}

absl::Status DestroyObject(SessionPool::Lease& lease, CK_OBJECT_HANDLE object) {
  return CkRvToStatus(lease.functions().C_DestroyObject(lease.handle(), object),
                      "C_DestroyObject");
}

}  // namespace sejf::hsm::pkcs11
