#include "server/config/config.h"

namespace sejf::server {

absl::string_view LogFormatName(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "text";
}

absl::string_view StorageBackendName(StorageBackend backend) {
  return backend == StorageBackend::kMemory ? "memory" : "sqlite";
}

}  // namespace sejf::server
