#include "server/call_interceptor.h"

#include <string>
#include <utility>

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
                  grpc::experimental::ServerRpcInfo* info,
                  CallInterceptorFactory* factory)
      : env_(env),
        info_(info),
        factory_(factory),
        method_(info->method() != nullptr ? info->method() : ""),
        start_(absl::Now()) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr && OneRequest()) {
      // gRPC could not deserialize the request: no handler will run.
      unparsed_ = true;
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS) &&
        Finish(methods)) {
      return;  // the recorder proceeds
    }
    methods->Proceed();
  }

 private:
  // Whether the call carries exactly one request message, so that a receive
  // without a message means the message did not parse. On a stream from the
  // client (gRPC's reflection) the read that finds the stream's end brings
  // no message either, and the call is fine.
  bool OneRequest() const {
    using Type = grpc::experimental::ServerRpcInfo::Type;
    return info_->type() == Type::UNARY ||
           info_->type() == Type::SERVER_STREAMING;
  }

  // Records a call RunRpc did not handle. True when the recorder thread
  // took the call over and will Proceed.
  bool Finish(InterceptorBatchMethods* methods) {
    std::multimap<std::string, std::string>* trailing =
        methods->GetSendTrailingMetadata();
    if (trailing != nullptr &&
        trailing->find(std::string(kRequestIdKey)) != trailing->end()) {
      return false;  // RunRpc logged and audited it
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
        env_->resolve_caller(*env_, *info_->server_context());
    // A successful health check or reflection call reads nothing of ours.
    if (!caller.ok() || (status.ok() && IsGrpcService(method_))) {
      LogRpc(*env_, method_, caller.ok() ? &*caller : nullptr, request_id,
             nullptr, status, absl::Now() - start_);
      methods->ModifySendStatus(ToGrpcStatus(status));
      return false;
    }
    // Only values are captured: this interceptor may be gone when the
    // record runs; `methods` stays valid until Proceed.
    factory_->Record([env = env_, methods, method = method_,
                      caller = *std::move(caller), request_id, status,
                      start = start_] {
      // The call failed or read nothing: its status stays what it is.
      AuditRpc(*env, method, &caller, request_id, nullptr, status)
          .IgnoreError();
      LogRpc(*env, method, &caller, request_id, nullptr, status,
             absl::Now() - start);
      methods->ModifySendStatus(ToGrpcStatus(status));
      methods->Proceed();
    });
    return true;
  }

  const ServiceEnvironment* env_;
  grpc::experimental::ServerRpcInfo* info_;
  CallInterceptorFactory* factory_;
  std::string method_;
  absl::Time start_;
  bool unparsed_ = false;
};

}  // namespace

CallInterceptorFactory::CallInterceptorFactory(const ServiceEnvironment* env)
    : env_(env), recorder_([this] { RecorderLoop(); }) {}

CallInterceptorFactory::~CallInterceptorFactory() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  recorder_.join();
}

grpc::experimental::Interceptor*
CallInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallInterceptor(env_, info, this);
}

void CallInterceptorFactory::Record(std::function<void()> record) {
  {
    absl::MutexLock lock(&mu_);
    if (queue_.size() < kMaxQueuedRecords && !stopping_) {
      queue_.push_back(std::move(record));
      return;
    }
  }
  record();  // a flood: this caller's thread pays
}

void CallInterceptorFactory::RecorderLoop() {
  for (;;) {
    std::function<void()> record;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CallInterceptorFactory* f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mu_) {
            return f->stopping_ || !f->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left
      record = std::move(queue_.front());
      queue_.pop_front();
    }
    record();
  }
}

}  // namespace sejf::server
