#include "server/logger.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/echo.h"

namespace sejf::server {
namespace {

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

// JSON string escaping; also used for quoted text values.
void AppendEscaped(std::string& out, absl::string_view s) {
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

bool NeedsQuotes(absl::string_view s) {
  if (s.empty()) return true;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string Logger::Format(absl::Time now, LogLevel level,
                           absl::string_view event,
                           absl::Span<const Field> fields) const {
  std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone());
  std::string line;
  // Values past the bound are replaced by their clipped form.
  std::vector<std::string> clipped;
  clipped.reserve(fields.size());  // no reallocation: views stay valid
  std::vector<Field> bounded(fields.begin(), fields.end());
  for (Field& field : bounded) {
    if (field.second.size() > kMaxLogFieldSize) {
      clipped.push_back(ClipText(field.second, kMaxLogFieldSize));
      field.second = clipped.back();
    }
  }
  fields = bounded;
  if (json_) {
    absl::StrAppend(&line, "{\"time\":\"", time, "\",\"level\":\"",
                    LevelName(level), "\",\"event\":\"");
    AppendEscaped(line, event);
    line += '"';
    for (const auto& [key, value] : fields) {
      line += ",\"";
      AppendEscaped(line, key);
      line += "\":\"";
      AppendEscaped(line, value);
      line += '"';
    }
    line += "}\n";
  } else {
    absl::StrAppend(&line, time, " ", LevelName(level), " ");
    AppendEscaped(line, event);
    for (const auto& [key, value] : fields) {
      line += ' ';
      AppendEscaped(line, key);
      line += '=';
      if (NeedsQuotes(value)) {
        line += '"';
        AppendEscaped(line, value);
        line += '"';
      } else {
        line.append(value.data(), value.size());
      }
    }
    line += '\n';
  }
  return line;
}

void Logger::Log(LogLevel level, absl::string_view event,
                 absl::Span<const Field> fields) const {
  std::string line = Format(absl::Now(), level, event, fields);
  // One write per line keeps concurrent lines whole (stderr is unbuffered).
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = write(fd_, line.data() + off, line.size() - off);
    if (n <= 0) return;  // nowhere to report a failing log
    off += static_cast<size_t>(n);
  }
}

}  // namespace sejf::server
