// The record of one KSeF certificate enrollment of a key in custody
// (docs/lifecycle-certificates.md), stored through vault::Storage as kind
// "key_enrollments", record name = the key's name. It is written before
// anything exists in the HSM or in KSeF and again with KSeF's reference
// number as soon as KSeF answered the submission, so an enrollment
// interrupted by a restart resumes from it.
//
// Stored format (EncodeEnrollmentRecord): one JSON object,
//   {"format":1, "session":"S", "environment":"test",
//    "usage":"authentication|offline", "algorithm":"ec-p256|rsa-2048",
//    "certificate_name":"…", "state":"submitting|pending|completed|failed",
//    "reference_number":"…-EH-…", "serial":"<16 hex>",
//    "error":"…", "create_time_us":…, "update_time_us":…,
//    "ksef_status":"Active|Blocked|Revoked|Expired",
//    "ksef_status_time_us":…,
//    "version":2,              the key version it certifies; absent: 1
//    "renew_before_days":30}   on version 1's record: how many days before
//                              the current certificate's notAfter sejfd
//                              enrolls a successor (0: never); absent: 30
// (empty strings and zero times left out). Unknown members are ignored on
// read, so records written before versions existed read as version 1 with
// the default renewal. Nothing in it is secret.
//
// Versions (signer/custody/key_versions.h): version k ≥ 2 of key NAME is
// enrolled under a record of its own, named like its key "NAME@k", with
// "version":k; the credential's settings (renew_before_days) stay on
// version 1's record, "NAME".
#ifndef SEJF_BROKER_LIFECYCLE_ENROLLMENT_RECORD_H_
#define SEJF_BROKER_LIFECYCLE_ENROLLMENT_RECORD_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vault/records/key_record.h"

namespace sejf::broker {

inline constexpr absl::string_view kEnrollmentRecordKind = "key_enrollments";

// renew_before_days of an enrolled key that never set it, and its bounds.
inline constexpr int kDefaultRenewBeforeDays = 30;
inline constexpr int kMaxRenewBeforeDays = 365;

enum class EnrollmentState {
  // The key and CSR are being made or submitted; KSeF has not answered —
  // or its answer was lost (`error` says so), so KSeF may hold an
  // enrollment whose reference number sejf never learned.
  kSubmitting,
  kPending,    // KSeF accepted it (reference number stored); polling
  kCompleted,  // the certificate is attached to the key
  // KSeF refused it, or it stayed submitting (interrupted, or the answer
  // lost) longer than any Enroll call runs.
  kFailed,
};

absl::string_view EnrollmentStateName(EnrollmentState state);

struct EnrollmentRecord {
  std::string session = {};
  std::string environment = {};
  vault::KeyUsage usage = vault::KeyUsage::kAuthentication;
  std::string algorithm = {};  // "ec-p256" or "rsa-2048"
  std::string certificate_name = {};
  EnrollmentState state = EnrollmentState::kSubmitting;
  std::string reference_number = {};
  std::string serial = {};
  std::string error = {};  // why it failed, or the last poll's error
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();
  // The certificate's status in KSeF (POST /certificates/query), and when
  // it was last seen; empty until the first check.
  std::string ksef_status = {};
  absl::Time ksef_status_time = absl::InfinitePast();
  int version = 1;
  // Version 1's record only; nullopt: kDefaultRenewBeforeDays.
  std::optional<int> renew_before_days = std::nullopt;

  bool operator==(const EnrollmentRecord&) const = default;
};

std::string EncodeEnrollmentRecord(const EnrollmentRecord& record);

// DATA_LOSS naming the problem for data that is not such a record.
absl::StatusOr<EnrollmentRecord> DecodeEnrollmentRecord(absl::string_view data);

}  // namespace sejf::broker

#endif  // SEJF_BROKER_LIFECYCLE_ENROLLMENT_RECORD_H_
