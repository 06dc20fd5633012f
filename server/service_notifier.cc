#include "server/service_notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace sejf::server {
namespace {

constexpr size_t kMaxStatusBytes = 1024;

uint64_t MonotonicMicros() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u +
         static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

std::string NotifyStatusValue(absl::string_view status) {
  std::string value(status.substr(0, kMaxStatusBytes));
  for (char& c : value) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return value;
}

bool ServiceNotifier::Enabled() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && socket[0] != '\0';
}

void ServiceNotifier::Ready(absl::string_view status) {
  Send(absl::StrCat("READY=1\nSTATUS=", NotifyStatusValue(status)));
}

void ServiceNotifier::Reloading(absl::string_view status) {
  Send(absl::StrCat("RELOADING=1\nMONOTONIC_USEC=", MonotonicMicros(),
                    "\nSTATUS=", NotifyStatusValue(status)));
}

void ServiceNotifier::Stopping(absl::string_view status) {
  Send(absl::StrCat("STOPPING=1\nSTATUS=", NotifyStatusValue(status)));
}

void ServiceNotifier::Status(absl::string_view status) {
  Send(absl::StrCat("STATUS=", NotifyStatusValue(status)));
}

void ServiceNotifier::Send(const std::string& message) {
  if (!Enabled()) return;
  // unset_environment = 0: the daemon notifies again on reload and stop.
  // sd_notify returns > 0 when sent, 0 without $NOTIFY_SOCKET, < 0 on error.
  if (sd_notify(0, message.c_str()) < 0) failed_sends_.fetch_add(1);
}

}  // namespace sejf::server
