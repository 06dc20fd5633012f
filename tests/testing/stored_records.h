// Direct access to the records a test sejfd keeps in its SQLite database
// (DATA_DIR/sejf.db, table `records`: kind, name, data), as someone with
// access to the file could: to look at what was stored, or to tamper with it.
// Waits up to 5 s for a lock held by a running daemon.
#ifndef SEJF_TESTS_TESTING_STORED_RECORDS_H_
#define SEJF_TESTS_TESTING_STORED_RECORDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sejf::testing {

// The `data` bytes of record (`kind`, `name`); NOT_FOUND when there is none.
absl::StatusOr<std::string> ReadStoredRecord(const std::string& db_path,
                                             const std::string& kind,
                                             const std::string& name);

// Replaces the `data` bytes of the existing record (`kind`, `name`);
// NOT_FOUND when there is none.
absl::Status WriteStoredRecord(const std::string& db_path,
                               const std::string& kind, const std::string& name,
                               const std::string& data);

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_STORED_RECORDS_H_
