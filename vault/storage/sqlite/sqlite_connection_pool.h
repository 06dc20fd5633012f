// SqliteConnectionPool: up to N SqliteConnections to one database, opened on
// demand and lent out one transaction at a time.
//
// A Lease returns its connection when destroyed. A connection returned while
// still inside a transaction (its rollback failed) is closed, not reused, so
// no transaction state leaks into the next borrower.
//
// Thread-safety: the pool is thread-safe. A Lease is move-only and not
// thread-safe; it must be destroyed before the pool.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_POOL_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_POOL_H_

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
  using Opener =
      std::function<absl::StatusOr<std::unique_ptr<SqliteConnection>>()>;

  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    SqliteConnection& operator*() const { return *connection_; }
    SqliteConnection* operator->() const { return connection_.get(); }

   private:
    friend class SqliteConnectionPool;
    Lease(SqliteConnectionPool* pool,
          std::unique_ptr<SqliteConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    SqliteConnectionPool* pool_;
    std::unique_ptr<SqliteConnection> connection_;
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
  // Errors of `open` are returned as they are.
  absl::StatusOr<Lease> Acquire();

 private:
  void Return(std::unique_ptr<SqliteConnection> connection);

  const Opener open_;
  const int max_connections_;
  const absl::Duration wait_timeout_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_count_ ABSL_GUARDED_BY(mu_) = 0;  // idle + lent out
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_POOL_H_
