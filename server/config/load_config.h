// Building sejfd's Config from its sources, and re-reading the policy on
// SIGHUP.
//
// Precedence, lowest first:
//   built-in defaults < --dev defaults < the file (--config)
//     < environment variables SEJF_<SECTION>_<KEY> < command-line flags.
// --dev defaults live under the data directory (from --data-dir,
// SEJF_DATA_DIR or the file's data_dir, in that order of precedence), made
// absolute: listen.tcp 127.0.0.1:7443, listen.unix_socket DIR/sejf.sock,
// tls.{ca,cert,key} DIR/tls/{ca.pem,server.pem,server.key},
// hsm.token_label "sejf", hsm.pin_file DIR/hsm-pin,
// hsm.softhsm2_conf DIR/softhsm2.conf, storage.sqlite_path DIR/sejf.db.
// Relative paths in the file resolve against the file's directory; in
// environment variables and flags against the current directory.
// Policy rules come only from the file.
//
// Thread-safety: the functions share no state; LoadConfig reads the
// environment only through ConfigSources::environment.
#ifndef SEJF_SERVER_CONFIG_LOAD_CONFIG_H_
#define SEJF_SERVER_CONFIG_LOAD_CONFIG_H_

#include <sys/types.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "server/config/config.h"
#include "server/policy/policy.h"

namespace sejf::server {

// Everything the configuration is made from, gathered by main().
struct ConfigSources {
  std::string config_file;  // --config FILE; empty when not given
  bool dev = false;         // --dev

  // Command-line flags; nullopt when not given.
  absl::optional<std::string> data_dir;    // --data-dir
  absl::optional<std::string> listen;      // --listen (sets listen.tcp)
  absl::optional<std::string> log_format;  // --log-format

  // The environment (name → value). Only SEJF_<KEY> variables naming a key
  // are read; other SEJF_* variables (the CLI's SEJF_ADDR, SEJF_CACERT, …)
  // are ignored, and ones that look like a misspelt key produce a warning.
  std::map<std::string, std::string> environment;

  // --dev-allow-remote-listen: let --dev listen on an address other than
  // loopback (refused otherwise: dev mode trusts its admin certificate with
  // everything and keeps its CA key in the data directory).
  bool dev_allow_remote_listen = false;

  // The daemon's uid, for the dev-admin rule's "unix:<uid>" identity.
  uid_t daemon_uid = geteuid();
};

// The SEJF_* variables of this process's environment, for
// ConfigSources::environment.
std::map<std::string, std::string> EnvironmentFromProcess();

// The validated configuration. INVALID_ARGUMENT (NOT_FOUND when the file
// does not exist) with a message that names the key and where its value came
// from, for: neither --config nor --dev; --dev without a data directory;
// TOML syntax (with line and column), unknown keys, wrong types; bad values
// (listen address not HOST:PORT or port outside 0-65535, log format not
// text/json, non-positive numbers, unknown storage backend, …); a bad
// environment value (naming the variable); no listener; listen.tcp without
// tls.ca/cert/key; --dev with a listen.tcp host that is not loopback
// (127.0.0.0/8, ::1, localhost) unless dev_allow_remote_listen; tls.crl
// without listen.tcp; no hsm.token_label or hsm.pin_file; sqlite without
// storage.sqlite_path; an invalid policy rule (naming its position and name).
// Files the config refers to are not opened: see VerifyReferencedFiles.
absl::StatusOr<Config> LoadConfig(const ConfigSources& sources);

// FAILED_PRECONDITION naming the key, path and origin when a file the
// configuration needs does not exist: tls.ca/cert/key/crl (when listen.tcp
// is set), hsm.pin_file, hsm.softhsm2_conf, hsm.module (when a path), or the
// directory of listen.unix_socket / storage.sqlite_path. Call after --dev
// initialisation has created its files.
absl::Status VerifyReferencedFiles(const Config& config);

struct PolicyReload {
  std::shared_ptr<const Policy> policy;  // never null
  // Keys whose value in the file (or environment) now differs from the
  // running configuration; they take effect only after a restart.
  std::vector<std::string> restart_required;
  std::vector<std::string> warnings;
};

// For SIGHUP: loads the whole configuration again from `sources` (re-reading
// the file) with every check of LoadConfig, and returns only its policy.
// On error nothing changes: the caller keeps the running policy and logs the
// message.
absl::StatusOr<PolicyReload> ReloadPolicy(const ConfigSources& sources,
                                          const Config& running);

// One line per scalar key, `key = "value"  # origin`, then the policy rule
// names; for the start-up log. Holds no secret (the configuration has none).
std::string DescribeConfig(const Config& config);

}  // namespace sejf::server

#endif  // SEJF_SERVER_CONFIG_LOAD_CONFIG_H_
