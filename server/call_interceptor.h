// The interceptor that sees every call reaching sejfd, including the calls
// no handler of ours runs for (issue 11, #9):
//
//   - a request that does not parse as the method's request message (broken
//     protobuf, or a string field that is not valid UTF-8): gRPC answers
//     INTERNAL before any handler runs; we answer INVALID_ARGUMENT;
//   - an unknown method: gRPC answers UNIMPLEMENTED; we keep that;
//   - a call gRPC itself refuses (e.g. RESOURCE_EXHAUSTED): kept.
//
// For each such call it does what RunRpc (rpc_call.h) does for the others:
// one log line, an audit event when the caller is authenticated (a client
// certificate, or the unix socket), and a request id in the trailing
// metadata "x-request-id". A call RunRpc handled is recognised by the
// x-request-id the frame already added, and left alone, so every call is
// logged and audited exactly once.
//
// The health and reflection services (gRPC's own) do not use RunRpc: their
// calls get a log line only, and an audit event only when they fail — they
// read nothing from the vault, and probes every few seconds would otherwise
// fill the audit log, which is kept forever.
//
// No gRPC thread waits for the audit log: an audit append waits until its
// event is durable (a group commit), and gRPC 1.51 runs unknown methods and
// its health service on callback threads, which must never block. So a call
// that needs an event is held at PRE_SEND_STATUS (its interceptor does not
// Proceed) and handed to the factory's own recorder thread, which appends
// the event, writes the log line, sets the status and lets the call go on.
// Only when kMaxQueuedRecords calls already wait (a flood of bad calls) is
// the record made on the calling thread, so memory stays bounded.
//
// Thread-safety: thread-safe; each interceptor belongs to one call.
#ifndef SEJF_SERVER_CALL_INTERCEPTOR_H_
#define SEJF_SERVER_CALL_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/rpc_call.h"

namespace sejf::server {

class CallInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  static constexpr std::size_t kMaxQueuedRecords = 256;

  // `env` must outlive the factory. Starts the recorder thread.
  explicit CallInterceptorFactory(const ServiceEnvironment* env);
  // Runs the records still queued, then stops the recorder thread. The gRPC
  // server owns the factory and destroys it after Wait(), when no call is
  // left.
  ~CallInterceptorFactory() override;

  CallInterceptorFactory(const CallInterceptorFactory&) = delete;
  CallInterceptorFactory& operator=(const CallInterceptorFactory&) = delete;

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // Runs `record` on the recorder thread (on this thread when
  // kMaxQueuedRecords records wait already).
  void Record(std::function<void()> record);

 private:
  void RecorderLoop();

  const ServiceEnvironment* env_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread recorder_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_CALL_INTERCEPTOR_H_
