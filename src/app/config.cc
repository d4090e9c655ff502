// The configuration keys, their parsers and the three layers (see config.h).
#include "app/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "base/text.h"

namespace caduce::app {

namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr std::size_t kMaxLineBytes = 4096;
constexpr std::size_t kMaxValueBytes = 4096;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

// A problem with one value: the sentence after "key = « value » : ".
using Problem = std::string;
using Setter = std::function<Problem(Config&, std::string_view)>;

// Digits only, within [min, max].
Problem ParseCount(std::string_view v, int64_t min, int64_t max, int64_t* out) {
  const std::string fix = "écrivez un nombre entier de " + std::to_string(min) + " à " +
                          std::to_string(max) + ".";
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string_view::npos) {
    return "ce n'est pas un nombre entier : " + fix;
  }
  int64_t n = std::strtoll(std::string(v).c_str(), nullptr, 10);
  if (n < min || n > max) return "hors limites : " + fix;
  *out = n;
  return "";
}

// "90s", "30m", "12h", "7d": a whole number and a unit, within [1 s, max].
Problem ParseDuration(std::string_view v, int64_t max_seconds, int64_t* out) {
  const std::string fix =
      "écrivez un nombre entier suivi de s (secondes), m (minutes), h (heures) ou d (jours), par "
      "exemple 30m ou 7d.";
  if (v.size() < 2 || v.size() > 12) return "durée invalide : " + fix;
  char unit = v.back();
  std::string_view digits = v.substr(0, v.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return "durée invalide : " + fix;
  }
  int64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  if (scale == 0) return "unité inconnue : " + fix;
  int64_t n = std::strtoll(std::string(digits).c_str(), nullptr, 10);
  if (n <= 0 || n > max_seconds / scale) {
    return "hors limites : la durée doit être comprise entre 1s et " +
           std::to_string(max_seconds / 86400) + "d.";
  }
  *out = n * scale;
  return "";
}

Problem ParsePath(std::string_view v, bool may_be_empty, std::string* out) {
  if (v.empty() && !may_be_empty) return "un chemin de fichier ou de dossier est attendu.";
  *out = std::string(v);
  return "";
}

Problem ParseChoice(std::string_view v, std::initializer_list<std::string_view> choices,
                    std::string* out) {
  for (std::string_view c : choices) {
    if (v == c) {
      *out = std::string(v);
      return "";
    }
  }
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  return "valeur inconnue : écrivez l'une de " + list + ".";
}

