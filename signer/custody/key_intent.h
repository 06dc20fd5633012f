// The intent KeyCustody::Generate (and Import, issue 15) records before it
// creates a key pair in the HSM, so that a crash between creating the pair and
// recording the key is recovered by destroying exactly the object it created,
// found by the CKA_ID chosen and recorded beforehand, and never an object found
// by label.
//
// Stored through vault::Storage as kind kKeyIntentKind, record name = the
// key's name, while a Generate of that name is under way (or after it
// crashed); deleted in the transaction that inserts the key's record. Never
// listed as a key. Format: one JSON object, unknown members ignored:
//
//   {"format":1, "key_id":"<hex CKA_ID, 16 bytes>",
//    "label":"<the CKA_LABEL it is created under>"}
#ifndef SEJF_SIGNER_CUSTODY_KEY_INTENT_H_
#define SEJF_SIGNER_CUSTODY_KEY_INTENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::signer {

inline constexpr absl::string_view kKeyIntentKind = "key_intents";

struct KeyIntent {
  std::string key_id = {};  // binary CKA_ID
  std::string label = {};   // CKA_LABEL

  friend bool operator==(const KeyIntent&, const KeyIntent&) = default;
};

std::string EncodeKeyIntent(const KeyIntent& intent);

// DATA_LOSS when `data` is not an intent this code wrote.
absl::StatusOr<KeyIntent> DecodeKeyIntent(absl::string_view data);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_CUSTODY_KEY_INTENT_H_
