// The image fetcher (see remote_image.h): URL checks, the address guard run in
// libcurl's open-socket callback, redirects followed by hand so that each hop is
// checked again, the size cap, image sniffing and the bounded LRU cache.
#include "fetch/remote_image.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <array>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "base/text.h"

namespace caduce::fetch {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxUrlBytes = 2048;

std::once_flag curl_once;

FetchedImage Failure(FetchError error, std::string message) {
  FetchedImage f;
  f.error = error;
  f.message = std::move(message);
  return f;
}

// ---- Addresses ----

struct V4Range {
  uint32_t base;
  int bits;
};

constexpr uint32_t V4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Not public unicast (IANA IPv4 Special-Purpose Address Registry, RFC 6890 and
// its updates).
constexpr V4Range kRefusedV4[] = {
    {V4(0, 0, 0, 0), 8},        // "this network", 0.0.0.0 (RFC 791)
    {V4(10, 0, 0, 0), 8},       // private (RFC 1918)
    {V4(100, 64, 0, 0), 10},    // shared address space, CGNAT (RFC 6598)
    {V4(127, 0, 0, 0), 8},      // loopback (RFC 1122)
    {V4(169, 254, 0, 0), 16},   // link-local, cloud metadata (RFC 3927)
    {V4(172, 16, 0, 0), 12},    // private (RFC 1918)
    {V4(192, 0, 0, 0), 24},     // IETF protocol assignments (RFC 6890)
    {V4(192, 0, 2, 0), 24},     // TEST-NET-1 (RFC 5737)
    {V4(192, 88, 99, 0), 24},   // 6to4 relay anycast (RFC 7526)
    {V4(192, 168, 0, 0), 16},   // private (RFC 1918)
    {V4(198, 18, 0, 0), 15},    // benchmarking (RFC 2544)
    {V4(198, 51, 100, 0), 24},  // TEST-NET-2 (RFC 5737)
    {V4(203, 0, 113, 0), 24},   // TEST-NET-3 (RFC 5737)
    {V4(224, 0, 0, 0), 4},      // multicast (RFC 5771)
    {V4(240, 0, 0, 0), 4},      // reserved, and 255.255.255.255 broadcast (RFC 1112)
};

bool IsPublicV4(uint32_t a) {
  for (const V4Range& r : kRefusedV4) {
    uint32_t mask = r.bits == 0 ? 0 : ~uint32_t{0} << (32 - r.bits);
    if ((a & mask) == r.base) return false;
  }
  return true;
}

uint32_t V4At(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

// IPv6 (IANA IPv6 Special-Purpose Address Registry). Forms that carry an IPv4
// address are judged by that address; outside 2000::/3 nothing is global unicast.
bool IsPublicV6(const uint8_t* b) {
  static constexpr uint8_t kZero[12] = {};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), ::a.b.c.d (deprecated, §2.5.5.1; also ::
  // and ::1), 64:ff9b::a.b.c.d (NAT64, RFC 6052).
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kZero, 12) == 0 ||
      std::memcmp(b, kNat64, 12) == 0) {
    return IsPublicV4(V4At(b + 12));
  }
  if ((b[0] & 0xe0) != 0x20) return false;  // not 2000::/3: fc00::/7, fe80::/10, ff00::/8 …
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // 2001:db8::/32
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return false;  // Teredo
  if (b[0] == 0x20 && b[1] == 0x02) return IsPublicV4(V4At(b + 2));  // 6to4 (RFC 3056)
  return true;
}

// ---- libcurl callbacks ----

struct Transfer {
  std::string body;
  std::size_t max_bytes = 0;
  bool allow_private = false;
  bool too_large = false;
  bool refused = false;
  sockaddr_in test_origin{};  // sin_port 0: none
  // The answer's header fields a shared cache obeys ("" when absent).
  std::string cache_control;
  std::string expires;
};

// libcurl's header callback: keeps Cache-Control (every occurrence) and Expires.
size_t OnHeader(char* buffer, size_t size, size_t count, void* data) {
  auto* t = static_cast<Transfer*>(data);
  const size_t n = size * count;
  std::string_view line(buffer, n);
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;  // the status line, the blank line
  std::string name = text::ToLowerAscii(line.substr(0, colon));
  std::string_view value = text::Trim(line.substr(colon + 1));
  if (name == "cache-control") {
    if (!t->cache_control.empty()) t->cache_control += ", ";
    t->cache_control += value;
  } else if (name == "expires") {
    t->expires = std::string(value);
  }
  return n;
}

// "127.0.0.1:PORT" → its address; sin_port 0 when `text` is not of that form.
sockaddr_in ParseTestOrigin(std::string_view text) {
  sockaddr_in a{};
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return a;
  std::string host(text.substr(0, colon));
  long port = std::strtol(std::string(text.substr(colon + 1)).c_str(), nullptr, 10);
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

bool IsTestOrigin(const Transfer& t, const sockaddr* address) {
  if (t.test_origin.sin_port == 0 || address->sa_family != AF_INET) return false;
  sockaddr_in in{};
  std::memcpy(&in, address, sizeof in);
  return in.sin_port == t.test_origin.sin_port &&
         in.sin_addr.s_addr == t.test_origin.sin_addr.s_addr;
}

size_t OnData(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->body.size() + n > t->max_bytes) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR: the transfer stops here
  }
  t->body.append(data, n);
  return n;
}

