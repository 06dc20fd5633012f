#include "server/rpc_method.h"

#include "absl/strings/str_cat.h"

namespace sejf::server {

using google::protobuf::Descriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

namespace {

// The methods of `file`'s services taking `request`; at most two are
// counted.
int MethodsTaking(const FileDescriptor& file, const Descriptor& request,
                  const MethodDescriptor** found) {
  int count = 0;
  for (int s = 0; s < file.service_count(); ++s) {
    const ServiceDescriptor& service = *file.service(s);
    for (int m = 0; m < service.method_count(); ++m) {
      if (service.method(m)->input_type() != &request) continue;
      *found = service.method(m);
      if (++count == 2) return count;
    }
  }
  return count;
}

}  // namespace

std::string FullMethodName(const MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

std::string RpcMethodOf(const Descriptor& request) {
  const MethodDescriptor* method = nullptr;
  if (MethodsTaking(*request.file(), request, &method) != 1) return "";
  return FullMethodName(*method);
}

absl::Status CheckOwnRequestTypes(const ServiceDescriptor& service) {
  for (int m = 0; m < service.method_count(); ++m) {
    const MethodDescriptor& method = *service.method(m);
    if (RpcMethodOf(*method.input_type()) != FullMethodName(method)) {
      return absl::InternalError(absl::StrCat(
          FullMethodName(method), " takes ", method.input_type()->full_name(),
          ", which is not a request message of its own declared in ",
          service.file()->name(),
          ": the RPC frame could not name the method (rpc_method.h)"));
    }
  }
  return absl::OkStatus();
}

const ServiceDescriptor* ServiceDescriptorOf(absl::string_view full_name) {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      std::string(full_name));
}

}  // namespace sejf::server
