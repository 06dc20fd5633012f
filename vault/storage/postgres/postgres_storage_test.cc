// PostgresStorage beyond the shared contract (storage_contract_test.cc runs
// that against PostgreSQL too): migrations, several storages (processes) on
// one database, reconnection, TLS, passwords, the SQLSTATE mapping.
#include "vault/storage/postgres/postgres_storage.h"

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/postgres/postgres_migrations.h"
#include "vault/storage/postgres/postgres_status.h"
#include "vault/storage/postgres/testing/postgres_cluster.h"

namespace sejf::vault {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::PostgresCluster;

class PostgresStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = cluster().CreateDatabase();
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *database;
  }

  virtual PostgresCluster& cluster() { return PostgresCluster::Shared(); }

  PostgresStorageOptions Options(absl::string_view role = "sejf") {
    PostgresStorageOptions options;
    options.connect.url = cluster().Url(database_, role);
    return options;
  }

  std::unique_ptr<PostgresStorage> Open(const PostgresStorageOptions& options) {
    auto storage = PostgresStorage::Open(options, clock_);
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }

  static void Put(Storage& storage, absl::string_view name,
                  absl::string_view data) {
    auto txn = storage.Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
    ASSERT_TRUE((*txn)->Insert("tokens", name, data).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  // The number of rows `sql` (a SELECT count(*) ...) counts, as superuser.
  std::int64_t Count(absl::string_view sql) {
    auto connection =
        PostgresConnection::Open({.url = cluster().Url(database_, "postgres")});
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return -1;
    auto result = (*connection)->Query(sql, PostgresParams(), "count");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? PgInt8(result->get(), 0, 0) : -1;
  }

  std::string database_;
  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
};

TEST_F(PostgresStorageTest, MigrationsAreRecordedOnceAndOpeningAgainKeepsData) {
  {
    auto storage = Open(Options());
    ASSERT_NE(storage, nullptr);
    Put(*storage, "acme", "sealed");
    auto info = storage->ReadSessionInfo();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->schema_version,
              static_cast<std::int64_t>(PostgresMigrations().size()));
    EXPECT_THAT(info->server_version, HasSubstr("15."));
  }
  auto again = Open(Options());
  ASSERT_NE(again, nullptr);
  auto record = again->Get("tokens", "acme");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->data, "sealed");
  EXPECT_EQ(Count("SELECT count(*) FROM sejf_schema_migrations"),
            static_cast<std::int64_t>(PostgresMigrations().size()));
}

TEST_F(PostgresStorageTest, ProcessesStartingAtOnceMigrateOnce) {
  constexpr int kOpeners = 6;
  std::vector<std::thread> threads;
  std::atomic<int> opened = 0;
  absl::Notification go;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&] {
      go.WaitForNotification();
      auto storage = PostgresStorage::Open(Options(), clock_);
      EXPECT_TRUE(storage.ok()) << storage.status();
      if (storage.ok()) ++opened;
    });
  }
  go.Notify();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(opened, kOpeners);
  EXPECT_EQ(Count("SELECT count(*) FROM sejf_schema_migrations"),
            static_cast<std::int64_t>(PostgresMigrations().size()));
}

TEST_F(PostgresStorageTest, NewerSchemaIsRefusedNamingBothVersions) {
  ASSERT_NE(Open(Options()), nullptr);
  ASSERT_TRUE(cluster()
                  .Execute(database_,
                           "INSERT INTO sejf_schema_migrations VALUES "
                           "(99, now())")
                  .ok());
  auto storage = PostgresStorage::Open(Options(), clock_);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage.status().message(),
              AllOf(HasSubstr("schema version 99"),
                    HasSubstr(absl::StrCat("schema version ",
                                           PostgresMigrations().size()))));
}

TEST_F(PostgresStorageTest, ADatabaseNotInUtf8IsRefused) {
  const std::string latin2 = database_ + "_latin2";
  ASSERT_TRUE(
      cluster()
          .Execute("postgres", absl::StrCat("CREATE DATABASE ", latin2,
                                            " OWNER sejf ENCODING 'LATIN2' "
                                            "TEMPLATE template0"))
          .ok());
  PostgresStorageOptions options;
  options.connect.url = cluster().Url(latin2);
  auto storage = PostgresStorage::Open(options, clock_);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage.status().message(),
              AllOf(HasSubstr("LATIN2"), HasSubstr("ENCODING 'UTF8'")));
}

