// File: app/config.h
//
// The configuration of `caduce serve`: defaults, then a `key = value` file
// (--config FILE, else $CADUCE_CONFIG, else /etc/caduce/caduce.conf when it
// exists), then CADUCE_<KEY> environment variables, then command-line flags;
// each layer overrides the one before. Every key has one parser, shared by the
// layers, so a value means the same wherever it is written. An unknown key or a
// bad value is an error naming where it was read (file and line, or the
// variable, or the flag), the key and the fix, in French. No I/O beyond reading
// the file; the values are checked, not acted upon (files are opened by app/).
//
// File syntax: one `key = value` per line; blank lines and lines whose first
// non-blank character is '#' or ';' are ignored; spaces around the key and the
// value are dropped, and a value may be written in double quotes. UTF-8, lines of
// at most 4,096 bytes, files of at most 1 MiB. A key may appear once.
//
//   listen = 0.0.0.0:443
//   tls_cert = /etc/caduce/tls/fullchain.pem
//   tls_key = /etc/caduce/tls/privkey.pem
//   public_url = https://messagerie.chu-demo.fr
//   session_idle = 30m
//
// Exposure: reads a file and the environment chosen by the operator.
#ifndef CADUCE_APP_CONFIG_H_
#define CADUCE_APP_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace caduce::app {

// The relay of the activation and reset mails (read by notify/ through app/).
struct MailOptions {
  // "smtp://relay:587" (STARTTLS when offered, see smtp_starttls) or
  // "smtps://relay:465"; "" writes each mail to outbox_dir instead.
  std::string smtp_url;
  std::string smtp_user;           // "" for no AUTH
  std::string smtp_password_file;  // its first line is the password
  // For smtp://: "auto" (required, except for a relay on loopback where it is
  // tried), "required", "off" (notify::StartTls).
  std::string smtp_starttls = "auto";
  // The From of the mails: "address" or "Name <address>".
  std::string mail_from = "Messagerie sécurisée de santé <ne-pas-repondre@localhost>";
  std::string outbox_dir = "var/outbox";
};

struct Config {
  // Where to listen.
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string db_path = "var/caduce.db";
  std::string data_dir;  // "" → the built-in default (ReferenceData::DefaultDir)
  std::string web_dir = "web/dist";
  std::string tls_cert;
  std::string tls_key;
  // The address people reach the web UI at, used in mailed links; "" means
  // the server's own URL. No trailing '/'.
  std::string public_url;

  int64_t session_idle_seconds = 30 * 60;
  int64_t session_absolute_seconds = 12 * 3600;
  int64_t activation_seconds = 7 * 24 * 3600;
  int64_t reset_seconds = 3600;

  int io_threads = 2;
  int worker_threads = 0;  // 0: the number of cores, at least 2
  // Requests of slow routes that may wait for a worker beyond those running;
  // more get 503 with Retry-After at once. 0: no cap.
  int worker_queue = 32;
  // argon2id cost of new password hashes (older hashes verify and are redone at
  // the next sign-in). At least one of OWASP's equivalent settings (Validate).
  int argon2_memory_mib = 19;
  int argon2_passes = 2;
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_ip = 1'000;
  int64_t shutdown_grace_seconds = 10;

  MailOptions mail;
  // The mail store: the largest message accepted (delivery, import, sending), and
  // domains whose unknown addresses are refused besides the structures' MSSanté
  // domains (comma-separated in the file).
  int64_t mail_max_message_bytes = 25 * 1024 * 1024;
  // The largest upload (JMAP maxSizeUpload: an attachment or a message to import);
  // 0: mail_max_message_bytes. Not above it (Validate): a larger file could go in
  // no message.
  int64_t mail_max_upload_bytes = 0;
  int64_t MaxUploadBytes() const {
    return mail_max_upload_bytes > 0 ? mail_max_upload_bytes : mail_max_message_bytes;
  }
  std::vector<std::string> local_domains;
  // A message's remote images, fetched by caduce when the reader asks
  // (fetch/remote_image.h). allow_private is for tests only: it lets fetches
  // reach loopback and private addresses.
  bool remote_images = true;
  bool remote_images_allow_private = false;
  // The access log on stderr: "json" (one object per line) or "text".
  std::string log_format = "json";

  // Sets `key` from its text form. `where` names the source for the error
  // message ("caduce.conf, ligne 4", "variable CADUCE_LISTEN", "option --listen").
  // kInvalidArgument (French, naming where, the key and the fix) for an unknown
  // key or a bad value; the configuration is then unchanged.
  Status Set(std::string_view key, std::string_view value, std::string_view where);

  // Checks what involves several keys (TLS certificate and key together, idle
  // lifetime not above the absolute one). kInvalidArgument.
  Status Validate() const;
};

struct ConfigKey {
  std::string_view name;        // "session_idle"
  std::string_view env;         // "CADUCE_SESSION_IDLE"
  std::string_view default_text;
  std::string_view help;        // one line, English (README table)
};

// Every key, in the README's order.
const std::vector<ConfigKey>& ConfigKeys();

// Applies the text of a configuration file. `source` names it in errors.
Status ApplyConfigText(std::string_view text, std::string_view source, Config* config);

// Reads and applies a file: kNotFound when it does not exist, kInvalidArgument
// when it is too large, not UTF-8 or has a bad line.
Status ApplyConfigFile(const std::string& path, Config* config);

// Applies the CADUCE_<KEY> variables of `environ` (a null-terminated array of
// "NAME=value"). Other CADUCE_ variables (CADUCE_DATA_DIR is a key; others belong
// to tests and tools) are ignored.
Status ApplyEnvironment(char** environ, Config* config);

// Defaults, then the file (`file`, else $CADUCE_CONFIG, else
// kDefaultConfigPath when it exists), then the environment.
inline constexpr char kDefaultConfigPath[] = "/etc/caduce/caduce.conf";
Result<Config> LoadConfig(const std::string& file, char** environ);

// "127.0.0.1:8080", "[::1]:8080" → address and port (kInvalidArgument).
Status ParseListen(std::string_view text, std::string* address, uint16_t* port);

}  // namespace caduce::app

#endif  // CADUCE_APP_CONFIG_H_
