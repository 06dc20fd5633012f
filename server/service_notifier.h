// Tells the service manager (systemd, Type=notify) where sejfd is in its
// life, over the sd_notify(3) protocol of libsystemd: a datagram of
// "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET.
//
//   ServiceNotifier notify;
//   notify.Status("opening the HSM token");
//   ...every listener up...
//   notify.Ready("serving: tls 127.0.0.1:7443, unix /run/sejf/sejf.sock");
//   SIGHUP: notify.Reloading(); ...reload...; notify.Ready("serving: ...");
//   SIGTERM: notify.Stopping();
//
// Messages sent (docs/operations.md, "systemd"):
//   READY=1 + STATUS=     once every listener serves, and after each reload
//   RELOADING=1 + MONOTONIC_USEC=   when a SIGHUP reload begins
//   STOPPING=1 + STATUS=  when a graceful stop begins
//   STATUS=               start-up steps and failures (no secret: the same
//                         words as the log)
// Without $NOTIFY_SOCKET (not started by systemd, or Type= other than
// notify) every call does nothing. A failure to send is not an error for the
// daemon: it is counted in `failed_sends()` and otherwise ignored, as systemd
// itself treats a missing READY=1 (the start times out and says so).
//
// Thread-safety: the methods may be called from any thread; sd_notify opens
// a socket per call and shares no state.
#ifndef SEJF_SERVER_SERVICE_NOTIFIER_H_
#define SEJF_SERVER_SERVICE_NOTIFIER_H_

#include <atomic>
#include <string>

#include "absl/strings/string_view.h"

namespace sejf::server {

class ServiceNotifier {
 public:
  ServiceNotifier() = default;
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // READY=1 with STATUS=`status`: the daemon serves (sent after the last
  // listener started, and again when a reload ends).
  void Ready(absl::string_view status);
  // RELOADING=1 with the CLOCK_MONOTONIC time in MONOTONIC_USEC= (what
  // systemd 253's Type=notify-reload asks for; harmless before it). Must be
  // followed by Ready() when the reload is over, whatever its outcome.
  void Reloading(absl::string_view status);
  // STOPPING=1 with STATUS=`status`: a graceful stop has begun.
  void Stopping(absl::string_view status);
  // STATUS=`status` alone: shown by `systemctl status sejfd`.
  void Status(absl::string_view status);

  // Whether $NOTIFY_SOCKET was set when the call was made (read per call).
  static bool Enabled();
  // Sends that failed (socket gone, message refused).
  int failed_sends() const { return failed_sends_.load(); }

 private:
  void Send(const std::string& message);

  std::atomic<int> failed_sends_{0};
};

// One STATUS= value: newlines (which would start a new KEY=VALUE line of the
// notification) become spaces; the length is bounded to 1 KiB.
std::string NotifyStatusValue(absl::string_view status);

}  // namespace sejf::server

#endif  // SEJF_SERVER_SERVICE_NOTIFIER_H_
