// File: api/image_proxy.cc
//
// GET /api/mail/image?url=<percent-encoded absolute URL>: a remote image of a
// message, fetched by caduce (fetch/remote_image.h) when the reader clicks
// « Afficher les images », so that the sender's server never sees the reader's
// address or cookies. The web page's Content-Security-Policy allows images from
// caduce's own origin only; this route is how a remote image gets there.
//
// Who asks: a signed-in person (session cookie, SameSite=Strict; a GET changes
// nothing, so no CSRF token), at most ApiOptions::images_per_minute requests a
// minute (429 with Retry-After). Answers: 200 with the image bytes, the type read
// from them, "X-Content-Type-Options: nosniff", "Content-Security-Policy:
// default-src 'none'; sandbox" and "Cache-Control: private, max-age=86400";
// otherwise a French problem: 400 bad URL, 401 no session, 403 refused address or
// port (or remote images turned off), 413 too large, 415 not an image, 429, 502
// fetch failed, 503 with Retry-After when too many fetches run at once, 504
// timeout. The fetch blocks: the route runs on the worker pool.
// Exposure: reads the session cookie and a URL chosen by a message's sender.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "api/admin.h"
#include "api/api.h"
#include "api/internal.h"
#include "api/per_person_limit.h"
#include "fetch/remote_image.h"
#include "http/status_map.h"

namespace caduce::api {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct ImageProxy {
  ImageProxy(auth::SignInService& s, fetch::RemoteImageFetcher* f, int per_minute)
      : sign_in(s), fetcher(f), limit(per_minute) {}
  auth::SignInService& sign_in;
  fetch::RemoteImageFetcher* fetcher;
  internal::PerPersonLimit limit;
};

int HttpStatusOf(fetch::FetchError error) {
  switch (error) {
    case fetch::FetchError::kNone:
      return 200;
    case fetch::FetchError::kBadUrl:
      return 400;
    case fetch::FetchError::kRefused:
      return 403;
    case fetch::FetchError::kTooLarge:
      return 413;
    case fetch::FetchError::kNotAnImage:
      return 415;
    case fetch::FetchError::kFailed:
      return 502;
    case fetch::FetchError::kTimeout:
      return 504;
    case fetch::FetchError::kBusy:
      return 503;
  }
  return 502;
}

http::Response Problem(int status, std::string_view detail) {
  http::Response r = http::Problem(status, detail);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response ServeImage(ImageProxy& proxy, const http::Request& request) {
  std::string token = internal::SessionToken(request);
  if (token.empty()) {
    return internal::Refusal(UnauthenticatedError("Vous n'êtes pas connecté."));
  }
  Result<auth::Session> session = proxy.sign_in.Resolve(token);
  if (!session.ok()) return internal::Refusal(session.status());
  if (proxy.fetcher == nullptr) {
    return Problem(403, "L'affichage des images distantes est désactivé sur ce serveur : les "
                        "images restent bloquées.");
  }
  const int64_t retry_after = proxy.limit.Take(
      session->person_id, std::chrono::duration_cast<std::chrono::microseconds>(
                              SteadyClock::now().time_since_epoch())
                              .count());
  if (retry_after > 0) {
    http::Response r = Problem(
        429, "Trop d'images demandées en une minute : réessayez dans " +
                 std::to_string(retry_after) + " secondes.");
    r.SetHeader("Retry-After", std::to_string(retry_after));
    return r;
  }
  Result<std::optional<std::string>> url = internal::QueryParam(request, "url");
  if (!url.ok()) return internal::Refusal(url.status());
  if (!url->has_value() || (*url)->empty()) {
    return Problem(400, "Adresse de l'image (paramètre url) : obligatoire. Appelez "
                        "/api/mail/image?url=<adresse encodée>, par exemple "
                        "?url=https%3A%2F%2Fexemple.fr%2Flogo.png.");
  }
  fetch::FetchedImage image = proxy.fetcher->Fetch(**url);
  if (!image.ok()) {
    http::Response r = Problem(HttpStatusOf(image.error), image.message);
    if (image.error == fetch::FetchError::kBusy) r.SetHeader("Retry-After", "1");
    return r;
  }
  http::Response r;
  r.status = 200;
  r.body = *image.bytes;
  r.SetHeader("Content-Type", image.content_type);
  r.SetHeader("X-Content-Type-Options", "nosniff");
  r.SetHeader("Content-Security-Policy", "default-src 'none'; sandbox");
  r.SetHeader("Content-Disposition", "inline");
  r.SetHeader("Cache-Control", "private, max-age=86400");
  return r;
}

}  // namespace

std::vector<http::Route> ImageProxyRoutes(auth::SignInService& sign_in,
                                          const ApiOptions& options) {
  auto proxy = std::make_shared<ImageProxy>(sign_in, options.images,
                                            std::max(1, options.images_per_minute));
  http::Route route;
  route.method = "GET";
  route.pattern = "/api/mail/image";
  route.handler = [proxy](const http::Request& request, const http::RouteParams&) {
    return ServeImage(*proxy, request);
  };
  route.options.blocking = true;  // the fetch waits on the network up to its timeout
  std::vector<http::Route> routes;
  routes.push_back(std::move(route));
  return routes;
}

}  // namespace caduce::api
