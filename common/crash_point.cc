#include "common/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sejf {
namespace {

// Not constexpr: gcc with -fsanitize=undefined refuses the string_view
// constructor's null check on these addresses as a constant expression.
const absl::string_view kAll[] = {
    crash_points::kDekRotationBeforeCommit,
    crash_points::kDekRotationAfterCommit,
    crash_points::kResealBeforeBatchCommit,
    crash_points::kResealAfterBatchCommit,
    crash_points::kKekRotationAfterPendingRecorded,
    crash_points::kKekRotationAfterKekCreated,
    crash_points::kKekRotationAfterCommit,
    crash_points::kKekRotationAfterOldKekDestroyed,
    crash_points::kTokenRotationBeforeCommit,
    crash_points::kTokenRotationAfterCommit,
    crash_points::kKeyGenerateAfterIntent,
    crash_points::kKeyGenerateAfterHsmCreate,
    crash_points::kKeyGenerateAfterCommit,
    crash_points::kKeyDestroyAfterHsmDestroy,
    crash_points::kKeyDestroyAfterCommit,
};

}  // namespace

absl::Span<const absl::string_view> AllCrashPoints() { return kAll; }

absl::StatusOr<std::string> ArmCrashPointFromEnvironment(bool dev_mode,
                                                         bool* ignored) {
  if (ignored != nullptr) *ignored = false;
  const char* value = std::getenv(kCrashPointVariable);
  if (value == nullptr || *value == '\0') return std::string();
  if (!dev_mode) {
    if (ignored != nullptr) *ignored = true;
    return std::string();
  }
  for (absl::string_view name : kAll) {
    if (name == value) {
      // The constants have static storage and are NUL-terminated.
      crash_point_internal::armed.store(name.data(), std::memory_order_relaxed);
      return std::string(name);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      kCrashPointVariable, " \"", value,
      "\" names no crash point; known: ", absl::StrJoin(kAll, ", ")));
}

namespace crash_point_internal {

void ReachedArmed(const char* armed_name, absl::string_view name) {
  if (name != armed_name) return;
  const std::string line = absl::StrCat("sejfd: crash point ", name,
                                        " reached; killing the process\n");
  // write(2) and kill(2) only: no stdio buffer, no destructor, no atexit.
  [[maybe_unused]] ssize_t written = write(2, line.data(), line.size());
  kill(getpid(), SIGKILL);
  _exit(137);  // not reached
}

}  // namespace crash_point_internal
}  // namespace sejf
