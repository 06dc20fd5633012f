// The scalar configuration keys: their names, types, environment variables,
// validation, and how each is stored in Config. Internal to server/config;
// the one list that the file reader, the environment, the flags and
// DescribeConfig share.
//
// Thread-safety: the table is immutable; ApplySetting mutates only `config`.
#ifndef SEJF_SERVER_CONFIG_CONFIG_KEYS_H_
#define SEJF_SERVER_CONFIG_CONFIG_KEYS_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/config/config.h"

namespace sejf::server {

enum class KeyType {
  kString,
  kPath,     // relative values resolve against the source's directory
  kLibrary,  // a path if it contains '/', else a name dlopen searches for
  kInteger,
};

struct KeySpec {
  absl::string_view name;  // "listen.tcp"; top-level keys have no dot
  KeyType type;
  // Validate and store; exactly one is set, by type. The returned error says
  // what is wrong with the value, in words that fit after it.
  absl::Status (*set_string)(Config& config, const std::string& value);
  absl::Status (*set_integer)(Config& config, std::int64_t value);
  // The value as the file would spell it (for messages and comparisons).
  std::string (*get)(const Config& config);
};

// Every scalar key, top-level first, then by section in file order.
absl::Span<const KeySpec> ConfigKeys();

// The key called `name` ("listen.tcp"), or null.
const KeySpec* FindKey(absl::string_view name);

// "SEJF_LISTEN_TCP" for "listen.tcp", "SEJF_DATA_DIR" for "data_dir".
std::string EnvVarName(const KeySpec& key);

// The section names ("listen", "tls", …), in file order.
absl::Span<const absl::string_view> ConfigSections();

using SettingValue = std::variant<std::string, std::int64_t>;

// One value for one key from one source, before it is applied.
struct Setting {
  const KeySpec* key;
  SettingValue value;  // std::string for string/path keys, else integer
  std::string origin;  // "/etc/sejf.toml line 4", "--listen", …
};

// Stores `setting` into `config` and records its origin. INVALID_ARGUMENT
// naming the key, the value and the origin when the value is bad, e.g.
//   listen.tcp "localhost" (from /etc/sejf.toml line 4): is not HOST:PORT …
absl::Status ApplySetting(const Setting& setting, Config& config);

// `value` made absolute against `base_dir` (for kPath, and for kLibrary when
// it contains '/'); empty stays empty; others unchanged.
std::string ResolveValue(const KeySpec& key, const std::string& value,
                         const std::string& base_dir);

}  // namespace sejf::server

#endif  // SEJF_SERVER_CONFIG_CONFIG_KEYS_H_
