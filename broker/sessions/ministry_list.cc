#include "broker/sessions/ministry_list.h"

#include <utility>

#include "common/status_macros.h"

namespace sejf::broker {

absl::StatusOr<signer::MinistryCertificateRefresh> FetchMinistryCertificateList(
    KsefApi& api, CallRecorder& recorder,
    signer::MinistryCertificateStore& store, SessionCallObserver* observer,
    MinistryCertificatesEvent base,
    absl::Span<const std::string> pin_fingerprints) {
  ASSIGN_OR_RETURN(
      std::string list,
      recorder.Call("GET /security/public-key-certificates", 200, "",
                    [&] { return api.PublicKeyCertificates(); }));
  absl::StatusOr<signer::MinistryCertificateRefresh> refresh =
      store.ImportFromKsef(base.environment, list, pin_fingerprints);
  if (observer != nullptr) {
    if (!refresh.ok()) {
      base.status = refresh.status();
      observer->OnMinistryCertificates(base);
    } else if (refresh->changed()) {
      base.added = refresh->added;
      base.retired = refresh->retired;
      base.unretired = refresh->unretired;
      observer->OnMinistryCertificates(base);
    }
  }
  return refresh;
}

}  // namespace sejf::broker
