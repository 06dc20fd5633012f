// Small helpers for PKCS#11 objects, on a leased session: templates, search,
// attribute reads, destruction. Every CK_RV goes through CkRvToStatus.
//
// Thread-safety: functions are thread-safe as far as the lease is used by
// one thread at a time (see session_pool.h).
#ifndef SEJF_HSM_PKCS11_OBJECTS_H_
#define SEJF_HSM_PKCS11_OBJECTS_H_

#include <p11-kit/pkcs11.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/pkcs11/session_pool.h"

namespace sejf::hsm::pkcs11 {

// CK_ATTRIBUTE builders. The attribute points into the argument (or static
// storage for booleans): keep the argument alive while the template is used.
CK_ATTRIBUTE BoolAttribute(CK_ATTRIBUTE_TYPE type, bool value);
CK_ATTRIBUTE UlongAttribute(CK_ATTRIBUTE_TYPE type, const CK_ULONG& value);
CK_ATTRIBUTE BytesAttribute(CK_ATTRIBUTE_TYPE type, absl::string_view value);

// The handles of the objects matching `attributes` (C_FindObjectsInit /
// C_FindObjects / C_FindObjectsFinal), at most `limit` of them.
absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindObjects(
    SessionPool::Lease& lease, std::vector<CK_ATTRIBUTE> attributes,
    std::size_t limit = 16);

// The handles of every object matching `attributes` (C_FindObjects called
// until the token has no more).
absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindAllObjects(
    SessionPool::Lease& lease, std::vector<CK_ATTRIBUTE> attributes);

// The value of a non-sensitive attribute (C_GetAttributeValue twice: size,
// then value). NOT_FOUND when the object is gone; INVALID_ARGUMENT when the
// object has no such attribute.
absl::StatusOr<std::string> GetBytesAttribute(SessionPool::Lease& lease,
                                              CK_OBJECT_HANDLE object,
                                              CK_ATTRIBUTE_TYPE type);

// The value of a CK_ULONG attribute (class, key type, ...).
absl::StatusOr<CK_ULONG> GetUlongAttribute(SessionPool::Lease& lease,
                                           CK_OBJECT_HANDLE object,
                                           CK_ATTRIBUTE_TYPE type);

// C_DestroyObject.
absl::Status DestroyObject(SessionPool::Lease& lease, CK_OBJECT_HANDLE object);

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_OBJECTS_H_