TEST_F(PostgresStorageTest, ARoleThatMayNotCreateTablesIsToldWhatToGrant) {
  ASSERT_TRUE(cluster()
                  .Execute("postgres",
                           "DO $$ BEGIN CREATE ROLE sejf_reader LOGIN; "
                           "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
                  .ok());
  ASSERT_TRUE(
      cluster()
          .Execute(database_, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
          .ok());
  auto storage = PostgresStorage::Open(Options("sejf_reader"), clock_);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage.status().message(),
              AllOf(HasSubstr("permission denied"), HasSubstr("42501"),
                    HasSubstr("docs/storage.md")));
}

// Two PostgresStorage instances stand for two sejfd processes.
TEST_F(PostgresStorageTest, WritersInDifferentProcessesAreSerialized) {
  auto first = Open(Options());
  PostgresStorageOptions impatient = Options();
  impatient.busy_timeout = absl::Milliseconds(300);
  auto second = Open(impatient);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);

  auto writer = first->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Insert("tokens", "acme", "from first").ok());
  auto blocked = second->Begin(TransactionMode::kReadWrite);
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(blocked.status().message(), HasSubstr("write lock"));
  // Readers of the other process are not held up, and see the last commit.
  auto read = second->Get("tokens", "acme");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
  ASSERT_TRUE((*writer)->Commit().ok());

  auto next = second->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(next.ok()) << next.status();
  auto seen = (*next)->Get("tokens", "acme");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->data, "from first");
}