// Called for every connection libcurl opens, with the address it resolved: the
// one place where a name that resolves to an inside address is caught, whatever
// DNS answered when the URL was checked.
curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  bool ip = address->family == AF_INET || address->family == AF_INET6;
  if (purpose != CURLSOCKTYPE_IPCXN || !ip ||
      (!t->allow_private && !IsPublicAddress(&address->addr) &&
       !IsTestOrigin(*t, &address->addr))) {
    t->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

struct CurlUrl {
  CURLU* u = curl_url();
  ~CurlUrl() { curl_url_cleanup(u); }
  // The part, or "" when absent.
  std::string Get(CURLUPart part, unsigned flags = 0) const {
    char* p = nullptr;
    std::string out;
    if (curl_url_get(u, part, &p, flags) == CURLUE_OK && p != nullptr) out = p;
    curl_free(p);
    return out;
  }
  bool Has(CURLUPart part) const {
    char* p = nullptr;
    bool has = curl_url_get(u, part, &p, 0) == CURLUE_OK && p != nullptr;
    curl_free(p);
    return has;
  }
};

std::string BadUrl(std::string_view fix) {
  return "Adresse de l'image (paramètre url) : " + std::string(fix);
}

constexpr char kRefusedAddress[] =
    "Image refusée : son adresse mène au réseau interne du serveur (adresse locale, privée ou "
    "réservée). Seules les images publiques d'Internet sont affichées.";

}  // namespace

std::string_view SniffImageType(std::string_view b) {
  auto at = [&](size_t offset, std::string_view magic) {
    return b.size() >= offset + magic.size() && b.substr(offset, magic.size()) == magic;
  };
  if (at(0, "\x89PNG\r\n\x1a\n")) return "image/png";  // PNG §5.2
  if (at(0, "\xff\xd8\xff")) return "image/jpeg";       // SOI then a marker
  if (at(0, "GIF87a") || at(0, "GIF89a")) return "image/gif";
  if (at(0, "RIFF") && at(8, "WEBP")) return "image/webp";  // RFC 9649 §2
  // AVIF: an ISO BMFF 'ftyp' box whose major or a compatible brand is avif/avis.
  if (at(4, "ftyp") && b.size() >= 16) {
    uint32_t box = V4At(reinterpret_cast<const uint8_t*>(b.data()));
    size_t end = std::min<size_t>(b.size(), box < 16 ? 16 : box);
    for (size_t i = 8; i + 4 <= end; i += 4) {
      if (i == 12) continue;  // minor_version
      std::string_view brand = b.substr(i, 4);
      if (brand == "avif" || brand == "avis") return "image/avif";
    }
    return "";
  }
  // ICO: reserved 0, type 1, at least one image.
  if (at(0, std::string_view("\0\0\1\0", 4)) && b.size() >= 6 && (b[4] != 0 || b[5] != 0)) {
    return "image/x-icon";
  }
  return "";
}

bool IsPublicAddress(const sockaddr* address) {
  if (address == nullptr) return false;
  if (address->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof in);
    return IsPublicV4(ntohl(in.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof in6);
    return IsPublicV6(in6.sin6_addr.s6_addr);
  }
  return false;
}

bool IsPublicAddressText(std::string_view text) {
  std::string s(text);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return IsPublicV4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) return IsPublicV6(v6.s6_addr);
  return false;
}

