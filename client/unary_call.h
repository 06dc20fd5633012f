// One unary call with the client's deadline, its grpc::Status mapped to an
// absl::Status with the server's code and message. Internal to client/.
#ifndef SEJF_CLIENT_UNARY_CALL_H_
#define SEJF_CLIENT_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sejf::client {

inline absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> UnaryCall(
    Stub& stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

// A call whose request carries only a resource name ("keys/acme").
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> CallWithName(
    Stub& stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const std::string& name, absl::Duration timeout) {
  Request request;
  request.set_name(name);
  return UnaryCall(stub, method, request, timeout);
}

// What `pick` takes out of a successful response (e.g. its `key()`), or the
// call's error.
template <typename Response, typename Pick>
auto Picked(const absl::StatusOr<Response>& response, Pick pick)
    -> absl::StatusOr<std::decay_t<decltype(pick(*response))>> {
  if (!response.ok()) return response.status();
  return pick(*response);
}

// Every item of a paginated listing: calls `fetch(request)` page after page,
// following next_page_token, and collects `items(page)` of each (a page may
// be empty and still have a next token).
template <typename Item, typename Request, typename Fetch, typename Items>
absl::StatusOr<std::vector<Item>> FollowPages(Request request, Fetch fetch,
                                              Items items) {
  std::vector<Item> all;
  do {
    auto page = fetch(request);
    if (!page.ok()) return page.status();
    const auto& part = items(*page);
    all.insert(all.end(), part.begin(), part.end());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return all;
}

}  // namespace sejf::client

#endif  // SEJF_CLIENT_UNARY_CALL_H_
