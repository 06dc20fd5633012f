// What sejf-bench needs around the load itself: the server-side fixtures
// (an authentication key, a Ministry certificate, a token), an in-process
// signer on the daemon's SoftHSM2 token for the baselines, fresh KSeF
// challenges, and peak RSS readings.
//
// Thread-safety: NewChallenge and PeakRssMb are thread-safe; so are
// InProcessSigner's Sign* methods (the key store and AuthTokenSigner are).
#ifndef SEJF_BENCH_SETUP_H_
#define SEJF_BENCH_SETUP_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "hsm/key_store.h"
#include "signer/custody/key_custody.h"
#include "signer/ksef/auth_token_signer.h"
#include "vault/storage/storage.h"

namespace sejf::bench {

// A client of the dev sejfd with data dir `data_dir` at TLS `address`, as
// its admin (tls/admin.pem), with a generous per-call deadline for load.
absl::StatusOr<std::unique_ptr<client::Client>> ConnectAsAdmin(
    const std::string& data_dir, const std::string& address);

// Through `client` (an admin): an EC P-256 authentication key `auth_key`
// with a self-signed certificate, an RSA-2048 Ministry certificate for the
// "test" environment (made here with OpenSSL), and a token `token` for
// `context`.
absl::Status SetUpServer(client::Client& client, const std::string& auth_key,
                         const std::string& token, const std::string& context);

// A challenge of today (UTC): YYYYMMDD-CR-XXXXXXXXXX-XXXXXXXXXX-XX, the X
// random uppercase hex.
std::string NewChallenge();

// VmHWM of process `pid` (from /proc/PID/status) in MiB; 0 if unreadable.
double PeakRssMb(pid_t pid);
double SelfPeakRssMb();

// The signing path without gRPC: the daemon's token (opened again in this
// process), a key of its own in custody over an in-memory store.
class InProcessSigner {
 public:
  // One raw C_Sign (ECDSA P-256) of a 32-byte message.
  absl::Status SignOnce();
  // One AuthTokenRequest build + C14N + XAdES signature.
  absl::Status SignXadesOnce(const std::string& context);

  ~InProcessSigner();

 private:
  friend absl::StatusOr<std::unique_ptr<InProcessSigner>> OpenInProcessSigner(
      const std::string& data_dir);
  InProcessSigner() = default;
  std::unique_ptr<hsm::KeyStore> keys_;
  std::unique_ptr<vault::Storage> storage_;
  std::unique_ptr<signer::KeyCustody> custody_;
  std::unique_ptr<signer::AuthTokenSigner> signer_;
  hsm::KeyRef key_;
  std::string key_name_;
};

// Opens the dev token of the sejfd data dir `data_dir` (its softhsm2.conf,
// label "sejf", its hsm-pin) and makes a fresh EC P-256 authentication key
// with a self-signed certificate.
absl::StatusOr<std::unique_ptr<InProcessSigner>> OpenInProcessSigner(
    const std::string& data_dir);

}  // namespace sejf::bench

#endif  // SEJF_BENCH_SETUP_H_
