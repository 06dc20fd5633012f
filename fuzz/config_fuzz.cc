// sejfd's TOML config with its [[policy]] rules (server/config/load_config.h),
// read from a file as sejfd reads --config: the input is written to a file
// in a directory of this process's own, then loaded. Loading is
// deterministic: the same file gives the same verdict.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "fuzz/fuzz_check.h"
#include "server/config/load_config.h"

namespace {

char config_dir[] = "/tmp/sejf-config-fuzz-XXXXXX";

void RemoveConfigDir() {
  std::remove((std::string(config_dir) + "/sejfd.toml").c_str());
  rmdir(config_dir);
}

// A file in a directory of this process's own, removed at exit.
const std::string& ConfigPath() {
  static const std::string* path = [] {
    FUZZ_CHECK(mkdtemp(config_dir) != nullptr);
    std::atexit(RemoveConfigDir);
    return new std::string(std::string(config_dir) + "/sejfd.toml");
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  {
    std::ofstream file(ConfigPath(), std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data),
               static_cast<std::streamsize>(size));
    FUZZ_CHECK(file.good());
  }
  sejf::server::ConfigSources sources;
  sources.config_file = ConfigPath();
  sources.daemon_uid = 1000;
  absl::StatusOr<sejf::server::Config> config =
      sejf::server::LoadConfig(sources);
  absl::StatusOr<sejf::server::Config> again =
      sejf::server::LoadConfig(sources);
  FUZZ_CHECK(config.ok() == again.ok());
  FUZZ_CHECK(config.status().code() == again.status().code());
  return 0;
}
