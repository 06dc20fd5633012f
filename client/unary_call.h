// One unary call with the client's deadline, its grpc::Status mapped to an
// absl::Status with the server's code, message and retry delay
// (retry_hint.h); and the paging loop of
// the List* calls. Internal to client/.
#ifndef SEJF_CLIENT_UNARY_CALL_H_
#define SEJF_CLIENT_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/common_types.h"
#include "client/retry_hint.h"

namespace sejf::client {

inline absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return internal::WithServerRetryInfo(
      absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                   status.error_message()),
      status.error_details());
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

// `convert(*response)` of a successful response, or the call's error.
template <typename Response, typename Convert>
auto Converted(const absl::StatusOr<Response>& response, Convert convert)
    -> absl::StatusOr<std::decay_t<decltype(convert(*response))>> {
  if (!response.ok()) return response.status();
  return convert(*response);
}

// Every item of a listing: calls `fetch(page_request)` (returning
// absl::StatusOr<Page<T>>) page after page, following next_page_token, and
// collects the items in order (a page may be empty and still have a next
// token).
template <typename T, typename Fetch>
absl::StatusOr<std::vector<T>> FollowPages(Fetch fetch) {
  std::vector<T> all;
  PageRequest request;
  do {
    absl::StatusOr<Page<T>> page = fetch(request);
    if (!page.ok()) return page.status();
    all.insert(all.end(), std::make_move_iterator(page->items.begin()),
               std::make_move_iterator(page->items.end()));
    request.page_token = std::move(page->next_page_token);
  } while (!request.page_token.empty());
  return all;
}

}  // namespace sejf::client

#endif  // SEJF_CLIENT_UNARY_CALL_H_
