// The Dropoff API for clients (issue 15, docs/dropoff.md): one-time
// drop-off links, in client types, with the client's deadline; errors carry
// the server's code and message.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_DROPOFF_API_H_
#define SEJF_CLIENT_DROPOFF_API_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace sejf::client {

struct DropoffLink {
  std::string name = {};  // "dropoffs/{id}"
  std::string kind = {};  // "token", "key"
  std::string target_name = {};
  std::string context = {};
  std::string key_usage = {};
  std::string state =
      {};  // "pending", "used", "cancelled", "expired", "locked"
  absl::Time create_time = absl::InfinitePast();
  absl::Time expire_time = absl::InfinitePast();
  std::optional<absl::Time> finish_time = std::nullopt;
  std::int64_t failed_attempts = 0;
  std::string created_by = {};
};

struct DropoffCreate {
  std::string token_name = {};  // exactly one of token_name and key_name
  std::string key_name = {};
  std::string context = {};
  std::string key_usage = {};
  absl::Duration lifetime = absl::ZeroDuration();  // zero: the server's 24 h
};

struct CreatedDropoff {
  DropoffLink link = {};
  SecretBytes url = {};  // carries the link's secret; shown once
  std::string import_key_fingerprint = {};
};

class DropoffApi {
 public:
  DropoffApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~DropoffApi();

  absl::StatusOr<CreatedDropoff> Create(const DropoffCreate& request);
  absl::StatusOr<std::vector<DropoffLink>> List();
  // `name` is "dropoffs/{id}".
  absl::StatusOr<DropoffLink> Cancel(const std::string& name);

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_DROPOFF_API_H_