TEST_F(PostgresStorageTest, ReadModifyWriteAcrossProcessesLosesNothing) {
  std::vector<std::unique_ptr<PostgresStorage>> storages;
  for (int i = 0; i < 3; ++i) storages.push_back(Open(Options()));
  Put(*storages[0], "counter", "0");
  constexpr int kIncrements = 20;
  std::vector<std::thread> threads;
  for (auto& storage : storages) {
    threads.emplace_back([&storage] {
      for (int i = 0; i < kIncrements; ++i) {
        auto txn = storage->Begin(TransactionMode::kReadWrite);
        ASSERT_TRUE(txn.ok()) << txn.status();
        auto current = (*txn)->Get("tokens", "counter");
        ASSERT_TRUE(current.ok() && current->has_value());
        int n = 0;
        ASSERT_TRUE(absl::SimpleAtoi((*current)->data, &n));
        auto updated = (*txn)->Update("tokens", "counter", (*current)->version,
                                      absl::StrCat(n + 1));
        ASSERT_TRUE(updated.ok()) << updated.status();
        ASSERT_TRUE((*txn)->Commit().ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto counter = storages[1]->Get("tokens", "counter");
  ASSERT_TRUE(counter.ok() && counter->has_value());
  EXPECT_EQ((*counter)->data, absl::StrCat(3 * kIncrements));
  EXPECT_EQ((*counter)->version, 1 + 3 * kIncrements);
}

TEST_F(PostgresStorageTest,
       LostConnectionFailsTheTransactionAndTheNextOneWorks) {
  auto storage = Open(Options());
  ASSERT_NE(storage, nullptr);
  Put(*storage, "before", "x");
  auto txn = storage->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Insert("tokens", "lost", "x").ok());
  // Every connection of the storage is cut, the idle ones too.
  ASSERT_TRUE(cluster()
                  .Execute("postgres",
                           absl::StrCat("SELECT pg_terminate_backend(pid) FROM "
                                        "pg_stat_activity WHERE datname = '",
                                        database_, "' AND usename = 'sejf'"))
                  .ok());
  absl::Status committed = (*txn)->Commit();
  EXPECT_EQ(committed.code(), absl::StatusCode::kUnavailable) << committed;
  EXPECT_THAT(committed.message(), HasSubstr("retry"));
  txn->reset();

  auto lost = storage->Get("tokens", "lost");
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_FALSE(lost->has_value());
  Put(*storage, "after", "y");
  EXPECT_TRUE((*storage->Get("tokens", "before")).has_value());
}

TEST_F(PostgresStorageTest, RefusedStatementEndsTheTransactionUncommitted) {
  auto storage = Open(Options());
  ASSERT_NE(storage, nullptr);
  auto txn = storage->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  // A rule sejf does not know of, added while the transaction runs (it has
  // not touched the table yet, so the ALTER does not wait for it).
  ASSERT_TRUE(cluster()
                  .Execute(database_,
                           "ALTER TABLE sejf_records ADD CONSTRAINT small "
                           "CHECK (length(data) < 100) NOT VALID")
                  .ok());
  ASSERT_TRUE((*txn)->Insert("tokens", "first", "small").ok());
  auto big = (*txn)->Insert("tokens", "big", std::string(200, 'x'));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(big.status().message(),
              AllOf(HasSubstr("23514"), Not(HasSubstr("xxxxxxxx"))));
  auto after = (*txn)->Insert("tokens", "third", "small");
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(after.status().message(), HasSubstr("earlier statement"));
  EXPECT_FALSE((*txn)->Commit().ok());
  EXPECT_FALSE((*storage->Get("tokens", "first")).has_value());
  Put(*storage, "next", "small");  // the storage goes on
}

TEST_F(PostgresStorageTest, WithoutPasswordARoleThatNeedsOneCannotConnect) {
  PostgresStorageOptions options = Options("sejf_password");
  auto refused = PostgresStorage::Open(options, clock_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("password"));

  options.connect.password = SecretFromView("not-the-password-77");
  auto wrong = PostgresStorage::Open(options, clock_);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(wrong.status().message(),
              AllOf(HasSubstr("password authentication failed"),
                    Not(HasSubstr("not-the-password-77"))));
}

TEST_F(PostgresStorageTest, PasswordFromOptionsOrFromAPassfile) {
  ASSERT_TRUE(
      cluster()
          .Execute(database_, "GRANT CREATE ON SCHEMA public TO sejf_password")
          .ok());
  PostgresStorageOptions options = Options("sejf_password");
  options.connect.password = SecretFromView(testing::kPostgresTestPassword);
  auto storage = Open(options);
  ASSERT_NE(storage, nullptr);
  Put(*storage, "acme", "x");

  // libpq's own password file (what PGPASSFILE names), mode 0600.
  ::sejf::testing::TempDir tmp;
  const std::string passfile = tmp.Write(
      "pgpass",
      absl::StrCat("127.0.0.1:", cluster().port(), ":", database_,
                   ":sejf_password:", testing::kPostgresTestPassword, "\n"));
  ASSERT_EQ(chmod(passfile.c_str(), 0600), 0);
  PostgresStorageOptions from_file = Options("sejf_password");
  from_file.connect.url =
      absl::StrCat(from_file.connect.url, "?passfile=", passfile);
  auto second = Open(from_file);
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE((*second->Get("tokens", "acme")).has_value());
}

TEST_F(PostgresStorageTest, CaFileMeansVerifiedTls) {
  PostgresStorageOptions options;
  options.connect.url =
      absl::StrCat("postgresql://sejf@localhost:", cluster().port(), "/",
                   database_, "?hostaddr=127.0.0.1");
  options.connect.ca_file = cluster().ca_file();
  auto storage = Open(options);
  ASSERT_NE(storage, nullptr);
  auto info = storage->ReadSessionInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->ssl);
  Put(*storage, "over-tls", "x");

  // Without the CA file libpq's default (prefer) may still use TLS, but
  // verifies nothing; with it, a certificate for another name is refused...
  PostgresStorageOptions wrong_name = options;
  wrong_name.connect.url =
      absl::StrCat("postgresql://sejf@db.example.com:", cluster().port(), "/",
                   database_, "?hostaddr=127.0.0.1");
  auto refused = PostgresStorage::Open(wrong_name, clock_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("does not match host"));

  // ...and so is a certificate from another CA.
  ::sejf::testing::TempDir tmp;
  auto made = ::sejf::testing::RunCommand(
      {"/usr/bin/env", "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:P-256", "-nodes", "-keyout", tmp.Path("other.key"),
       "-out", tmp.Path("other.crt"), "-subj", "/CN=another CA", "-days", "1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  PostgresStorageOptions other_ca = options;
  other_ca.connect.ca_file = tmp.Path("other.crt");
  auto untrusted = PostgresStorage::Open(other_ca, clock_);
  EXPECT_EQ(untrusted.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(untrusted.status().message(), HasSubstr("certificate verify"));
}

TEST_F(PostgresStorageTest, InvalidUrlIsInvalidArgument) {
  PostgresStorageOptions options = Options();
  options.connect.url = absl::StrCat(
      "postgresql://sejf:pw1234@127.0.0.1:", cluster().port(), "/", database_);
  auto storage = PostgresStorage::Open(options, clock_);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(storage.status().message(), Not(HasSubstr("pw1234")));
}

TEST(PostgresStatusTest, SqlstatesMapAsDocumented) {
  const struct {
    const char* sqlstate;
    absl::StatusCode code;
  } cases[] = {
      {"08006", absl::StatusCode::kUnavailable},        // connection failure
      {"57P01", absl::StatusCode::kUnavailable},        // admin shutdown
      {"55P03", absl::StatusCode::kUnavailable},        // lock not available
      {"40001", absl::StatusCode::kUnavailable},        // serialization failure
      {"40P01", absl::StatusCode::kUnavailable},        // deadlock
      {"25006", absl::StatusCode::kUnavailable},        // read-only (a standby)
      {"53300", absl::StatusCode::kUnavailable},        // too many connections
      {"53100", absl::StatusCode::kResourceExhausted},  // disk full
      {"53200", absl::StatusCode::kResourceExhausted},  // out of memory
      {"XX001", absl::StatusCode::kDataLoss},
      {"XX002", absl::StatusCode::kDataLoss},
      {"28P01", absl::StatusCode::kFailedPrecondition},
      {"42501", absl::StatusCode::kFailedPrecondition},
      {"3D000", absl::StatusCode::kFailedPrecondition},
      {"23505", absl::StatusCode::kFailedPrecondition},
      {"42601", absl::StatusCode::kInternal},  // syntax error: our bug
      {"", absl::StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(PostgresStatusCode(c.sqlstate, /*connection_bad=*/false), c.code)
        << c.sqlstate;
  }
  EXPECT_EQ(PostgresStatusCode("42601", /*connection_bad=*/true),
            absl::StatusCode::kUnavailable);
}

// A server of its own: restarting it must not disturb the other tests.
class PostgresRestartTest : public PostgresStorageTest {
 protected:
  PostgresCluster& cluster() override {
    if (own_ == nullptr) {
      auto started = PostgresCluster::Start();
      if (!started.ok()) {
        ADD_FAILURE() << started.status();
        std::abort();
      }
      own_ = *std::move(started);
    }
    return *own_;
  }
  std::unique_ptr<PostgresCluster> own_;
};

TEST_F(PostgresRestartTest, ServerRestartCostsNoFailedCall) {
  PostgresStorageOptions options = Options();
  options.max_connections = 3;
  auto storage = Open(options);
  ASSERT_NE(storage, nullptr);
  // Several idle connections in the pool, all cut by the restart.
  {
    auto a = storage->Begin(TransactionMode::kReadOnly);
    auto b = storage->Begin(TransactionMode::kReadOnly);
    auto c = storage->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    ASSERT_TRUE((*c)->Insert("tokens", "before", "x").ok());
    ASSERT_TRUE((*c)->Commit().ok());
  }
  ASSERT_TRUE(cluster().Restart().ok());

  auto read = storage->Get("tokens", "before");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->has_value());
  Put(*storage, "after", "y");
  auto page = storage->List("tokens", {});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records.size(), 2u);
}

TEST_F(PostgresRestartTest, ServerDownIsUnavailableUntilItIsBack) {
  auto storage = Open(Options());
  ASSERT_NE(storage, nullptr);
  Put(*storage, "before", "x");
  ASSERT_TRUE(cluster().Stop().ok());
  auto down = storage->Get("tokens", "before");
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(down.status().message(), HasSubstr("PostgreSQL"));
  ASSERT_TRUE(cluster().Restart().ok());
  auto back = storage->Get("tokens", "before");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->has_value());
}

}  // namespace
}  // namespace sejf::vault
