// KSeF's list of Ministry certificates of an environment, fetched and
// stored as the complete list: GET /security/public-key-certificates
// through a CallRecorder (the call is reported), then
// signer::MinistryCertificateStore::ImportFromKsef (the trust rules of an
// import; certificates the list no longer holds are retired, those it holds
// again un-retired), and the observer told what changed, or why the list was
// not stored (MinistryCertificatesEvent). Every path that fetches the list
// goes through here: the FetchMinistryCertificates RPC, a token login's
// first fetch and its refetch after 21470, sejfd's daily refresh.
//
// Thread-safety: a plain function; the store and observer are thread-safe.
#ifndef SEJF_BROKER_SESSIONS_MINISTRY_LIST_H_
#define SEJF_BROKER_SESSIONS_MINISTRY_LIST_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/sessions/call_recorder.h"
#include "broker/sessions/session_call_observer.h"
#include "signer/ministry/ministry_certificate_store.h"

namespace sejf::broker {

// Fetches the list of `base.environment` from `api` through `recorder`
// and stores it (`pin_fingerprints` as for an import). `observer` (may be
// null) hears `base` completed with what changed, when something did or the
// list was refused. Errors: the KSeF call's, or the store's
// (INVALID_ARGUMENT / FAILED_PRECONDITION for a list the trust refuses;
// nothing changed then).
absl::StatusOr<signer::MinistryCertificateRefresh> FetchMinistryCertificateList(
    KsefApi& api, CallRecorder& recorder,
    signer::MinistryCertificateStore& store, SessionCallObserver* observer,
    MinistryCertificatesEvent base,
    absl::Span<const std::string> pin_fingerprints = {});

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_MINISTRY_LIST_H_
