// The daemon's log: one line per event on stderr, as text or JSON lines.
//
//   text: 2026-11-24T16:00:00.123Z INFO rpc request_id=3f… identity=admin …
//   json: {"time":"2026-11-24T16:00:00.123Z","level":"INFO","event":"rpc",…}
//
// Field values are escaped so a caller-controlled value cannot forge a line,
// and each is cut to kMaxLogFieldSize bytes (common/echo.h ClipText) so no
// value can make a line of megabytes; callers should still clip what a
// client sent with ClipEcho. Callers must never pass a secret as a field.
// Thread-safe: each line is written with one write(2).
#ifndef SEJF_SERVER_LOGGER_H_
#define SEJF_SERVER_LOGGER_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace sejf::server {

// The longest field value (bytes of the original kept) in a log line.
inline constexpr std::size_t kMaxLogFieldSize = 1024;

enum class LogLevel { kInfo, kWarning, kError };

class Logger {
 public:
  using Field = std::pair<absl::string_view, absl::string_view>;

  // Writes to file descriptor `fd` (stderr by default).
  explicit Logger(bool json, int fd = 2) : json_(json), fd_(fd) {}

  void Log(LogLevel level, absl::string_view event,
           absl::Span<const Field> fields) const;
  void Log(LogLevel level, absl::string_view event,
           std::initializer_list<Field> fields) const {
    Log(level, event, absl::MakeConstSpan(fields.begin(), fields.size()));
  }

  // The formatted line without writing it (for tests), with `now` as time.
  std::string Format(absl::Time now, LogLevel level, absl::string_view event,
                     absl::Span<const Field> fields) const;

 private:
  bool json_;
  int fd_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_LOGGER_H_