// "on" or "off".
Problem ParseSwitch(std::string_view v, bool* out) {
  if (v == "on" || v == "off") {
    *out = v == "on";
    return "";
  }
  return "valeur inconnue : écrivez on ou off.";
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// http(s)://host[:port][/path], no query, fragment, user info or space.
Problem ParsePublicUrl(std::string_view v, std::string* out) {
  const std::string fix =
      "écrivez l'adresse du site telle que les personnes la tapent, par exemple "
      "https://messagerie.chu-demo.fr (sans ?, # ni identifiants).";
  if (v.empty()) {
    out->clear();
    return "";
  }
  std::string_view rest;
  if (StartsWith(v, "https://")) {
    rest = v.substr(8);
  } else if (StartsWith(v, "http://")) {
    rest = v.substr(7);
  } else {
    return "l'adresse doit commencer par https:// ou http:// : " + fix;
  }
  std::string_view host = rest.substr(0, rest.find('/'));
  if (host.empty() || v.find_first_of(" ?#@\\\"<>") != std::string_view::npos) {
    return "adresse invalide : " + fix;
  }
  while (!v.empty() && v.back() == '/') v.remove_suffix(1);
  *out = std::string(v);
  return "";
}

Problem ParseSmtpUrl(std::string_view v, std::string* out) {
  if (!v.empty() && !StartsWith(v, "smtp://") && !StartsWith(v, "smtps://")) {
    return "écrivez smtp://relais:587 (STARTTLS) ou smtps://relais:465, ou laissez vide pour "
           "écrire les messages dans outbox_dir.";
  }
  if (v.find_first_of(" \\\"<>") != std::string_view::npos) {
    return "adresse de relais invalide : pas d'espace ni de guillemet.";
  }
  *out = std::string(v);
  return "";
}

// "address" or "Name <address>" with one '@' in the address.
Problem ParseMailFrom(std::string_view v, std::string* out) {
  std::string_view address = v;
  std::size_t lt = v.rfind('<');
  if (lt != std::string_view::npos) {
    if (v.back() != '>') return "écrivez « adresse » ou « Nom <adresse> ».";
    address = v.substr(lt + 1, v.size() - lt - 2);
  }
  std::size_t at = address.find('@');
  if (address.empty() || at == 0 || at == std::string_view::npos || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos ||
      address.find_first_of(" <>\",;") != std::string_view::npos) {
    return "adresse d'expéditeur invalide : écrivez par exemple "
           "« Messagerie sécurisée <ne-pas-repondre@chu-demo.fr> ».";
  }
  *out = std::string(v);
  return "";
}

Problem SetInt(int* field, std::string_view v, int64_t min, int64_t max) {
  int64_t n = 0;
  Problem p = ParseCount(v, min, max, &n);
  if (p.empty()) *field = static_cast<int>(n);
  return p;
}

Problem SetSize(std::size_t* field, std::string_view v, int64_t min, int64_t max) {
  int64_t n = 0;
  Problem p = ParseCount(v, min, max, &n);
  if (p.empty()) *field = static_cast<std::size_t>(n);
  return p;
}

struct KeyEntry {
  ConfigKey key;
  Setter set;
};

constexpr int64_t kYear = 365 * 86400;

const std::vector<KeyEntry>& Entries() {
  static const std::vector<KeyEntry> entries = {
      {{"listen", "CADUCE_LISTEN", "127.0.0.1:8080",
        "address and port to listen on (`[::]:443` for every IPv6 and IPv4 address)"},
       [](Config& c, std::string_view v) -> Problem {
         Status s = ParseListen(v, &c.listen_address, &c.listen_port);
         return s.ok() ? "" : std::string(s.message());
       }},
      {{"db", "CADUCE_DB", "var/caduce.db", "the SQLite database file (created when absent)"},
       [](Config& c, std::string_view v) { return ParsePath(v, false, &c.db_path); }},
      {{"data_dir", "CADUCE_DATA_DIR", "the source tree's data/",
        "the reference lists and the common-password list"},
       [](Config& c, std::string_view v) { return ParsePath(v, true, &c.data_dir); }},
      {{"web_dir", "CADUCE_WEB_DIR", "web/dist",
        "the built web UI (static paths answer 404 when it does not exist)"},
       [](Config& c, std::string_view v) { return ParsePath(v, true, &c.web_dir); }},
      {{"tls_cert", "CADUCE_TLS_CERT", "(none)",
        "PEM certificate chain; with tls_key, the server speaks TLS 1.2+ only"},
       [](Config& c, std::string_view v) { return ParsePath(v, true, &c.tls_cert); }},
      {{"tls_key", "CADUCE_TLS_KEY", "(none)", "PEM private key of tls_cert"},
       [](Config& c, std::string_view v) { return ParsePath(v, true, &c.tls_key); }},
      {{"public_url", "CADUCE_PUBLIC_URL", "the server's own URL",
        "the address people reach the web UI at, used in the links of the mails"},
       [](Config& c, std::string_view v) { return ParsePublicUrl(v, &c.public_url); }},
      {{"session_idle", "CADUCE_SESSION_IDLE", "30m",
        "a session unused this long ends (duration: 90s, 30m, 12h, 7d)"},
       [](Config& c, std::string_view v) {
         return ParseDuration(v, kYear, &c.session_idle_seconds);
       }},
      {{"session_absolute", "CADUCE_SESSION_ABSOLUTE", "12h",
        "a session ends this long after sign-in, used or not"},
       [](Config& c, std::string_view v) {
         return ParseDuration(v, kYear, &c.session_absolute_seconds);
       }},
      {{"activation_lifetime", "CADUCE_ACTIVATION_LIFETIME", "7d",
        "validity of the link of an activation mail"},
       [](Config& c, std::string_view v) {
         return ParseDuration(v, kYear, &c.activation_seconds);
       }},
      {{"reset_lifetime", "CADUCE_RESET_LIFETIME", "1h",
        "validity of the link of a password-reset mail"},
       [](Config& c, std::string_view v) { return ParseDuration(v, kYear, &c.reset_seconds); }},
      {{"io_threads", "CADUCE_IO_THREADS", "2", "threads that run the network event loop (1-256)"},
       [](Config& c, std::string_view v) { return SetInt(&c.io_threads, v, 1, 256); }},
      {{"worker_threads", "CADUCE_WORKER_THREADS", "0",
        "threads for slow requests (argon2id sign-in, import, export); 0: one per core, at "
        "least 2"},
       [](Config& c, std::string_view v) { return SetInt(&c.worker_threads, v, 0, 256); }},
      {{"worker_queue", "CADUCE_WORKER_QUEUE", "32",
        "slow requests that may wait for a busy worker; more get 503 with Retry-After at once "
        "(0: no cap)"},
       [](Config& c, std::string_view v) { return SetInt(&c.worker_queue, v, 0, 100'000); }},
      {{"argon2_memory", "CADUCE_ARGON2_MEMORY", "19",
        "argon2id memory of new password hashes, in MiB (with argon2_passes: at least one of "
        "OWASP's settings 46/1, 19/2, 12/3, 9/4, 7/5)"},
       [](Config& c, std::string_view v) { return SetInt(&c.argon2_memory_mib, v, 7, 4096); }},
      {{"argon2_passes", "CADUCE_ARGON2_PASSES", "2", "argon2id passes of new password hashes"},
       [](Config& c, std::string_view v) { return SetInt(&c.argon2_passes, v, 1, 16); }},
      {{"max_connections", "CADUCE_MAX_CONNECTIONS", "10000",
        "open connections beyond this are closed at once"},
       [](Config& c, std::string_view v) {
         return SetSize(&c.max_connections, v, 1, 1'000'000);
       }},
      {{"max_connections_per_ip", "CADUCE_MAX_CONNECTIONS_PER_IP", "1000",
        "the same from one IPv4 address or IPv6 /64; 0: no such cap"},
       [](Config& c, std::string_view v) {
         return SetSize(&c.max_connections_per_ip, v, 0, 1'000'000);
       }},
      {{"shutdown_grace", "CADUCE_SHUTDOWN_GRACE", "10s",
        "on SIGTERM, how long requests in flight may finish"},
       [](Config& c, std::string_view v) {
         return ParseDuration(v, 3600, &c.shutdown_grace_seconds);
       }},
      {{"smtp_url", "CADUCE_SMTP_URL", "(none: outbox)",
        "mail relay, `smtp://host:587` or `smtps://host:465`"},
       [](Config& c, std::string_view v) { return ParseSmtpUrl(v, &c.mail.smtp_url); }},
      {{"smtp_user", "CADUCE_SMTP_USER", "(none)", "user name for SMTP AUTH"},
       [](Config& c, std::string_view v) -> Problem {
         c.mail.smtp_user = std::string(v);
         return "";
       }},
      {{"smtp_password_file", "CADUCE_SMTP_PASSWORD_FILE", "(none)",
        "file whose first line is the SMTP password (kept out of the configuration)"},
       [](Config& c, std::string_view v) {
         return ParsePath(v, true, &c.mail.smtp_password_file);
       }},
      {{"smtp_starttls", "CADUCE_SMTP_STARTTLS", "auto",
        "smtp:// only: `auto` (required, except for a relay on loopback where it is tried), "
        "`required`, or `off` (plain text: a relay on a trusted network only)"},
       [](Config& c, std::string_view v) {
         return ParseChoice(v, {"auto", "required", "off"}, &c.mail.smtp_starttls);
       }},
      {{"mail_from", "CADUCE_MAIL_FROM", "Messagerie sécurisée de santé <ne-pas-repondre@localhost>",
        "the From of the mails"},
       [](Config& c, std::string_view v) { return ParseMailFrom(v, &c.mail.mail_from); }},
      {{"outbox_dir", "CADUCE_OUTBOX_DIR", "var/outbox",
        "without smtp_url, each mail is written here as an .eml file"},
       [](Config& c, std::string_view v) { return ParsePath(v, false, &c.mail.outbox_dir); }},
      {{"mail_max_message_bytes", "CADUCE_MAIL_MAX_MESSAGE_BYTES", "26214400",
        "the largest message the mail store accepts, in bytes (delivery, import, sending)"},
       [](Config& c, std::string_view v) {
         return ParseCount(v, 1024, 1LL << 30, &c.mail_max_message_bytes);
       }},
      {{"mail_max_upload_bytes", "CADUCE_MAIL_MAX_UPLOAD_BYTES", "mail_max_message_bytes",
        "the largest file a person uploads (an attachment, a message to import), in bytes; not "
        "above mail_max_message_bytes (JMAP maxSizeUpload)"},
       [](Config& c, std::string_view v) {
         return ParseCount(v, 1024, 1LL << 30, &c.mail_max_upload_bytes);
       }},
      {{"local_domains", "CADUCE_LOCAL_DOMAINS", "(none)",
        "comma-separated domains served here besides the structures' MSSanté domains: an "
        "unknown address there is refused"},
       [](Config& c, std::string_view v) -> Problem {
         std::vector<std::string> domains;
         std::string all(v);
         size_t start = 0;
         while (start <= all.size()) {
           size_t comma = all.find(',', start);
           std::string d = all.substr(start, comma == std::string::npos ? comma : comma - start);
           d.erase(0, d.find_first_not_of(' '));
           while (!d.empty() && d.back() == ' ') d.pop_back();
           for (char& ch : d) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
           if (!d.empty()) {
             if (d.size() > 253 || d.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") !=
                                       std::string::npos ||
                 d.front() == '.' || d.back() == '.' || d.find('.') == std::string::npos) {
               return "domaine invalide « " + d +
                      " » : écrivez des domaines séparés par des virgules, par exemple "
                      "« chu-demo.fr, mssante.chu-demo.fr ».";
             }
             domains.push_back(d);
           }
           if (comma == std::string::npos) break;
           start = comma + 1;
         }
         c.local_domains = std::move(domains);
         return "";
       }},
      {{"remote_images", "CADUCE_REMOTE_IMAGES", "on",
        "`on`: a reader may ask to see a message's remote images, fetched by caduce "
        "(GET /api/mail/image, never from the reader's browser); `off`: they stay blocked"},
       [](Config& c, std::string_view v) { return ParseSwitch(v, &c.remote_images); }},
      {{"remote_images_allow_private", "CADUCE_REMOTE_IMAGES_ALLOW_PRIVATE", "off",
        "FOR TESTS ONLY: `on` lets image fetches reach loopback and private addresses on any "
        "port; in production it would open the server's own network to any sender"},
       [](Config& c, std::string_view v) {
         return ParseSwitch(v, &c.remote_images_allow_private);
       }},
      {{"log_format", "CADUCE_LOG_FORMAT", "json",
        "access log on stderr: `json` (one object per line) or `text`"},
       [](Config& c, std::string_view v) {
         return ParseChoice(v, {"json", "text"}, &c.log_format);
       }},
  };
  return entries;
}

const KeyEntry* FindEntry(std::string_view key) {
  for (const KeyEntry& e : Entries()) {
    if (e.key.name == key) return &e;
  }
  return nullptr;
}

std::string KnownKeys() {
  std::string list;
  for (const KeyEntry& e : Entries()) list += (list.empty() ? "" : ", ") + std::string(e.key.name);
  return list;
}

// For messages: a value as the person wrote it, cut when long.
std::string Quote(std::string_view v) {
  std::string s(v.substr(0, 80));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return "« " + s + (v.size() > 80 ? "…" : "") + " »";
}

}  // namespace

Status ParseListen(std::string_view text, std::string* address, uint16_t* port) {
  Status bad = InvalidArgumentError(
      "écrivez ADRESSE:PORT, par exemple 127.0.0.1:8080, 0.0.0.0:443 ou [::1]:8080.");
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad;  // IPv6 without brackets
  }
  if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos) {
    return bad;
  }
  std::string_view digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad;
  }
  unsigned long value = std::strtoul(std::string(digits).c_str(), nullptr, 10);
  if (value > 65535) return bad;
  *address = std::string(host);
  *port = static_cast<uint16_t>(value);
  return OkStatus();
}

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = [] {
    std::vector<ConfigKey> out;
    for (const KeyEntry& e : Entries()) out.push_back(e.key);
    return out;
  }();
  return keys;
}

