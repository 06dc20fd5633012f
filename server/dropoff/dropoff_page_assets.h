// The drop-off page's files (page/dropoff.html, dropoff.js, dropoff_key.js,
// dropoff.css), compiled into sejfd at build time (embed_page.cmake writes
// dropoff_page_assets.cc), so the listener serves them from memory and nothing
// is read at run time.
#ifndef SEJF_SERVER_DROPOFF_DROPOFF_PAGE_ASSETS_H_
#define SEJF_SERVER_DROPOFF_DROPOFF_PAGE_ASSETS_H_

#include "absl/strings/string_view.h"

namespace sejf::server {

extern const absl::string_view kDropoffPageHtml;
extern const absl::string_view kDropoffPageJs;
extern const absl::string_view kDropoffPageKeyJs;
extern const absl::string_view kDropoffPageCss;

}  // namespace sejf::server

#endif  // SEJF_SERVER_DROPOFF_DROPOFF_PAGE_ASSETS_H_
