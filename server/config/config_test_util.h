// Test helpers for server/config: a temporary directory and files in it.
#ifndef SEJF_SERVER_CONFIG_CONFIG_TEST_UTIL_H_
#define SEJF_SERVER_CONFIG_CONFIG_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "server/config/load_config.h"

namespace sejf::server::testing {

class ConfigTest : public ::testing::Test {
 protected:
  // Writes `text` to DIR/name (creating parent directories); returns the path.
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path path = std::filesystem::path(dir_) / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  // Sources for the file DIR/name with `text`, no environment, uid 1000.
  ConfigSources FileSources(const std::string& text,
                            const std::string& name = "sejfd.toml") {
    ConfigSources sources;
    sources.config_file = Write(name, text);
    sources.daemon_uid = 1000;
    return sources;
  }

  ::sejf::testing::TempDir tmp_;
  std::string dir_ = tmp_.path();
};

// The smallest valid production file: a unix socket, a token, a database.
inline constexpr char kMinimalFile[] = R"(
[listen]
unix_socket = "/run/sejf/sejf.sock"
[hsm]
token_label = "sejf"
pin_file = "/etc/sejf/hsm-pin"
[storage]
sqlite_path = "/var/lib/sejf/sejf.db"
)";

}  // namespace sejf::server::testing

#endif  // SEJF_SERVER_CONFIG_CONFIG_TEST_UTIL_H_
