// PostgresConnectionPool: up to N PostgresConnections, opened on demand and
// lent out one transaction at a time.
//
// A Lease returns its connection when destroyed. A connection returned
// broken (the server went away) or still inside a transaction (its rollback
// failed) is closed, not reused, so neither a dead socket nor transaction
// state reaches the next borrower. DiscardIdle() closes every idle
// connection: after one was found broken, the others (opened before the
// same server restart) most likely are too.
//
// Thread-safety: the pool is thread-safe. A Lease is move-only and not
// thread-safe; it must be destroyed before the pool.
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_CONNECTION_POOL_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_CONNECTION_POOL_H_

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vault/storage/postgres/postgres_connection.h"

namespace sejf::vault {

class PostgresConnectionPool {
 public:
  using Opener =
      std::function<absl::StatusOr<std::unique_ptr<PostgresConnection>>()>;

  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    PostgresConnection& operator*() const { return *connection_; }
    PostgresConnection* operator->() const { return connection_.get(); }

   private:
    friend class PostgresConnectionPool;
    Lease(PostgresConnectionPool* pool,
          std::unique_ptr<PostgresConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    PostgresConnectionPool* pool_;
    std::unique_ptr<PostgresConnection> connection_;
  };

  // `open` makes a new connection; it runs without the pool's lock held.
  PostgresConnectionPool(Opener open, int max_connections,
                         absl::Duration wait_timeout);
  PostgresConnectionPool(const PostgresConnectionPool&) = delete;
  PostgresConnectionPool& operator=(const PostgresConnectionPool&) = delete;

  // Adopts an open connection as an idle one (counts towards the maximum).
  void Adopt(std::unique_ptr<PostgresConnection> connection);

  // An idle connection (the most recently used), else a new one while
  // fewer than max_connections exist, else waits up to wait_timeout for one
  // to come back (UNAVAILABLE). Errors of `open` are returned as they are.
  absl::StatusOr<Lease> Acquire();

  // Closes every idle connection.
  void DiscardIdle();

 private:
  void Return(std::unique_ptr<PostgresConnection> connection);

  const Opener open_;
  const int max_connections_;
  const absl::Duration wait_timeout_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_count_ ABSL_GUARDED_BY(mu_) = 0;  // idle + lent out
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_CONNECTION_POOL_H_
