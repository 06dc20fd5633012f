#include "vault/storage/postgres/postgres_connection_pool.h"

#include "absl/strings/str_cat.h"

namespace sejf::vault {

PostgresConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Return(std::move(connection_));
}

PostgresConnectionPool::PostgresConnectionPool(Opener open, int max_connections,
                                               absl::Duration wait_timeout)
    : open_(std::move(open)),
      max_connections_(max_connections < 1 ? 1 : max_connections),
      wait_timeout_(wait_timeout) {}

void PostgresConnectionPool::Adopt(
    std::unique_ptr<PostgresConnection> connection) {
  absl::MutexLock lock(&mu_);
  ++open_count_;
  idle_.push_back(std::move(connection));
}

absl::StatusOr<PostgresConnectionPool::Lease>
PostgresConnectionPool::Acquire() {
  auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_count_ < max_connections_;
  };
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&available), wait_timeout_)) {
      return absl::UnavailableError(absl::StrCat(
          "all ", max_connections_,
          " PostgreSQL connections stayed in use for ",
          absl::FormatDuration(wait_timeout_),
          "; retry later (or raise storage.postgres_max_connections)"));
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_count_;  // reserve the slot while connecting without the lock
  }
  absl::StatusOr<std::unique_ptr<PostgresConnection>> opened = open_();
  if (!opened.ok()) {
    absl::MutexLock lock(&mu_);
    --open_count_;
    return opened.status();
  }
  return Lease(this, *std::move(opened));
}

void PostgresConnectionPool::DiscardIdle() {
  std::vector<std::unique_ptr<PostgresConnection>> closing;
  {
    absl::MutexLock lock(&mu_);
    closing.swap(idle_);
    open_count_ -= static_cast<int>(closing.size());
  }
  closing.clear();  // close outside the lock
}

void PostgresConnectionPool::Return(
    std::unique_ptr<PostgresConnection> connection) {
  if (connection->ok() && !connection->InTransaction()) {
    absl::MutexLock lock(&mu_);
    idle_.push_back(std::move(connection));
    return;
  }
  connection.reset();  // closed outside the lock
  absl::MutexLock lock(&mu_);
  --open_count_;
}

}  // namespace sejf::vault
