#include "server/config/config.h"

namespace sejf::server {

absl::string_view LogFormatName(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "text";
}

absl::string_view StorageBackendName(StorageBackend backend) {
  switch (backend) {
    case StorageBackend::kMemory:
      return "memory";
    case StorageBackend::kPostgres:
      return "postgres";
    case StorageBackend::kSqlite:
      break;
  }
  return "sqlite";
}

}  // namespace sejf::server
