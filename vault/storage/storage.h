// vault::Storage: transactional, versioned records; the persistence seam.
//
// A record is addressed by (kind, name) and carries opaque bytes:
//
//   kind         what the record is ("tokens", "keys", "mfcerts", ...);
//                [a-z][a-z0-9_]{0,31}
//   name         its name within the kind; 1..kMaxNameSize (255) bytes of
//                UTF-8 without control characters (record_rules.h)
//   version      1 on insert, +1 on every update: the optimistic-concurrency
//                token (callers pass the version they read to Update/Delete)
//   data         opaque bytes (may contain NUL; at most kMaxDataSize). Holds
//                sealed ciphertext, never plaintext secrets, but is still
//                treated as sensitive: no error message ever contains it.
//   create_time, update_time
//                from the Clock given to the implementation, stored with
//                microsecond precision (finer digits are dropped).
//
// Implementations: MemoryStorage (memory_storage.h; for tests),
// SqliteStorage (sqlite/sqlite_storage.h; the embedded default),
// PostgresStorage (postgres/postgres_storage.h; replicas on one database).
// All pass storage_contract_test.cc, the executable form of this contract.
//
// Isolation: read-write transactions are serialized (a second Begin(kReadWrite)
// waits, up to the implementation's busy timeout, for the first to end, then
// fails with UNAVAILABLE). Read-only transactions do not wait for writers or
// for each other (an implementation may bound how many transactions run at
// once; see its header) and see one consistent snapshot of committed data,
// taken no later than their first read. So a Get followed by an Update in ONE
// read-write transaction never fails with ABORTED; ABORTED arises when the
// version came from an earlier transaction (e.g. a client read it earlier).
#ifndef SEJF_VAULT_STORAGE_STORAGE_H_
#define SEJF_VAULT_STORAGE_STORAGE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::vault {

// Every member has an initializer, so designated initializers may name only
// some (GCC 12 warns otherwise).
struct Record {
  std::string kind = {};
  std::string name = {};
  std::int64_t version = 0;
  std::string data = {};  // opaque; sealed ciphertext, never plaintext secrets
  absl::Time create_time = {};
  absl::Time update_time = {};
};

struct ListOptions {
  // Exclusive lower bound on the name: records with name > start_after (byte
  // order) are listed. Empty lists from the first record. A page token is
  // the previous page's ListPage::next_start_after.
  std::string start_after = {};
  // At most this many records. 0 means kDefaultListLimit; larger than
  // kMaxListLimit means kMaxListLimit; negative is INVALID_ARGUMENT.
  int limit = 0;
};

inline constexpr int kDefaultListLimit = 100;
inline constexpr int kMaxListLimit = 1000;
inline constexpr std::size_t kMaxNameSize = 255;
inline constexpr std::size_t kMaxDataSize = std::size_t{16} << 20;  // 16 MiB

struct ListPage {
  // In ascending byte order of name.
  std::vector<Record> records;
  // Set when records follow this page: the last name of this page, to be
  // passed as ListOptions::start_after for the next page.
  std::optional<std::string> next_start_after;
};

enum class TransactionMode { kReadOnly, kReadWrite };

// One transaction. Begun by Storage::Begin; ends with Commit() or, without
// Commit(), is rolled back when destroyed. Must be destroyed before the
// Storage that began it.
//
// Every method validates its arguments first (INVALID_ARGUMENT naming the
// field, nothing changed) and refuses to run once the transaction has ended
// (FAILED_PRECONDITION). Writes in a read-only transaction fail with
// FAILED_PRECONDITION. A failed write leaves the transaction usable and
// changes nothing. Storage-level failures: UNAVAILABLE (busy, I/O; retry),
// RESOURCE_EXHAUSTED (disk full), DATA_LOSS (corrupt database), INTERNAL.
//
// Thread-safety: not thread-safe; use one transaction from one thread at a
// time (it may move between threads). Different transactions may be used
// concurrently.
class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  virtual ~Transaction() = default;

  TransactionMode mode() const { return mode_; }

  // The record, or std::nullopt when there is none (not an error).
  absl::StatusOr<std::optional<Record>> Get(absl::string_view kind,
                                            absl::string_view name);

  // Creates a record at version 1 with create_time = update_time = now.
  // ALREADY_EXISTS when (kind, name) exists; INVALID_ARGUMENT when data is
  // larger than kMaxDataSize.
  absl::StatusOr<Record> Insert(absl::string_view kind, absl::string_view name,
                                absl::string_view data);

  // Replaces the data of the record at `expected_version`, giving it version
  // expected_version + 1 and update_time = now. NOT_FOUND when there is no
  // such record; ABORTED ("changed concurrently ... retry") when its version
  // is not `expected_version`: read it again and redo the change.
  absl::StatusOr<Record> Update(absl::string_view kind, absl::string_view name,
                                std::int64_t expected_version,
                                absl::string_view data);

  // Deletes the record at `expected_version`. NOT_FOUND / ABORTED as Update.
  absl::Status Delete(absl::string_view kind, absl::string_view name,
                      std::int64_t expected_version);

  // One page of the records of `kind`, in byte order of name. Paging with
  // next_start_after visits every record that exists throughout exactly once.
  absl::StatusOr<ListPage> List(absl::string_view kind,
                                const ListOptions& options);

  // Makes the writes durable and visible to later transactions, and ends the
  // transaction (also when it fails; then nothing was written). A read-only
  // transaction may be committed to end it early.
  absl::Status Commit();

 protected:
  explicit Transaction(TransactionMode mode) : mode_(mode) {}

 private:
  // Called only with valid arguments, on a transaction that has not ended
  // and, for the writes, is read-write; `limit` is already normalized.
  virtual absl::StatusOr<std::optional<Record>> DoGet(
      absl::string_view kind, absl::string_view name) = 0;
  virtual absl::StatusOr<Record> DoInsert(absl::string_view kind,
                                          absl::string_view name,
                                          absl::string_view data) = 0;
  virtual absl::StatusOr<Record> DoUpdate(absl::string_view kind,
                                          absl::string_view name,
                                          std::int64_t expected_version,
                                          absl::string_view data) = 0;
  virtual absl::Status DoDelete(absl::string_view kind, absl::string_view name,
                                std::int64_t expected_version) = 0;
  virtual absl::StatusOr<ListPage> DoList(absl::string_view kind,
                                          absl::string_view start_after,
                                          int limit) = 0;
  virtual absl::Status DoCommit() = 0;

  absl::Status CheckWritable(absl::string_view operation) const;

  const TransactionMode mode_;
  bool ended_ = false;
};

// A store of records. Thread-safe: one instance serves all threads.
class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  // Starts a transaction. A read-write Begin waits for a running read-write
  // transaction to end, at most the busy timeout, then fails UNAVAILABLE.
  virtual absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode) = 0;

  // One-shot reads in their own read-only transaction.
  absl::StatusOr<std::optional<Record>> Get(absl::string_view kind,
                                            absl::string_view name);
  absl::StatusOr<ListPage> List(absl::string_view kind,
                                const ListOptions& options);
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_STORAGE_H_