Status Config::Set(std::string_view key, std::string_view value, std::string_view where) {
  const KeyEntry* entry = FindEntry(key);
  if (entry == nullptr) {
    return InvalidArgumentError(std::string(where) + " : clé " + Quote(key) +
                                " inconnue. Clés possibles : " + KnownKeys() + ".");
  }
  std::string prefix = std::string(where) + " : " + std::string(key) + " = " + Quote(value) + " : ";
  if (value.size() > kMaxValueBytes) {
    return InvalidArgumentError(prefix + "valeur trop longue (4096 octets au plus).");
  }
  if (!text::IsValidUtf8(value) || HasControl(value)) {
    return InvalidArgumentError(prefix +
                                "caractère de contrôle ou UTF-8 invalide : corrigez la valeur.");
  }
  Config copy = *this;  // unchanged on error
  Problem p = entry->set(copy, value);
  if (!p.empty()) return InvalidArgumentError(prefix + p);
  *this = std::move(copy);
  return OkStatus();
}

Status Config::Validate() const {
  if (tls_cert.empty() != tls_key.empty()) {
    return InvalidArgumentError(
        "configuration : tls_cert et tls_key vont ensemble : donnez les deux (TLS) ou aucun.");
  }
  if (session_idle_seconds > session_absolute_seconds) {
    return InvalidArgumentError(
        "configuration : session_idle dépasse session_absolute : une session ne peut pas rester "
        "inactive plus longtemps qu'elle ne dure ; réduisez session_idle.");
  }
  // OWASP Password Storage Cheat Sheet, argon2id with p=1: each pair is one
  // equivalent minimum (memory in MiB, passes).
  constexpr int kOwasp[][2] = {{46, 1}, {19, 2}, {12, 3}, {9, 4}, {7, 5}};
  bool strong_enough = false;
  for (const auto& [mib, passes] : kOwasp) {
    if (argon2_memory_mib >= mib && argon2_passes >= passes) strong_enough = true;
  }
  if (!strong_enough) {
    return InvalidArgumentError(
        "configuration : argon2_memory et argon2_passes sont en dessous des minimums de l'OWASP "
        "(46 Mio et 1 passe, 19 Mio et 2, 12 Mio et 3, 9 Mio et 4, ou 7 Mio et 5) : augmentez "
        "l'un ou l'autre.");
  }
  if (mail_max_upload_bytes > mail_max_message_bytes) {
    return InvalidArgumentError(
        "configuration : mail_max_upload_bytes (" + std::to_string(mail_max_upload_bytes) +
        ") dépasse mail_max_message_bytes (" + std::to_string(mail_max_message_bytes) +
        ") : un fichier déposé ne pourrait entrer dans aucun message ; réduisez "
        "mail_max_upload_bytes ou augmentez mail_max_message_bytes.");
  }
  if (mail.smtp_url.rfind("smtps://", 0) == 0 && mail.smtp_starttls == "required") {
    return InvalidArgumentError(
        "configuration : smtp_starttls = required ne s'applique qu'à smtp:// (smtps:// est déjà "
        "chiffré) : retirez smtp_starttls ou écrivez auto.");
  }
  return OkStatus();
}

