#include "server/dropoff/dropoff_routes.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/dropoff/dropoff_page_assets.h"

namespace sejf::server {
namespace {

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'";

// 16 lowercase hex digits, as vault::DropoffStore makes them.
bool IsLinkId(const std::string& id) {
  if (id.size() != 16) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

HttpRoute Asset(std::string path, absl::string_view content,
                std::string content_type) {
  return {
      "GET", std::move(path),
      [content, content_type = std::move(content_type)](const HttpRequest&) {
        return HttpResponse{.content_type = content_type,
                            .body = std::string(content)};
      }};
}

using PortalCall = PortalResponse (DropoffPortal::*)(absl::string_view,
                                                     absl::string_view,
                                                     absl::string_view);

HttpRoute Api(std::string path, DropoffPortal* portal, PortalCall call) {
  return {"POST", std::move(path), [portal, call](const HttpRequest& request) {
            const std::string& id = request.path_params.at("id");
            if (!IsLinkId(id)) return HttpResponse{.status = 404};
            PortalResponse answer =
                (portal->*call)(id, request.body, request.remote_address);
            return HttpResponse{.status = answer.http_status,
                                .content_type = "application/json",
                                .body = std::move(answer.json)};
          }};
}

}  // namespace

HttpListenerOptions DropoffListenerOptions(std::string address, HttpTls tls) {
  return {
      .name = "drop-off",
      .address = std::move(address),
      .tls = std::move(tls),
      .threads = 8,
      .max_request_body_bytes = kMaxDropoffRequestBytes,
      .read_timeout = absl::Seconds(10),
      .write_timeout = absl::Seconds(10),
      .keep_alive_max_requests = 5,
      .headers = {{"Content-Security-Policy", kContentSecurityPolicy},
                  {"Referrer-Policy", "no-referrer"},
                  {"X-Frame-Options", "DENY"},
                  {"Strict-Transport-Security", "max-age=31536000"}},
      .error_page =
          [](int status) {
            return HttpResponse{
                .content_type = "application/json",
                .body = absl::StrCat("{\"error\":\"HTTP ", status, "\"}")};
          },
  };
}

std::vector<HttpRoute> DropoffRoutes(DropoffPortal* portal) {
  return {
      {"GET", "/d/{id}",
       [](const HttpRequest& request) {
         if (!IsLinkId(request.path_params.at("id"))) {
           return HttpResponse{.status = 404};
         }
         return HttpResponse{.content_type = "text/html; charset=utf-8",
                             .body = std::string(kDropoffPageHtml)};
       }},
      Asset("/dropoff.js", kDropoffPageJs, "text/javascript; charset=utf-8"),
      Asset("/dropoff_key.js", kDropoffPageKeyJs,
            "text/javascript; charset=utf-8"),
      Asset("/dropoff.css", kDropoffPageCss, "text/css; charset=utf-8"),
      {"GET", "/favicon.ico",
       [](const HttpRequest&) { return HttpResponse{.status = 204}; }},
      Api("/api/d/{id}/open", portal, &DropoffPortal::Open),
      Api("/api/d/{id}/submit", portal, &DropoffPortal::Submit),
  };
}

}  // namespace sejf::server
