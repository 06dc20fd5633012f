// sejf.v1.Dropoff: the gRPC adapter over vault::DropoffStore (issue 15,
// docs/dropoff.md). Operation dropoff.manage, authorized like tokens.manage:
// the credential is the link's target name, the context its KSeF context.
// Create answers the link's URL — the only place its secret ever appears —
// with the base from [dropoff] public_url (or the listener's address); a
// link for a token that already exists is refused (ALREADY_EXISTS), and
// without a drop-off listener Create is FAILED_PRECONDITION. List shows only
// the links the caller may manage; Cancel hides "not yours" as "missing".
#ifndef SEJF_SERVER_DROPOFF_DROPOFF_SERVICE_H_
#define SEJF_SERVER_DROPOFF_DROPOFF_SERVICE_H_

#include <string>

#include "sejf/v1/dropoff.grpc.pb.h"
#include "server/dropoff/dropoff_import_key.h"
#include "server/rpc_call.h"
#include "vault/dropoff/dropoff_store.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

// What the service needs; the pointers must outlive it. `store` and
// `import_key` null, or `base_url` empty: no drop-off listener (Create is
// refused, List and Cancel still work when `store` is set).
struct DropoffServiceParts {
  vault::DropoffStore* store = nullptr;
  DropoffImportKey* import_key = nullptr;
  // "https://HOST:PORT", no trailing slash.
  std::string base_url = {};
};

// Thread-safe (stateless beyond its parts).
class DropoffService final : public sejf::v1::Dropoff::Service {
 public:
  DropoffService(const ServiceEnvironment& env, vault::TokenVault& tokens,
                 DropoffServiceParts parts)
      : env_(env), tokens_(tokens), parts_(std::move(parts)) {}

  grpc::Status CreateDropoff(
      grpc::ServerContext* context,
      const sejf::v1::CreateDropoffRequest* request,
      sejf::v1::CreateDropoffResponse* response) override;
  grpc::Status ListDropoffs(grpc::ServerContext* context,
                            const sejf::v1::ListDropoffsRequest* request,
                            sejf::v1::ListDropoffsResponse* response) override;
  grpc::Status CancelDropoff(
      grpc::ServerContext* context,
      const sejf::v1::CancelDropoffRequest* request,
      sejf::v1::CancelDropoffResponse* response) override;

 private:
  const ServiceEnvironment& env_;
  vault::TokenVault& tokens_;
  const DropoffServiceParts parts_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_DROPOFF_DROPOFF_SERVICE_H_
