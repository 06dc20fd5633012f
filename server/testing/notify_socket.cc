#include "server/testing/notify_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sejf::server::testing {

absl::StatusOr<std::unique_ptr<NotifySocket>> NotifySocket::Bind(
    const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("notify socket path too long: ", path));
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(std::strerror(errno));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int error = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("bind ", path, ": ", std::strerror(error)));
  }
  return std::unique_ptr<NotifySocket>(new NotifySocket(fd, path));
}

NotifySocket::~NotifySocket() {
  close(fd_);
  unlink(path_.c_str());
}

std::optional<Notification> NotifySocket::Receive(absl::Duration timeout) {
  pollfd pfd{.fd = fd_, .events = POLLIN, .revents = 0};
  int ready =
      poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (ready <= 0) return std::nullopt;
  std::vector<char> buffer(64 * 1024);
  iovec iov{.iov_base = buffer.data(), .iov_len = buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = recvmsg(fd_, &msg, 0);
  if (n < 0) return std::nullopt;
  Notification notification;
  notification.text.assign(buffer.data(), static_cast<size_t>(n));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      ucred cred;
      std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      notification.sender_pid = cred.pid;
    }
  }
  for (absl::string_view line :
       absl::StrSplit(notification.text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    notification.fields[kv.first] = kv.second;
  }
  return notification;
}

std::optional<Notification> NotifySocket::ReceiveUntil(
    const std::string& key, absl::Duration timeout,
    std::vector<Notification>* skipped) {
  for (;;) {
    std::optional<Notification> next = Receive(timeout);
    if (!next || next->fields.contains(key)) return next;
    if (skipped != nullptr) skipped->push_back(*std::move(next));
  }
}

}  // namespace sejf::server::testing
