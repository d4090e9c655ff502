// The two mailers: SMTP through libcurl (RFC 5321, STARTTLS RFC 3207, AUTH RFC
// 4954), and the outbox folder. See mailer.h for the meaning of each status code.
#include "notify/mailer.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <utility>

namespace caduce::notify {
namespace {

std::once_flag curl_once;

// The host of an smtp(s):// URL, "" when it cannot be read.
std::string UrlHost(const std::string& url) {
  CURLU* u = curl_url();
  std::string host;
  if (u != nullptr && curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* h = nullptr;
    if (curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h != nullptr) {
      host = h;
      curl_free(h);
    }
  }
  curl_url_cleanup(u);
  return host;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
}

class SmtpMailer final : public Mailer {
 public:
  SmtpMailer(MailerOptions options, std::string password)
      : options_(std::move(options)), password_(std::move(password)) {
    implicit_tls_ = options_.smtp_url.rfind("smtps://", 0) == 0;
    StartTls mode = options_.starttls;
    if (mode == StartTls::kAuto) {
      mode = IsLoopback(UrlHost(options_.smtp_url)) ? StartTls::kOff : StartTls::kRequired;
      tls_tried_ = true;
    }
    tls_required_ = mode == StartTls::kRequired;
  }
  ~SmtpMailer() override { sodium_memzero(password_.data(), password_.size()); }

  bool IsOutbox() const override { return false; }

  std::string Describe() const override {
    std::string d = options_.smtp_url;
    if (implicit_tls_) return d + " (TLS)";
    if (tls_required_) return d + " (STARTTLS exigé)";
    return d + (tls_tried_ ? " (STARTTLS si proposé)" : " (sans TLS)");
  }

  Result<std::string> Send(const Outgoing& mail) override {
    if (aborting_) return UnavailableError("Envoi interrompu (arrêt du serveur).");
    CURL* c = curl_easy_init();
    if (c == nullptr) return UnavailableError("libcurl n'a pas pu démarrer.");
    struct Reader {
      std::string_view rest;
    } reader{mail.data};
    std::string from = "<" + mail.from + ">";
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + mail.to + ">").c_str());
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, options_.smtp_url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.data.size()));
    curl_easy_setopt(
        c, CURLOPT_READFUNCTION, +[](char* buf, size_t size, size_t n, void* p) -> size_t {
          auto* r = static_cast<Reader*>(p);
          size_t len = std::min(size * n, r->rest.size());
          std::memcpy(buf, r->rest.data(), len);
          r->rest.remove_prefix(len);
          return len;
        });
    curl_easy_setopt(c, CURLOPT_READDATA, &reader);
    if (!implicit_tls_) {
      curl_easy_setopt(c, CURLOPT_USE_SSL,
                       tls_required_ ? CURLUSESSL_ALL
                                     : (options_.starttls == StartTls::kOff ? CURLUSESSL_NONE
                                                                            : CURLUSESSL_TRY));
    }
    if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.smtp_user.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, options_.smtp_user.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, password_.c_str());
    }
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout_seconds));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout_seconds));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(
        c, CURLOPT_XFERINFOFUNCTION, +[](void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
          return static_cast<std::atomic<bool>*>(p)->load() ? 1 : 0;
        });
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &aborting_);
    CURLcode rc = curl_easy_perform(c);
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK) return "relais " + options_.smtp_url;

    std::string why = error[0] != 0 ? std::string(error) : std::string(curl_easy_strerror(rc));
    if (reply > 0) why += " (réponse " + std::to_string(reply) + ")";
    // A 5xx to MAIL, RCPT or DATA is a refusal for good (RFC 5321 §4.2.1); an
    // authentication refusal is the relay's configuration, which the operator
    // fixes: retried like a temporary failure.
    if (reply >= 500 && reply < 600 && rc != CURLE_LOGIN_DENIED) {
      return FailedPreconditionError("Refus définitif du relais : " + why);
    }
    if (rc == CURLE_USE_SSL_FAILED) {
      return UnavailableError("Le relais ne propose pas STARTTLS, exigé : " + why);
    }
    return UnavailableError("Relais injoignable ou refus temporaire : " + why);
  }

 private:
  const MailerOptions options_;
  std::string password_;
  bool implicit_tls_ = false;
  bool tls_required_ = false;
  bool tls_tried_ = false;
};

class OutboxMailer final : public Mailer {
 public:
  explicit OutboxMailer(std::string dir) : dir_(std::move(dir)) {}
  bool IsOutbox() const override { return true; }
  std::string Describe() const override { return "dossier " + dir_; }

  Result<std::string> Send(const Outgoing& mail) override {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return UnavailableError("Dossier " + dir_ + " impossible à créer : " + ec.message());
    std::time_t t = static_cast<std::time_t>(mail.at / 1000000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    std::string name = std::string(stamp) + "-" + std::to_string(mail.id) + ".eml";
    std::string final_path = dir_ + "/" + name;
    std::string temp_path = dir_ + "/." + name + ".tmp";
    // Written whole, synced, then renamed: a reader never sees half a mail.
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return UnavailableError("Écriture de " + temp_path + " : " + std::strerror(errno));
    std::string_view rest = mail.data;
    while (!rest.empty()) {
      ssize_t n = ::write(fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int e = errno;
        ::close(fd);
        ::unlink(temp_path.c_str());
        return UnavailableError("Écriture de " + temp_path + " : " + std::strerror(e));
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
      int e = errno;
      ::unlink(temp_path.c_str());
      return UnavailableError("Écriture de " + final_path + " : " + std::strerror(e));
    }
    return final_path;
  }

 private:
  std::string dir_;
};

}  // namespace

Result<std::unique_ptr<Mailer>> MakeMailer(const MailerOptions& options) {
  if (options.smtp_url.empty()) {
    if (options.outbox_dir.empty()) {
      return InvalidArgumentError(
          "Ni relais (smtp_url) ni dossier de sortie (outbox_dir) : indiquez l'un des deux.");
    }
    return std::unique_ptr<Mailer>(new OutboxMailer(options.outbox_dir));
  }
  if (options.smtp_url.rfind("smtp://", 0) != 0 && options.smtp_url.rfind("smtps://", 0) != 0) {
    return InvalidArgumentError("smtp_url « " + options.smtp_url +
                                " » : écrivez smtp://relais:587 ou smtps://relais:465.");
  }
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (UrlHost(options.smtp_url).empty()) {
    return InvalidArgumentError("smtp_url « " + options.smtp_url +
                                " » : le nom du relais manque (smtp://relais:587).");
  }
  std::string password;
  if (!options.smtp_user.empty()) {
    if (options.smtp_password_file.empty()) {
      return InvalidArgumentError(
          "smtp_user est indiqué sans smtp_password_file : indiquez le fichier du mot de passe.");
    }
    std::ifstream in(options.smtp_password_file);
    if (!in || !std::getline(in, password)) {
      return InvalidArgumentError("smtp_password_file « " + options.smtp_password_file +
                                  " » illisible : indiquez un fichier dont la première ligne "
                                  "est le mot de passe du relais.");
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
  }
  return std::unique_ptr<Mailer>(new SmtpMailer(options, std::move(password)));
}

}  // namespace caduce::notify
