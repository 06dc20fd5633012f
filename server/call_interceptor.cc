#include "server/call_interceptor.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace sejf::server {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;

constexpr absl::string_view kRequestIdKey = "x-request-id";

// gRPC's own services, which do not run inside RunRpc.
bool IsGrpcService(absl::string_view method) {
  return absl::StartsWith(method, "/grpc.health.v1.") ||
         absl::StartsWith(method, "/grpc.reflection.");
}

class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(const ServiceEnvironment* env,
                  grpc::experimental::ServerRpcInfo* info)
      : env_(env),
        info_(info),
        method_(info->method() != nullptr ? info->method() : ""),
        start_(absl::Now()) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      // gRPC could not deserialize the request: no handler will run.
      unparsed_ = true;
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods);
    }
    methods->Proceed();
  }

 private:
  void Finish(InterceptorBatchMethods* methods) {
    std::multimap<std::string, std::string>* trailing =
        methods->GetSendTrailingMetadata();
    if (trailing != nullptr &&
        trailing->find(std::string(kRequestIdKey)) != trailing->end()) {
      return;  // RunRpc logged and audited it
    }
    grpc::Status sent = methods->GetSendStatus();
    absl::Status status(static_cast<absl::StatusCode>(sent.error_code()),
                        sent.error_message());
    if (unparsed_ || (sent.error_code() == grpc::StatusCode::INTERNAL &&
                      !IsGrpcService(method_))) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "the request is not a valid ", ClipEcho(method_),
          " request message (broken protobuf, or a string field that is not "
          "valid UTF-8)"));
    } else if (sent.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      status = absl::UnimplementedError(
          absl::StrCat("sejfd has no method ", ClipEcho(method_)));
    }
    std::string request_id = NewRequestId();
    if (trailing != nullptr) {
      trailing->emplace(std::string(kRequestIdKey), request_id);
    }
    absl::StatusOr<Caller> caller =
        ResolveCaller(*env_, *info_->server_context());
    const Caller* known = caller.ok() ? &*caller : nullptr;
    // A successful health check or reflection call reads nothing of ours.
    if (known != nullptr && !(status.ok() && IsGrpcService(method_))) {
      AuditRpc(*env_, method_, known, request_id, nullptr, status)
          .IgnoreError();  // the call failed or read nothing: keep status
    }
    LogRpc(*env_, method_, known, request_id, nullptr, status,
           absl::Now() - start_);
    methods->ModifySendStatus(ToGrpcStatus(status));
  }

  const ServiceEnvironment* env_;
  grpc::experimental::ServerRpcInfo* info_;
  std::string method_;
  absl::Time start_;
  bool unparsed_ = false;
};

}  // namespace

grpc::experimental::Interceptor*
CallInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallInterceptor(env_, info);
}

}  // namespace sejf::server