bool IsAllowedPort(long port) { return port == 80 || port == 443; }

std::optional<std::chrono::seconds> CacheLifetime(std::string_view cache_control,
                                                  std::string_view expires,
                                                  std::chrono::system_clock::time_point now) {
  constexpr int64_t kYear = 365LL * 24 * 3600;  // longer means the same here
  std::optional<int64_t> max_age, s_maxage;
  size_t at = 0;
  while (at <= cache_control.size()) {
    size_t comma = cache_control.find(',', at);
    if (comma == std::string_view::npos) comma = cache_control.size();
    std::string_view d = text::Trim(cache_control.substr(at, comma - at));
    at = comma + 1;
    if (d.empty()) continue;
    size_t eq = d.find('=');
    std::string name = text::ToLowerAscii(d.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : d.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name == "no-store" || name == "no-cache" || name == "private") {
      return std::chrono::seconds(0);
    }
    if (name == "max-age" || name == "s-maxage") {
      // Not a number of seconds: stale at once (RFC 9111 §1.2.2, §4.2.1).
      int64_t seconds = 0;
      bool digits = !value.empty() && value.size() <= 18;
      for (char c : value) digits = digits && c >= '0' && c <= '9';
      if (digits) seconds = std::min<int64_t>(std::strtoll(std::string(value).c_str(), nullptr, 10), kYear);
      (name == "max-age" ? max_age : s_maxage) = seconds;
    }
  }
  if (s_maxage) return std::chrono::seconds(*s_maxage);
  if (max_age) return std::chrono::seconds(*max_age);
  if (!expires.empty()) {
    time_t when = curl_getdate(std::string(expires).c_str(), nullptr);
    if (when < 0) return std::chrono::seconds(0);  // not a date: already expired
    int64_t left = static_cast<int64_t>(when) - std::chrono::system_clock::to_time_t(now);
    return std::chrono::seconds(std::clamp<int64_t>(left, 0, kYear));
  }
  return std::nullopt;
}

