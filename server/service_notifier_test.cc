#include "server/service_notifier.h"

#include <unistd.h>

#include <cstdlib>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "server/testing/notify_socket.h"

namespace sejf::server {
namespace {

using ::sejf::server::testing::Notification;
using ::sejf::server::testing::NotifySocket;
using ::sejf::testing::TempDir;

constexpr absl::Duration kGuard = absl::Seconds(30);

class ServiceNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto socket = NotifySocket::Bind(dir_.Path("notify"));
    ASSERT_TRUE(socket.ok()) << socket.status();
    socket_ = *std::move(socket);
    setenv("NOTIFY_SOCKET", socket_->path().c_str(), 1);
  }
  void TearDown() override { unsetenv("NOTIFY_SOCKET"); }

  TempDir dir_;
  std::unique_ptr<NotifySocket> socket_;
};

TEST_F(ServiceNotifierTest, ReadySendsReadyAndStatusFromThisProcess) {
  ServiceNotifier notifier;
  notifier.Ready("serving: unix /run/sejf/sejf.sock");
  std::optional<Notification> n = socket_->Receive(kGuard);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->text, "READY=1\nSTATUS=serving: unix /run/sejf/sejf.sock");
  EXPECT_EQ(n->sender_pid, getpid());
  EXPECT_EQ(notifier.failed_sends(), 0);
}

TEST_F(ServiceNotifierTest, ReloadingCarriesMonotonicTimeThenReadyEndsIt) {
  ServiceNotifier notifier;
  notifier.Reloading("reloading the policy");
  notifier.Ready("serving");
  std::optional<Notification> reloading = socket_->Receive(kGuard);
  ASSERT_TRUE(reloading.has_value());
  EXPECT_EQ(reloading->fields["RELOADING"], "1");
  EXPECT_EQ(reloading->fields["STATUS"], "reloading the policy");
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t sent = std::stoull(reloading->fields["MONOTONIC_USEC"]);
  EXPECT_GT(sent, 0u);
  EXPECT_LE(sent, static_cast<uint64_t>(now.tv_sec) * 1000000u +
                      static_cast<uint64_t>(now.tv_nsec) / 1000u);
  std::optional<Notification> ready = socket_->Receive(kGuard);
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->fields["READY"], "1");
}

TEST_F(ServiceNotifierTest, StoppingAndStatus) {
  ServiceNotifier notifier;
  notifier.Status("opening the HSM token");
  notifier.Stopping("stopping on SIGTERM");
  EXPECT_EQ(socket_->Receive(kGuard)->text, "STATUS=opening the HSM token");
  EXPECT_EQ(socket_->Receive(kGuard)->text,
            "STOPPING=1\nSTATUS=stopping on SIGTERM");
}

TEST_F(ServiceNotifierTest, StatusCannotInjectAnotherField) {
  ServiceNotifier notifier;
  notifier.Status("bad file\nREADY=1");
  std::optional<Notification> n = socket_->Receive(kGuard);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->text, "STATUS=bad file READY=1");
  EXPECT_FALSE(n->fields.contains("READY"));
}

TEST_F(ServiceNotifierTest, StatusIsBoundedTo1KiB) {
  ServiceNotifier notifier;
  notifier.Status(std::string(5000, 'x'));
  std::optional<Notification> n = socket_->Receive(kGuard);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->fields["STATUS"].size(), 1024u);
}

TEST_F(ServiceNotifierTest, WithoutNotifySocketNothingIsSent) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(ServiceNotifier::Enabled());
  ServiceNotifier notifier;
  notifier.Ready("serving");
  notifier.Stopping("stopping");
  EXPECT_EQ(notifier.failed_sends(), 0);
  // The socket is still bound: had anything been sent, it would be here.
  EXPECT_FALSE(socket_->Receive(absl::ZeroDuration()).has_value());
}

TEST_F(ServiceNotifierTest, ASocketThatIsGoneCountsAFailedSendOnly) {
  setenv("NOTIFY_SOCKET", dir_.Path("no-such-socket").c_str(), 1);
  ServiceNotifier notifier;
  notifier.Ready("serving");
  EXPECT_EQ(notifier.failed_sends(), 1);
}

}  // namespace
}  // namespace sejf::server
