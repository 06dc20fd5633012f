// --allowed-ip of the `sejf auth` and `sejf session open` commands.
#ifndef SEJF_CLIENT_CLI_ALLOWED_IPS_H_
#define SEJF_CLIENT_CLI_ALLOWED_IPS_H_

#include <string>
#include <vector>

#include "client/ksef_types.h"

namespace sejf::client::cli {

inline constexpr char kAllowedIpHelp[] =
    "An IPv4 address, range a.b.c.d-e.f.g.h or mask a.b.c.d/n KSeF accepts "
    "the tokens from (repeatable)";

// Sorts each --allowed-ip into its kind by form: a.b.c.d-e.f.g.h is a
// range, a.b.c.d/n a mask, anything else an address (the server checks).
AllowedIps SortAllowedIps(const std::vector<std::string>& ips);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_ALLOWED_IPS_H_
