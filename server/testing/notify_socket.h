// The service manager's end of sd_notify(3) for tests: a unix datagram
// socket bound at a path (pass it to the daemon as $NOTIFY_SOCKET) that
// receives the notifications with the sender's pid (SO_PASSCRED), as systemd
// does to enforce NotifyAccess=main.
//
// Thread-safety: one thread at a time.
#ifndef SEJF_SERVER_TESTING_NOTIFY_SOCKET_H_
#define SEJF_SERVER_TESTING_NOTIFY_SOCKET_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sejf::server::testing {

struct Notification {
  std::string text;  // the datagram as sent: "KEY=VALUE" lines
  pid_t sender_pid = -1;
  // The lines as a map (a key sent twice keeps the last value).
  std::map<std::string, std::string> fields;
};

class NotifySocket {
 public:
  // Binds a new socket at `path` (at most 107 bytes; must not exist).
  static absl::StatusOr<std::unique_ptr<NotifySocket>> Bind(
      const std::string& path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  // The next notification, or nullopt when none came within `timeout` (a
  // guard against a hung test, not a measurement).
  std::optional<Notification> Receive(absl::Duration timeout);
  // Notifications until one has `key` set (that one last), or nullopt when
  // none came within `timeout` each; the ones before it are appended to
  // `skipped` when not null.
  std::optional<Notification> ReceiveUntil(
      const std::string& key, absl::Duration timeout,
      std::vector<Notification>* skipped = nullptr);

 private:
  NotifySocket(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace sejf::server::testing

#endif  // SEJF_SERVER_TESTING_NOTIFY_SOCKET_H_
