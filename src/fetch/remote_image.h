// File: fetch/remote_image.h
//
// Fetches the remote images of a message on behalf of a reader, the way a mail
// image proxy does: the sender's server sees caduce, never the reader's address,
// cookies or Referer. What leaves is a plain GET (User-Agent
// "caduce-image-proxy", no cookie, no Referer, no proxy from the environment);
// what comes back is kept only when its first bytes are a PNG, JPEG, GIF, WebP,
// AVIF or ICO image (never SVG, never HTML), whatever its Content-Type said.
//
// Server-side request forgery guard: every address libcurl is about to connect
// to, for the first request and after each redirect (followed here, at most
// `max_redirects`), is checked in libcurl's open-socket callback, after DNS
// resolution, so a name that resolves (or re-resolves) to an inside address is
// refused as surely as the address written in the URL: loopback, private (RFC
// 1918, fc00::/7), link-local, CGNAT 100.64/10, multicast, unspecified, 0/8,
// reserved and documentation ranges, and the IPv4-mapped, -compatible, NAT64 and
// 6to4 forms of those. Only http and https, on ports 80 and 443 (see
// IsAllowedPort), without credentials in the URL.
//
//   fetch::RemoteImageFetcher images(fetch::RemoteImageOptions{});
//   fetch::FetchedImage got = images.Fetch("https://example.org/logo.png");
//   if (got.ok()) serve(got.content_type, *got.bytes);
//
// Exposure: opens outbound connections to addresses named by message senders;
// reads untrusted bytes (at most max_bytes per fetch). Thread-safe: Fetch may
// run on several worker threads at once.
#ifndef CADUCE_FETCH_REMOTE_IMAGE_H_
#define CADUCE_FETCH_REMOTE_IMAGE_H_

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace caduce::fetch {

struct RemoteImageOptions {
  // The whole fetch, redirects included.
  std::chrono::milliseconds timeout{5000};
  // A larger image is abandoned as soon as the limit is crossed.
  std::size_t max_bytes = 5 * 1024 * 1024;
  int max_redirects = 3;
  // FOR TESTS ONLY: lets the fetcher reach loopback and private addresses, on any
  // port (test servers listen on 127.0.0.1 and a random port). Never in production:
  // it opens the server's own network to anyone who can send a mail.
  bool allow_private = false;
  // FOR TESTS ONLY: "127.0.0.1:PORT", one loopback origin let through both the
  // address guard and the port rule, so that tests can serve redirects to inside
  // addresses from a real server while every other address stays guarded.
  std::string test_origin;
  // The in-memory cache of fetched images (least recently used dropped first),
  // shared by every reader: 0 turns it off. An image is kept for cache_ttl at
  // most, less when its origin says so (CacheLifetime below).
  std::size_t cache_bytes = 32 * 1024 * 1024;
  std::chrono::seconds cache_ttl{3600};
  std::string user_agent = "caduce-image-proxy";
  // Fetches running at once (cache hits aside); one more is answered kBusy at
  // once, so that slow image servers never hold every worker thread of the HTTP
  // server (sign-in shares them). 0: no cap.
  int max_concurrent_fetches = 4;
};

// Why a fetch gave no image; each maps to one HTTP status in api/image_proxy.cc.
enum class FetchError {
  kNone,
  kBadUrl,          // 400: not an absolute http(s) URL, credentials, too long
  kRefused,         // 403: an inside address, or a port other than 80 and 443
  kTooLarge,        // 413: more than max_bytes
  kNotAnImage,      // 415: not one of the six image formats
  kFailed,          // 502: DNS, connection, TLS, a non-200 answer, too many redirects
  kTimeout,         // 504: the whole fetch took longer than `timeout`
  kBusy,            // 503: max_concurrent_fetches are running; retry in a second
};

struct FetchedImage {
  FetchError error = FetchError::kNone;
  std::string message;  // French, for the reader, when error != kNone
  std::string content_type;  // "image/png" …, from the bytes
  std::shared_ptr<const std::string> bytes;
  bool from_cache = false;
  // How long the origin lets a shared cache keep it (CacheLifetime); nullopt: it
  // said nothing, the fetcher's cache_ttl applies.
  std::optional<std::chrono::seconds> origin_lifetime;

  bool ok() const { return error == FetchError::kNone; }
};

// The media type of an image by its magic number: "image/png", "image/jpeg",
// "image/gif", "image/webp", "image/avif", "image/x-icon"; "" for anything else
// (SVG, HTML, text, truncated data).
std::string_view SniffImageType(std::string_view bytes);

// True for an address a fetch may connect to: a public unicast address. False
// for every range listed in the file comment, IPv4 (AF_INET) or IPv6 (AF_INET6),
// and for any other family.
bool IsPublicAddress(const sockaddr* address);
// The same for a numeric address in text ("10.0.0.1", "::ffff:127.0.0.1");
// false when `text` is not a numeric address.
bool IsPublicAddressText(std::string_view text);

// Ports 80 and 443 only: the images of mail are served from web servers on their
// usual ports; any other port would let a sender make caduce knock on services
// that are not web servers (SMTP, databases) of public hosts.
bool IsAllowedPort(long port);

// How long the origin's answer may be kept by a shared cache (the fetcher's cache
// serves every reader: RFC 9111 §3 and §5.2.2), from its Cache-Control and Expires
// header values (each "" when absent): 0 for no-store, no-cache or private (not
// kept); s-maxage, else max-age, in seconds; else Expires minus `now` (0 when
// past or not a date); nullopt when the origin says nothing.
std::optional<std::chrono::seconds> CacheLifetime(std::string_view cache_control,
                                                  std::string_view expires,
                                                  std::chrono::system_clock::time_point now);

// Checks an absolute URL and gives its canonical form (fragment dropped), which
// is also the cache key. kBadUrl or kRefused (*error, *message in French).
// `test_origin`: see RemoteImageOptions.
bool CheckUrl(std::string_view url, bool allow_private, std::string* canonical,
              FetchError* error, std::string* message, std::string_view test_origin = {});

class RemoteImageFetcher {
 public:
  explicit RemoteImageFetcher(RemoteImageOptions options);
  ~RemoteImageFetcher();
  RemoteImageFetcher(const RemoteImageFetcher&) = delete;
  RemoteImageFetcher& operator=(const RemoteImageFetcher&) = delete;

  // Fetches `url` (or answers from the cache). Blocks up to options.timeout.
  FetchedImage Fetch(std::string_view url);

  const RemoteImageOptions& options() const { return options_; }

 private:
  struct CacheEntry {
    std::string content_type;
    std::shared_ptr<const std::string> bytes;
    std::chrono::steady_clock::time_point expires;
    std::list<std::string>::iterator order;  // position in lru_
  };

  FetchedImage FetchUncached(const std::string& canonical);
  bool CacheGet(const std::string& key, FetchedImage* out);
  void CachePut(const std::string& key, const FetchedImage& image);

  RemoteImageOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;  // guarded by mu_
  std::list<std::string> lru_;  // most recent first; guarded by mu_
  std::size_t cached_bytes_ = 0;  // guarded by mu_
  int running_ = 0;               // guarded by mu_
};

}  // namespace caduce::fetch

#endif  // CADUCE_FETCH_REMOTE_IMAGE_H_
