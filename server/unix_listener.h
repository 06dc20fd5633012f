// The unix-socket listener of sejfd.
//
// gRPC cannot tell a handler which uid is on the other end of a unix socket,
// so sejfd accepts connections itself and hands each one to gRPC with
// AddInsecureChannelFromFd. gRPC then reports the call's peer as "fd:<n>";
// UnixPeerUid() reads SO_PEERCRED from that descriptor. A live call holds a
// reference on its transport, so the descriptor stays open (and cannot be
// reused by another connection) for the whole call.
//
// The socket file is created with mode 0600: only the daemon's user (and
// root) can connect.
#ifndef SEJF_SERVER_UNIX_LISTENER_H_
#define SEJF_SERVER_UNIX_LISTENER_H_

#include <grpcpp/server.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::server {

// Thread-safety: Start and Stop from one thread; the accept loop runs on its
// own thread.
class UnixListener {
 public:
  // Binds and listens on `path`. A stale socket file (nothing listening) is
  // replaced; a live one → FAILED_PRECONDITION ("another sejfd is running").
  // A non-socket file at `path` is never removed.
  static absl::StatusOr<std::unique_ptr<UnixListener>> Bind(
      const std::string& path);

  ~UnixListener();
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Accepts connections on a background thread and hands them to `server`,
  // which must stay alive until Stop() returns.
  void Start(grpc::Server* server);

  // Stops accepting, joins the thread and removes the socket file.
  // Connections already handed to gRPC are gRPC's to close. Idempotent.
  void Stop();

  const std::string& path() const { return path_; }

 private:
  UnixListener(std::string path, int listen_fd, int wake_fd);
  void AcceptLoop(grpc::Server* server);

  std::string path_;
  int listen_fd_;
  int wake_fd_;  // eventfd that wakes the accept loop for Stop()
  std::thread thread_;
};

// The uid of the process on the other end of the call whose gRPC peer string
// is `peer`, when the call came through a UnixListener bound to
// `socket_path`; nullopt for any other peer.
std::optional<uid_t> UnixPeerUid(absl::string_view peer,
                                 const std::string& socket_path);

}  // namespace sejf::server

#endif  // SEJF_SERVER_UNIX_LISTENER_H_
