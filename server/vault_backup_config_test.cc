// server::VaultBackupFor: which vaults `sejf backup` copies, from where, and
// what it says for the others.
#include "server/vault_backup_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.h"
#include "common/files.h"
#include "common/testing/temp_dir.h"
#include "hsm/testing/fake_key_store.h"

namespace sejf::server {
namespace {

using ::sejf::testing::TempDir;
using ::testing::HasSubstr;

class VaultBackupConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* dir : {"/var", "/etc", "/softhsm", "/softhsm/tokens",
                            "/softhsm/tokens/uuid"}) {
      ASSERT_TRUE(EnsureDirectory(temp_.path() + dir, 0700, true).ok());
    }
    ASSERT_TRUE(WriteFileAtomically(temp_.Path("softhsm/tokens/uuid/a.object"),
                                    "obj", 0600)
                    .ok());
    ASSERT_TRUE(
        WriteFileAtomically(temp_.Path("etc/hsm-pin"), "pin\n", 0600).ok());
    ASSERT_TRUE(WriteFileAtomically(
                    temp_.Path("etc/softhsm2.conf"),
                    "directories.tokendir = " + temp_.Path("softhsm/tokens") +
                        "\nobjectstore.backend = file\n",
                    0644)
                    .ok());
    auto storage = vault::SqliteStorage::Open(temp_.Path("var/sejf.db"),
                                              SystemClock::Get());
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
    // A production sejfd on SQLite and SoftHSM2 (docs/operations.md).
    config_.hsm.module = "/usr/lib/softhsm/libsofthsm2.so";
    config_.hsm.softhsm2_conf = temp_.Path("etc/softhsm2.conf");
    config_.hsm.pin_file = temp_.Path("etc/hsm-pin");
    config_.storage.sqlite_path = temp_.Path("var/sejf.db");
  }

  TempDir temp_;
  hsm::testing::FakeKeyStore fake_;
  hsm::WriteFencedKeyStore fenced_{&fake_};
  std::unique_ptr<vault::SqliteStorage> storage_;
  Config config_;
};

TEST_F(VaultBackupConfigTest, ReadsTheTokenDirectoryFromTheSoftHsmConfig) {
  EXPECT_EQ(*SoftHsmTokenDirOf(config_.hsm.softhsm2_conf),
            temp_.Path("softhsm/tokens"));
  ASSERT_TRUE(WriteFileAtomically(temp_.Path("etc/relative.conf"),
                                  "directories.tokendir = tokens\n", 0600)
                  .ok());
  EXPECT_EQ(SoftHsmTokenDirOf(temp_.Path("etc/relative.conf")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(WriteFileAtomically(temp_.Path("etc/none.conf"),
                                  "log.level = ERROR\n", 0600)
                  .ok());
  EXPECT_EQ(SoftHsmTokenDirOf(temp_.Path("etc/none.conf")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(VaultBackupConfigTest, AProductionSoftHsmVaultIsCopiedIntoADataDir) {
  auto backup = VaultBackupFor(config_, storage_.get(), &fenced_);
  const std::string dir = temp_.Path("backup");
  absl::StatusOr<vault::VaultBackupReport> report = backup->BackupTo(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(*ReadFile(dir + "/tokens/uuid/a.object"), "obj");
  EXPECT_EQ(*ReadFile(dir + "/hsm-pin"), "pin\n");
  EXPECT_TRUE(PathExists(dir + "/sejf.db"));
  EXPECT_THAT(*ReadFile(dir + "/softhsm2.conf"),
              HasSubstr("directories.tokendir = " + dir + "/tokens\n"));
  EXPECT_FALSE(PathExists(dir + "/tls"));  // production TLS lives in /etc
  // Never into the token directory or beside the database.
  EXPECT_EQ(backup->BackupTo(temp_.Path("softhsm/tokens/b")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backup->BackupTo(temp_.Path("var/b")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(VaultBackupConfigTest, OtherVaultsAreRefusedWithWhatToDo) {
  Config network = config_;
  network.hsm.module = "/opt/vendor/lib/libCryptoki2.so";
  network.hsm.softhsm2_conf = "";
  absl::Status refused = VaultBackupFor(network, storage_.get(), &fenced_)
                             ->BackupTo(temp_.Path("b"))
                             .status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("libCryptoki2.so"));
  EXPECT_THAT(refused.message(), HasSubstr("docs/backup.md"));

  Config memory = config_;
  memory.storage.backend = StorageBackend::kMemory;
  refused = VaultBackupFor(memory, nullptr, &fenced_)
                ->BackupTo(temp_.Path("b"))
                .status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("in memory"));
  EXPECT_FALSE(PathExists(temp_.Path("b")));
}

}  // namespace
}  // namespace sejf::server