bool CheckUrl(std::string_view url, bool allow_private, std::string* canonical,
              FetchError* error, std::string* message, std::string_view test_origin) {
  auto bad = [&](FetchError e, std::string m) {
    *error = e;
    *message = std::move(m);
    return false;
  };
  if (url.empty()) {
    return bad(FetchError::kBadUrl,
               BadUrl("obligatoire. Écrivez l'adresse complète de l'image, par exemple "
                      "https://exemple.fr/logo.png."));
  }
  if (url.size() > kMaxUrlBytes) {
    return bad(FetchError::kBadUrl, BadUrl("plus de 2 048 caractères : ce n'est pas une "
                                           "adresse d'image utilisable."));
  }
  bool control = std::any_of(url.begin(), url.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
  std::string lower(url.substr(0, std::min<size_t>(url.size(), 8)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) {
    return bad(FetchError::kBadUrl,
               BadUrl("seules les adresses http:// et https:// sont acceptées (pas file://, "
                      "ftp://, gopher:// ni data:)."));
  }
  if (control) {
    return bad(FetchError::kBadUrl, BadUrl("espace ou caractère de contrôle : encodez-les "
                                           "(%20) dans l'adresse."));
  }
  // Browsers read '\\' as '/' and libcurl does not: one URL, two servers. An
  // empty authority ("https:///x") is likewise read differently.
  size_t authority = url.find("://") + 3;
  if (url.find('\\') != std::string_view::npos || authority >= url.size() ||
      url[authority] == '/') {
    return bad(FetchError::kBadUrl, BadUrl("adresse mal formée (barre oblique inverse ou nom de "
                                           "serveur absent) : écrivez https://serveur/chemin."));
  }
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CurlUrl u;
  if (u.u == nullptr) return bad(FetchError::kFailed, "libcurl n'a pas pu démarrer.");
  std::string text(url);
  if (curl_url_set(u.u, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return bad(FetchError::kBadUrl, BadUrl("adresse mal formée. Écrivez une adresse complète, "
                                           "par exemple https://exemple.fr/logo.png."));
  }
  std::string scheme = u.Get(CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") {
    return bad(FetchError::kBadUrl, BadUrl("seules les adresses http:// et https:// sont "
                                           "acceptées."));
  }
  if (u.Has(CURLUPART_USER) || u.Has(CURLUPART_PASSWORD) || u.Has(CURLUPART_OPTIONS)) {
    return bad(FetchError::kBadUrl, BadUrl("une adresse d'image ne contient ni identifiant ni "
                                           "mot de passe (utilisateur:secret@) : retirez-les."));
  }
  std::string host = u.Get(CURLUPART_HOST);
  if (host.empty()) {
    return bad(FetchError::kBadUrl, BadUrl("le nom du serveur manque (https://serveur/chemin)."));
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  curl_url_set(u.u, CURLUPART_HOST, host.c_str(), 0);
  std::string port = u.Get(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  bool test = !test_origin.empty() && host + ":" + port == test_origin;
  if (!allow_private && !test) {
    if (u.Has(CURLUPART_ZONEID)) return bad(FetchError::kRefused, kRefusedAddress);
    std::string literal = host;
    if (literal.size() >= 2 && literal.front() == '[' && literal.back() == ']') {
      literal = literal.substr(1, literal.size() - 2);
    }
    in6_addr probe{};
    bool numeric = inet_pton(AF_INET, literal.c_str(), &probe) == 1 ||
                   inet_pton(AF_INET6, literal.c_str(), &probe) == 1;
    if (numeric && !IsPublicAddressText(literal)) {
      return bad(FetchError::kRefused, kRefusedAddress);
    }
    long number = std::strtol(port.c_str(), nullptr, 10);
    if (!IsAllowedPort(number)) {
      return bad(FetchError::kRefused,
                 "Image refusée : seuls les ports 80 et 443 des serveurs web sont acceptés (le "
                 "port " + port + " n'en est pas un).");
    }
  }
  curl_url_set(u.u, CURLUPART_FRAGMENT, nullptr, 0);
  *canonical = u.Get(CURLUPART_URL, CURLU_NO_DEFAULT_PORT);
  if (canonical->empty() || canonical->size() > kMaxUrlBytes) {
    return bad(FetchError::kBadUrl, BadUrl("adresse mal formée."));
  }
  return true;
}

RemoteImageFetcher::RemoteImageFetcher(RemoteImageOptions options)
    : options_(std::move(options)) {
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

RemoteImageFetcher::~RemoteImageFetcher() = default;

FetchedImage RemoteImageFetcher::Fetch(std::string_view url) {
  std::string canonical;
  FetchError error = FetchError::kNone;
  std::string message;
  if (!CheckUrl(url, options_.allow_private, &canonical, &error, &message,
                options_.test_origin)) {
    return Failure(error, std::move(message));
  }
  FetchedImage cached;
  if (CacheGet(canonical, &cached)) return cached;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (options_.max_concurrent_fetches > 0 && running_ >= options_.max_concurrent_fetches) {
      return Failure(FetchError::kBusy,
                     "Trop d'images en cours de récupération sur le serveur : réessayez dans un "
                     "instant.");
    }
    ++running_;
  }
  FetchedImage got = FetchUncached(canonical);
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
  }
  if (got.ok()) CachePut(canonical, got);
  return got;
}

FetchedImage RemoteImageFetcher::FetchUncached(const std::string& canonical) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Failure(FetchError::kFailed, "Impossible de récupérer l'image : libcurl n'a pas pu démarrer.");
  CURL* c = curl.get();
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(
      curl_slist_append(nullptr, "Accept: image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8"),
      curl_slist_free_all);
  Transfer t;
  t.max_bytes = options_.max_bytes;
  t.allow_private = options_.allow_private;
  t.test_origin = ParseTestOrigin(options_.test_origin);
  char error_text[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // followed below, each hop checked
  curl_easy_setopt(c, CURLOPT_PROXY, "");           // never a proxy from the environment
  curl_easy_setopt(c, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  // No cookie engine, no Referer, no Accept-Encoding: nothing about the reader leaves.

  const auto deadline = SteadyClock::now() + options_.timeout;
  const std::string timeout_message =
      "Le serveur de l'image n'a pas répondu dans les " +
      std::to_string((options_.timeout.count() + 999) / 1000) + " secondes.";
  std::string current = canonical;
  for (int hop = 0;; ++hop) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return Failure(FetchError::kTimeout, timeout_message);
    curl_easy_setopt(c, CURLOPT_URL, current.c_str());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(left.count()));
    t.body.clear();
    t.too_large = false;
    t.refused = false;
    t.cache_control.clear();
    t.expires.clear();
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        return Failure(FetchError::kTooLarge,
                       "Image refusée : elle dépasse " +
                           std::to_string(options_.max_bytes / (1024 * 1024)) + " Mio.");
      }
      if (t.refused) return Failure(FetchError::kRefused, kRefusedAddress);
      if (rc == CURLE_OPERATION_TIMEDOUT) return Failure(FetchError::kTimeout, timeout_message);
      if (rc == CURLE_COULDNT_RESOLVE_HOST) {
        return Failure(FetchError::kFailed,
                       "Impossible de récupérer l'image : le nom du serveur est introuvable.");
      }
      if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR) {
        return Failure(FetchError::kFailed,
                       "Impossible de récupérer l'image : la connexion sécurisée (TLS) au serveur "
                       "de l'image a échoué.");
      }
      return Failure(FetchError::kFailed,
                     "Impossible de récupérer l'image : le serveur de l'image est injoignable ou "
                     "a interrompu l'envoi.");
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
      char* location = nullptr;
      curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
      if (location == nullptr) {
        return Failure(FetchError::kFailed,
                       "Impossible de récupérer l'image : redirection sans destination.");
      }
      if (hop >= options_.max_redirects) {
        return Failure(FetchError::kFailed,
                       "Impossible de récupérer l'image : plus de " +
                           std::to_string(options_.max_redirects) + " redirections.");
      }
      std::string next;
      FetchError error = FetchError::kNone;
      std::string message;
      if (!CheckUrl(location, options_.allow_private, &next, &error, &message,
                    options_.test_origin)) {
        if (error == FetchError::kRefused) return Failure(error, std::move(message));
        return Failure(FetchError::kFailed,
                       "Impossible de récupérer l'image : le serveur redirige vers une adresse "
                       "inutilisable (seules http:// et https:// sont suivies).");
      }
      current = std::move(next);
      continue;
    }
    if (code != 200 && code != 203) {
      return Failure(FetchError::kFailed, "Impossible de récupérer l'image : le serveur de "
                                          "l'image a répondu " + std::to_string(code) + ".");
    }
    std::string_view type = SniffImageType(t.body);
    if (type.empty()) {
      return Failure(FetchError::kNotAnImage,
                     "Ce fichier n'est pas une image PNG, JPEG, GIF, WebP, AVIF ou ICO : il n'est "
                     "pas affiché (les images SVG et les pages web sont refusées).");
    }
    FetchedImage image;
    image.content_type = std::string(type);
    image.bytes = std::make_shared<const std::string>(std::move(t.body));
    image.origin_lifetime =
        CacheLifetime(t.cache_control, t.expires, std::chrono::system_clock::now());
    return image;
  }
}

