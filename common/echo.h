// Bounded echoes: a value a client sent, repeated back in an error message,
// a log field or an audit event, cut to a short bound and made printable.
//
// Without a bound one request with a multi-megabyte name becomes a
// multi-megabyte status message, log line and audit row (issue 11, #7).
// Every place that echoes a caller-controlled value passes it through
// ClipEcho; the status message (grpc_status.h) and every log field
// (logger.h) are bounded again as a last line of defence.
//
// Thread-safety: pure functions.
#ifndef SEJF_COMMON_ECHO_H_
#define SEJF_COMMON_ECHO_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace sejf {

// The default bound (bytes of the original value kept) for an echoed name,
// field or resource: longer than any valid credential name, resource or KSeF
// context, short enough for a log line.
inline constexpr std::size_t kMaxEchoSize = 128;

// `value`, when it is at most `max_size` bytes of printable UTF-8, unchanged.
// Otherwise:
//   - bytes that are not valid UTF-8 and control characters (C0, DEL, C1)
//     become U+FFFD, so the result is always valid, printable UTF-8 (safe
//     in JSON, protobuf strings and terminals);
//   - a value longer than `max_size` bytes keeps its first at most
//     `max_size` bytes (never splitting a character) followed by
//     "…(N bytes)", N being the original size.
// The result is at most 3 * max_size + 32 bytes (every byte replaced by
// U+FFFD), and at most max_size + 32 for printable input.
std::string ClipEcho(absl::string_view value,
                     std::size_t max_size = kMaxEchoSize);

// Only the length bound of ClipEcho, for text we wrote ourselves that may
// contain clipped echoes and line breaks (a status message): `value` when
// at most `max_size` bytes, else its first at most `max_size` bytes (not
// splitting a UTF-8 sequence) followed by "…(N bytes)".
std::string ClipText(absl::string_view value, std::size_t max_size);

}  // namespace sejf

#endif  // SEJF_COMMON_ECHO_H_
