// sejfd under a service manager's eye (issue 16): the sd_notify(3) messages
// a real sejfd sends to $NOTIFY_SOCKET — what systemd's Type=notify unit
// (deploy/systemd/sejfd.service) waits for and shows.
#include <csignal>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/testing/notify_socket.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::sejf::server::testing::Notification;
using ::sejf::server::testing::NotifySocket;

// A guard against a hung test, not a measurement.
constexpr absl::Duration kGuard = absl::Seconds(60);

class NotifyE2eTest : public SejfdTest {
 protected:
  void SetUp() override {
    auto socket = NotifySocket::Bind(temp_dir() + "/notify");
    ASSERT_TRUE(socket.ok()) << socket.status();
    socket_ = *std::move(socket);
    SejfdConfig config;
    config.config = PolicyAllowing("keys.read");
    config.env["NOTIFY_SOCKET"] = socket_->path();
    StartSejfd(config);
  }
  void TearDown() override {
    SejfdTest::TearDown();
    socket_.reset();
  }

  static std::string PolicyAllowing(const std::string& operation) {
    return absl::StrCat(
        "[[policy]]\nname = \"erp\"\nidentities = [\"erp-*\"]\n"
        "operations = [\"",
        operation, "\"]\ncredentials = [\"*\"]\n");
  }

  // The next notification carrying `key`; a fatal failure if none comes.
  Notification Expect(const std::string& key,
                      std::vector<Notification>* before = nullptr) {
    std::optional<Notification> n = socket_->ReceiveUntil(key, kGuard, before);
    EXPECT_TRUE(n.has_value()) << "no " << key << "=1 from sejfd\n"
                               << daemon().Stderr();
    return n.value_or(Notification{});
  }

  std::unique_ptr<NotifySocket> socket_;
};

TEST_F(NotifyE2eTest, ReadyComesFromTheMainPidOnceEveryListenerServes) {
  std::vector<Notification> before;
  Notification ready = Expect("READY", &before);
  EXPECT_EQ(ready.fields["READY"], "1");
  // NotifyAccess=main: systemd takes notifications from the main pid only.
  EXPECT_EQ(ready.sender_pid, daemon().process().pid());
  // systemctl status shows where it listens.
  EXPECT_TRUE(absl::StrContains(ready.fields["STATUS"],
                                "tls " + daemon().tls_address()))
      << ready.text;
  EXPECT_TRUE(absl::StrContains(ready.fields["STATUS"],
                                "unix " + daemon().unix_socket()))
      << ready.text;
  // Nothing before READY claimed to be ready, reloading or stopping.
  for (const Notification& n : before) {
    EXPECT_FALSE(n.fields.contains("STOPPING")) << n.text;
    EXPECT_FALSE(n.fields.contains("RELOADING")) << n.text;
  }
  // Ready means serving: both listeners answer now.
  EXPECT_EQ(Sejf({"status"}).exit_code, 0);
  EXPECT_EQ(SejfAs("erp-1", {"key", "list"}).exit_code, 0);
}

TEST_F(NotifyE2eTest, SighupIsReloadingThenReadyAgain) {
  Expect("READY");
  WriteSejfdConfig(PolicyAllowing("keys.manage"));
  daemon().process().Signal(SIGHUP);
  Notification reloading = Expect("RELOADING");
  EXPECT_EQ(reloading.fields["RELOADING"], "1");
  EXPECT_FALSE(reloading.fields["MONOTONIC_USEC"].empty());
  Notification ready = Expect("READY");
  EXPECT_EQ(ready.fields["STATUS"].find("failed"), std::string::npos)
      << ready.text;
  // The reload took effect by the time READY=1 came.
  EXPECT_EQ(SejfAs("erp-1", {"key", "generate", "--name", "after-reload",
                             "--usage", "offline"})
                .exit_code,
            0)
      << daemon().Stderr();
}

TEST_F(NotifyE2eTest, AFailedReloadStillEndsInReadyAndSaysSo) {
  Expect("READY");
  WriteSejfdConfig(PolicyAllowing("keys.mangle"));  // not an operation
  daemon().process().Signal(SIGHUP);
  Expect("RELOADING");
  Notification ready = Expect("READY");
  EXPECT_TRUE(absl::StrContains(ready.fields["STATUS"], "reload failed"))
      << ready.text;
  // The old policy stays: still serving what it allowed.
  EXPECT_EQ(SejfAs("erp-1", {"key", "list"}).exit_code, 0);
}

TEST_F(NotifyE2eTest, SigtermSendsStoppingAndExitsZero) {
  Expect("READY");
  StopSejfd();  // asserts exit 0
  Notification stopping = Expect("STOPPING");
  EXPECT_EQ(stopping.fields["STOPPING"], "1");
  EXPECT_TRUE(absl::StrContains(stopping.fields["STATUS"], "SIGTERM"));
}

}  // namespace
}  // namespace sejf::testing