bool RemoteImageFetcher::CacheGet(const std::string& key, FetchedImage* out) {
  if (options_.cache_bytes == 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return false;
  if (SteadyClock::now() >= it->second.expires) {
    cached_bytes_ -= it->second.bytes->size();
    lru_.erase(it->second.order);
    cache_.erase(it);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it->second.order);
  out->content_type = it->second.content_type;
  out->bytes = it->second.bytes;
  out->from_cache = true;
  return true;
}

void RemoteImageFetcher::CachePut(const std::string& key, const FetchedImage& image) {
  std::size_t size = image.bytes->size();
  if (options_.cache_bytes == 0 || size > options_.cache_bytes / 2) return;
  // Kept no longer than the origin allows a shared cache to (not at all: no-store,
  // private, no-cache, an Expires in the past).
  std::chrono::seconds lifetime = options_.cache_ttl;
  if (image.origin_lifetime) lifetime = std::min(lifetime, *image.origin_lifetime);
  if (lifetime.count() <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    cached_bytes_ -= it->second.bytes->size();
    lru_.erase(it->second.order);
    cache_.erase(it);
  }
  lru_.push_front(key);
  cache_.emplace(key, CacheEntry{image.content_type, image.bytes, SteadyClock::now() + lifetime,
                                 lru_.begin()});
  cached_bytes_ += size;
  while (cached_bytes_ > options_.cache_bytes && !lru_.empty()) {
    auto victim = cache_.find(lru_.back());
    cached_bytes_ -= victim->second.bytes->size();
    cache_.erase(victim);
    lru_.pop_back();
  }
}

}  // namespace caduce::fetch
