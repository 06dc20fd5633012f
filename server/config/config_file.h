// Reading the TOML configuration file into settings and policy rules.
// Internal to server/config (LoadConfig applies what this returns).
//
// Thread-safety: no shared state.
#ifndef SEJF_SERVER_CONFIG_CONFIG_FILE_H_
#define SEJF_SERVER_CONFIG_CONFIG_FILE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/config/config_keys.h"
#include "server/policy/policy.h"

namespace sejf::server {

struct ConfigFileContents {
  // Scalar keys in file order; relative paths already resolved against the
  // file's directory; origin "PATH line N".
  std::vector<Setting> settings;
  // [[policy]] tables in file order, not yet validated by Policy::Build.
  std::vector<PolicyRule> rules;
  // [ksef.environments.NAME] tables, checked (names, keys, fingerprint
  // form); paths resolved against the file's directory. Scalar [ksef] keys
  // are in `settings`, like every scalar key.
  std::map<std::string, KsefEnvironmentConfig> ksef_environments;
  // Non-fatal observations (e.g. a file others may write).
  std::vector<std::string> warnings;
};

// Reads and parses the file at `path` (absolute). Errors, all naming `path`:
//   NOT_FOUND / FAILED_PRECONDITION when it cannot be read;
//   INVALID_ARGUMENT for TOML syntax ("PATH:LINE:COLUMN: …"), an unknown key
//   (`unknown key "listen.tpc" in PATH line 3`), a value of the wrong type
//   (`key "server.max_threads" in PATH line 9 must be an integer, not a
//   string`), a malformed [[policy]] table (naming its position), or a bad
//   [ksef.environments.NAME] (an environment name outside the rule, an
//   unknown key, a malformed fingerprint: naming the key, e.g.
//   `ksef.environments.prod.mf_pinned_fingerprints[1] in PATH line 7 …`).
// Values are not validated here beyond their TOML type; ApplySetting and
// Policy::Build do that.
absl::StatusOr<ConfigFileContents> ReadConfigFile(const std::string& path);

}  // namespace sejf::server

#endif  // SEJF_SERVER_CONFIG_CONFIG_FILE_H_