Status ApplyConfigText(std::string_view text, std::string_view source, Config* config) {
  if (text.size() > kMaxFileBytes) {
    return InvalidArgumentError(std::string(source) +
                                " : fichier trop grand (1 Mio au plus) : est-ce bien le fichier "
                                "de configuration ?");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM from some editors
  std::map<std::string, int> seen;  // key → line
  Config next = *config;
  int number = 0;
  while (!text.empty()) {
    ++number;
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string where = std::string(source) + ", ligne " + std::to_string(number);
    if (line.size() > kMaxLineBytes) {
      return InvalidArgumentError(where + " : ligne trop longue (4096 octets au plus).");
    }
    if (!text::IsValidUtf8(line) || line.find('\0') != std::string_view::npos) {
      return InvalidArgumentError(where +
                                  " : UTF-8 invalide : enregistrez le fichier en UTF-8.");
    }
    line = Trim(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError(where + " : " + Quote(line) +
                                  " : écrivez « clé = valeur » (ou # devant un commentaire).");
    }
    std::string key(Trim(line.substr(0, eq)));
    std::string_view value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    auto [it, inserted] = seen.emplace(key, number);
    if (!inserted && FindEntry(key) != nullptr) {
      return InvalidArgumentError(where + " : " + key + " est déjà donnée ligne " +
                                  std::to_string(it->second) + " : gardez une seule ligne.");
    }
    CADUCE_RETURN_IF_ERROR(next.Set(key, value, where));
  }
  *config = std::move(next);
  return OkStatus();
}

Status ApplyConfigFile(const std::string& path, Config* config) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return NotFoundError("fichier de configuration « " + path + " » introuvable : " +
                         std::strerror(errno) + ".");
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgumentError("« " + path + " » n'est pas un fichier de configuration.");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes) {
    return InvalidArgumentError(path + " : fichier trop grand (1 Mio au plus).");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return InvalidArgumentError("« " + path + " » illisible.");
  }
  return ApplyConfigText(content.str(), path, config);
}

Status ApplyEnvironment(char** environ, Config* config) {
  if (environ == nullptr) return OkStatus();
  Config next = *config;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("CADUCE_", 0) != 0) continue;
    std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = entry.substr(0, eq);
    for (const KeyEntry& k : Entries()) {
      if (k.key.env == name) {
        CADUCE_RETURN_IF_ERROR(
            next.Set(k.key.name, entry.substr(eq + 1), "variable " + std::string(name)));
      }
    }
  }
  *config = std::move(next);
  return OkStatus();
}

Result<Config> LoadConfig(const std::string& file, char** environ) {
  Config config;
  std::string path = file;
  if (path.empty()) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view entry(*e);
      if (entry.rfind("CADUCE_CONFIG=", 0) == 0) path = std::string(entry.substr(14));
    }
    if (path.empty()) {
      struct stat st {};
      if (::stat(kDefaultConfigPath, &st) == 0) path = kDefaultConfigPath;
    }
  }
  if (!path.empty()) CADUCE_RETURN_IF_ERROR(ApplyConfigFile(path, &config));
  CADUCE_RETURN_IF_ERROR(ApplyEnvironment(environ, &config));
  return config;
}

}  // namespace caduce::app
