// SqliteTransaction: a Transaction on one leased SQLite connection.
// Internal to SqliteStorage (sqlite_storage.h), which begins it.
//
// Read-only transactions run BEGIN DEFERRED (a WAL snapshot from the first
// read; never blocks or is blocked). Read-write transactions hold the
// process's WriterGate pass and run BEGIN IMMEDIATE, which takes SQLite's
// write lock at once, waiting up to the busy timeout for another process.
// Destroying an uncommitted transaction runs ROLLBACK.
//
// Thread-safety: as Transaction (one thread at a time).
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_TRANSACTION_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_TRANSACTION_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "vault/storage/sqlite/sqlite_connection_pool.h"
#include "vault/storage/sqlite/sqlite_wal_guard.h"
#include "vault/storage/sqlite/sqlite_wal_scrubber.h"
#include "vault/storage/storage.h"
#include "vault/storage/writer_gate.h"

namespace sejf::vault {

class SqliteTransaction final : public Transaction {
 public:
  // Starts the transaction on `lease`; `pass` must be set for kReadWrite.
  // `clock`, `scrubber` and `wal_guard` must outlive the transaction. A
  // write commit is acknowledged only once `wal_guard` found its log in
  // place or saved it into the database file.
  static absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode, SqliteConnectionPool::Lease lease,
      std::optional<WriterGate::Pass> pass, const Clock& clock,
      SqliteWalScrubber& scrubber, SqliteWalGuard& wal_guard);

  ~SqliteTransaction() override;

 private:
  struct Current {
    std::int64_t version;
    std::int64_t create_time_us;
  };

  SqliteTransaction(TransactionMode mode, SqliteConnectionPool::Lease lease,
                    std::optional<WriterGate::Pass> pass, const Clock& clock,
                    SqliteWalScrubber& scrubber, SqliteWalGuard& wal_guard);

  // Runs a statement without bindings (BEGIN, COMMIT, ROLLBACK).
  absl::Status Run(absl::string_view sql);
  // The version and creation time of the record, if any.
  absl::StatusOr<std::optional<Current>> Find(absl::string_view kind,
                                              absl::string_view name);
  // NOT_FOUND / ABORTED unless the record is at `expected_version`.
  absl::StatusOr<Current> FindAtVersion(absl::string_view kind,
                                        absl::string_view name,
                                        std::int64_t expected_version);

  absl::StatusOr<std::optional<Record>> DoGet(absl::string_view kind,
                                              absl::string_view name) override;
  absl::StatusOr<Record> DoInsert(absl::string_view kind,
                                  absl::string_view name,
                                  absl::string_view data) override;
  absl::StatusOr<Record> DoUpdate(absl::string_view kind,
                                  absl::string_view name,
                                  std::int64_t expected_version,
                                  absl::string_view data) override;
  absl::Status DoDelete(absl::string_view kind, absl::string_view name,
                        std::int64_t expected_version) override;
  absl::StatusOr<ListPage> DoList(absl::string_view kind,
                                  absl::string_view start_after,
                                  int limit) override;
  absl::Status DoCommit() override;

  SqliteConnection& connection() { return **lease_; }

  std::optional<WriterGate::Pass> pass_;  // released after the lease
  std::optional<SqliteConnectionPool::Lease> lease_;  // reset at Commit
  const Clock& clock_;
  SqliteWalScrubber& scrubber_;
  SqliteWalGuard& wal_guard_;
  bool discarded_data_ = false;  // a record was deleted or overwritten
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_TRANSACTION_H_
