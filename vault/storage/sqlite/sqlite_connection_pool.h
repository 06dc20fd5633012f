// SqliteConnectionPool: up to N SqliteConnections to one database, opened on
// demand and lent out one transaction at a time.
//
// A Lease returns its connection when destroyed. A connection returned while
// still inside a transaction (its rollback failed) is closed, not reused, so
// no transaction state leaks into the next borrower.
//
// Retire() replaces every connection: those open now are closed (idle ones
// at once, lent ones when returned), and no new one is opened until the last
// of them is closed, so old and new connections never run side by side
// (sqlite_wal_guard.h: they would use different write-ahead logs).
//
// Thread-safety: the pool is thread-safe. A Lease is move-only and not
// thread-safe; it must be destroyed before the pool.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_POOL_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_POOL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vault/storage/sqlite/sqlite_connection.h"

namespace sejf::vault {

class SqliteConnectionPool {
 public:
  // `alone`: no other connection of the pool is open meanwhile.
  using Opener =
      std::function<absl::StatusOr<std::unique_ptr<SqliteConnection>>(
          bool alone)>;

  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          connection_(std::move(other.connection_)),
          generation_(other.generation_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    SqliteConnection& operator*() const { return *connection_; }
    SqliteConnection* operator->() const { return connection_.get(); }

   private:
    friend class SqliteConnectionPool;
    Lease(SqliteConnectionPool* pool,
          std::unique_ptr<SqliteConnection> connection, std::int64_t generation)
        : pool_(pool),
          connection_(std::move(connection)),
          generation_(generation) {}
    SqliteConnectionPool* pool_;
    std::unique_ptr<SqliteConnection> connection_;
    std::int64_t generation_;  // the pool's when the connection was opened
  };

  // `open` makes a new connection; it runs without the pool's lock held.
  SqliteConnectionPool(Opener open, int max_connections,
                       absl::Duration wait_timeout);
  SqliteConnectionPool(const SqliteConnectionPool&) = delete;
  SqliteConnectionPool& operator=(const SqliteConnectionPool&) = delete;

  // Adopts an already open connection as an idle one (counts towards the
  // maximum).
  void Adopt(std::unique_ptr<SqliteConnection> connection);

  // An idle connection, else a new one while fewer than max_connections
  // exist, else waits up to wait_timeout for one to come back (UNAVAILABLE).
  // After Retire, waits (within the same wait_timeout) until every retired
  // connection is closed. Errors of `open` are returned as they are.
  absl::StatusOr<Lease> Acquire();

  // Closes the idle connections now and every lent one when it comes back;
  // Acquire opens new ones only after the last of them is closed.
  void Retire();

 private:
  void Return(std::unique_ptr<SqliteConnection> connection,
              std::int64_t generation);

  const Opener open_;
  const int max_connections_;
  const absl::Duration wait_timeout_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_count_ ABSL_GUARDED_BY(mu_) = 0;           // idle + lent out
  std::int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // Retire increments
  int retired_open_ ABSL_GUARDED_BY(mu_) = 0;         // lent out, to be closed
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_POOL_H_
