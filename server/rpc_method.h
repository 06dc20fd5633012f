// The full gRPC method name of a handler, from the generated descriptors.
//
// gRPC 1.51 gives a synchronous handler no way to ask which method it serves
// (ServerRpcInfo, which knows, is private to grpc::ServerContextBase), so
// the frame (rpc_call.h) finds it from the one thing a handler cannot get
// wrong: the type of its request, which the generated `override` signature
// fixes. Every sejf.v1 method takes a request message of its own (the
// Google API convention, "GetKeyRequest" for GetKey), declared in the file
// of its service; the method is the one method of that file's services that
// takes it. CheckOwnRequestTypes proves that convention for a service: the
// daemon runs it for every service it registers and does not start without
// it, and rpc_method_test.cc runs it for all of sejf.v1.
//
// Thread-safety: thread-safe (reads the immutable generated pool).
#ifndef SEJF_SERVER_RPC_METHOD_H_
#define SEJF_SERVER_RPC_METHOD_H_

#include <google/protobuf/descriptor.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::server {

// "/sejf.v1.TokenVault/ImportToken" for ImportTokenRequest: the method of a
// service in the file declaring `request` that takes `request`. "" when no
// such method or more than one takes it (CheckOwnRequestTypes fails then).
std::string RpcMethodOf(const google::protobuf::Descriptor& request);

// The same, from "/{service}/{method}" parts.
std::string FullMethodName(const google::protobuf::MethodDescriptor& method);

// OK when RpcMethodOf names each method of `service` correctly (its request
// message is declared in the service's file and taken by no other method
// there); INTERNAL naming the first method for which it does not.
absl::Status CheckOwnRequestTypes(
    const google::protobuf::ServiceDescriptor& service);

// The descriptor of the generated service `full_name` ("sejf.v1.KsefAuth",
// from the generated `sejf::v1::KsefAuth::service_full_name()`); null when
// the generated pool has none.
const google::protobuf::ServiceDescriptor* ServiceDescriptorOf(
    absl::string_view full_name);

}  // namespace sejf::server

#endif  // SEJF_SERVER_RPC_METHOD_H_
