// broker::MinistryKeyRefresher: keeps the Ministry certificates of every
// environment sejfd has sessions in as KSeF lists them (issue 13, "Ministry
// keys"; docs/sessions.md).
//
//   ASSIGN_OR_RETURN(auto refresher,
//                    MinistryKeyRefresher::Start(sessions, {}));
//   ...
//   refresher.reset();  // before `sessions` goes
//
// A background thread runs a round at start and then every `interval` plus
// a random part of `jitter` (so that many daemons do not ask KSeF at the
// same moment). A round lists the sessions (KsefSessions::List), takes the
// distinct environments of those not closed, and for each calls
// KsefSessions::FetchMinistryCertificates with step "mfcert-refresh": KSeF's
// list stored as the complete list (certificates it no longer holds are
// retired, ministry_list.h), every call and every change audited through
// the sessions' observer. A failure (KSeF unreachable, a list the trust
// refuses, an environment without an API address) is reported to
// Options::on_failure and the round goes on with the next environment; the
// next round tries again. Environments without sessions are not fetched.
// Environments trusted only through operator pins cannot be refreshed
// unattended (an import there needs the operator's pins): theirs fail with
// FAILED_PRECONDITION every round, until the operator fetches with pins.
//
// Stopping (Stop, or the destructor) wakes the thread and joins it: a
// round in progress ends after the fetch under way (the environment being
// fetched), no new fetch starts.
//
// Thread-safety: thread-safe. `sessions` must outlive the refresher.
#ifndef SEJF_BROKER_SESSIONS_MINISTRY_KEY_REFRESHER_H_
#define SEJF_BROKER_SESSIONS_MINISTRY_KEY_REFRESHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/sessions/ksef_sessions.h"

namespace sejf::broker {

class MinistryKeyRefresher {
 public:
  struct Options {
    // Between the end of one round and the start of the next: interval
    // plus a uniformly random duration in [0, jitter].
    absl::Duration interval = absl::Hours(24);
    absl::Duration jitter = absl::Hours(1);
    // Told of each environment whose refresh failed, and of a failed
    // listing of the sessions (environment empty). Called on the
    // refresher's thread; may be empty.
    std::function<void(absl::string_view environment,
                       const absl::Status& error)>
        on_failure = {};
  };

  // What one round did: each environment fetched and its result.
  struct Round {
    absl::Status listing;  // not OK: the sessions could not be listed
    std::map<std::string, absl::Status> environments;
  };

  // Starts the thread (its first round begins at once). INVALID_ARGUMENT
  // for a null `sessions`, a non-positive interval or a negative jitter.
  static absl::StatusOr<std::unique_ptr<MinistryKeyRefresher>> Start(
      KsefSessions* sessions, Options options);

  MinistryKeyRefresher(const MinistryKeyRefresher&) = delete;
  MinistryKeyRefresher& operator=(const MinistryKeyRefresher&) = delete;
  ~MinistryKeyRefresher();  // Stop()

  // Ends the thread (see the file comment). Idempotent.
  void Stop();

  // One round on the calling thread, as the background thread runs it
  // (failures also go to on_failure).
  Round RefreshNow();

  // Rounds the background thread has completed.
  std::int64_t rounds() const;
  // Blocks until the background thread has completed `n` rounds (true) or
  // was stopped before (false). For tests and health checks.
  bool WaitForRounds(std::int64_t n) const;

 private:
  MinistryKeyRefresher(KsefSessions* sessions, Options options);
  void Loop();
  bool stopping() const;

  KsefSessions* const sessions_;
  const Options options_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::int64_t rounds_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_MINISTRY_KEY_REFRESHER_H_
