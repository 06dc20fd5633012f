// Client-side types shared by the per-service APIs (client/*_api.h): a
// credential's lifecycle state and one page of a listing.
//
// These are plain values of the client library; the conversions to and from
// the API's messages live in client/*.cc, so callers never see generated
// proto code.
#ifndef SEJF_CLIENT_COMMON_TYPES_H_
#define SEJF_CLIENT_COMMON_TYPES_H_

#include <string>
#include <vector>

namespace sejf::client {

// Lifecycle of a key or token held by sejf (CredentialState in the API).
// kUnspecified stands for a value this client does not know.
enum class CredentialState { kUnspecified, kActive, kDisabled, kDestroyed };

// Which page of a listing to fetch.
struct PageRequest {
  // At most this many items; 0 for the server's default.
  int page_size = 0;
  // A previous page's next_page_token; empty for the first page.
  std::string page_token;
};

// One page of a listing. A page may be empty and still have a next token.
template <typename T>
struct Page {
  std::vector<T> items;
  // Empty on the last page.
  std::string next_page_token;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_COMMON_TYPES_H_
