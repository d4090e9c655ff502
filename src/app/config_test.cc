// Tests of the configuration layers: defaults, file, environment, flags; every
// key's parser; hostile files. Configuration is written inline (STYLE.md §13).
#include "app/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::app {
namespace {

using ::caduce::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A null-terminated environ array over owned strings.
class Env {
 public:
  Env(std::initializer_list<std::string> entries) : strings_(entries) {
    for (std::string& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  char** get() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

std::string MessageOf(const Status& s) { return std::string(s.message()); }

TEST(ConfigTest, DefaultsAreTheDocumentedOnes) {
  Config c;
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8080);
  EXPECT_EQ(c.db_path, "var/caduce.db");
  EXPECT_EQ(c.session_idle_seconds, 30 * 60);
  EXPECT_EQ(c.session_absolute_seconds, 12 * 3600);
  EXPECT_EQ(c.activation_seconds, 7 * 86400);
  EXPECT_EQ(c.reset_seconds, 3600);
  EXPECT_EQ(c.mail.outbox_dir, "var/outbox");
  EXPECT_TRUE(c.mail.smtp_url.empty());
  EXPECT_OK(c.Validate());
  // Each default text of the table parses to the default value.
  for (const ConfigKey& k : ConfigKeys()) {
    EXPECT_EQ(k.env, "CADUCE_" + [&] {
      std::string up(k.name);
      for (char& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return up;
    }()) << k.name;
    EXPECT_FALSE(k.help.empty()) << k.name;
  }
}

TEST(ConfigTest, FileSetsEveryKindOfValue) {
  Config c;
  EXPECT_OK(ApplyConfigText(
      "# caduce.conf\n"
      "\n"
      "listen = [::]:8443\n"
      "  db=/var/lib/caduce/caduce.db  \n"
      "; another comment\n"
      "tls_cert = /etc/caduce/cert.pem\r\n"
      "tls_key = \"/etc/caduce/key with space.pem\"\n"
      "public_url = https://messagerie.chu-demo.fr/\n"
      "session_idle = 15m\n"
      "session_absolute = 8h\n"
      "activation_lifetime = 3d\n"
      "reset_lifetime = 1800s\n"
      "io_threads = 4\n"
      "worker_threads = 3\n"
      "max_connections = 20000\n"
      "max_connections_per_ip = 0\n"
      "smtp_url = smtp://relais.chu-demo.fr:587\n"
      "smtp_user = caduce\n"
      "smtp_password_file = /etc/caduce/smtp-password\n"
      "smtp_starttls = required\n"
      "mail_from = Messagerie du CHU <ne-pas-repondre@chu-demo.fr>\n"
      "outbox_dir = /var/spool/caduce\n"
      "log_format = text\n",
      "caduce.conf", &c));
  EXPECT_EQ(c.listen_address, "::");
  EXPECT_EQ(c.listen_port, 8443);
  EXPECT_EQ(c.db_path, "/var/lib/caduce/caduce.db");
  EXPECT_EQ(c.tls_cert, "/etc/caduce/cert.pem");
  EXPECT_EQ(c.tls_key, "/etc/caduce/key with space.pem");
  EXPECT_EQ(c.public_url, "https://messagerie.chu-demo.fr");
  EXPECT_EQ(c.session_idle_seconds, 900);
  EXPECT_EQ(c.session_absolute_seconds, 8 * 3600);
  EXPECT_EQ(c.activation_seconds, 3 * 86400);
  EXPECT_EQ(c.reset_seconds, 1800);
  EXPECT_EQ(c.io_threads, 4);
  EXPECT_EQ(c.worker_threads, 3);
  EXPECT_EQ(c.max_connections, 20000u);
  EXPECT_EQ(c.max_connections_per_ip, 0u);
  EXPECT_EQ(c.mail.smtp_url, "smtp://relais.chu-demo.fr:587");
  EXPECT_EQ(c.mail.smtp_user, "caduce");
  EXPECT_EQ(c.mail.smtp_password_file, "/etc/caduce/smtp-password");
  EXPECT_EQ(c.mail.smtp_starttls, "required");
  EXPECT_EQ(c.mail.mail_from, "Messagerie du CHU <ne-pas-repondre@chu-demo.fr>");
  EXPECT_EQ(c.mail.outbox_dir, "/var/spool/caduce");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_OK(c.Validate());
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKnownKeys) {
  Config c;
  Status s = ApplyConfigText("listen = 127.0.0.1:9000\nsession_idel = 10m\n", "/etc/caduce.conf", &c);
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(MessageOf(s), AllOf(HasSubstr("/etc/caduce.conf, ligne 2"),
                                  HasSubstr("« session_idel » inconnue"),
                                  HasSubstr("session_idle")));
  // Nothing of a rejected file is applied, not even its valid first line.
  EXPECT_EQ(c.listen_port, 8080);
}

TEST(ConfigTest, BadValuesNameTheKeyAndTheFix) {
  struct Case {
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"listen = 8080", "ADRESSE:PORT"},
      {"listen = 127.0.0.1:70000", "ADRESSE:PORT"},
      {"listen = ::1:8080", "ADRESSE:PORT"},
      {"listen = localhost:8080", "ADRESSE:PORT"},
      {"db = ", "chemin"},
      {"session_idle = 30", "suivi de s (secondes)"},
      {"session_idle = 30w", "unité inconnue"},
      {"session_idle = -5m", "durée invalide"},
      {"session_idle = 0m", "hors limites"},
      {"session_absolute = 99999999999d", "hors limites"},
      {"reset_lifetime = 400d", "hors limites"},
      {"io_threads = 0", "de 1 à 256"},
      {"io_threads = 2.5", "nombre entier"},
      {"max_connections = 99999999999999999999", "nombre entier"},
      {"max_connections_per_ip = -1", "nombre entier"},
      {"public_url = messagerie.chu-demo.fr", "https://"},
      {"public_url = https://x.fr/?a=1", "adresse invalide"},
      {"public_url = https://user@x.fr", "adresse invalide"},
      {"public_url = https://", "adresse invalide"},
      {"smtp_url = http://relais:25", "smtp://relais:587"},
      {"smtp_starttls = maybe", "auto, required, off"},
      {"mail_from = pas une adresse", "adresse d'expéditeur invalide"},
      {"mail_from = A <a@b@c>", "adresse d'expéditeur invalide"},
      {"log_format = xml", "json, text"},
      {"listen", "clé = valeur"},
  };
  for (const Case& k : cases) {
    Config c;
    Status s = ApplyConfigText(k.line + "\n", "c.conf", &c);
    EXPECT_THAT(s, StatusIs(Code::kInvalidArgument)) << k.line;
    EXPECT_THAT(MessageOf(s), HasSubstr("c.conf, ligne 1")) << k.line;
    EXPECT_THAT(MessageOf(s), HasSubstr(k.expected)) << k.line << " → " << s.message();
  }
}

TEST(ConfigTest, HostileFilesAreRefusedWithTheirLine) {
  Config c;
  EXPECT_THAT(MessageOf(ApplyConfigText("db = a\n" + std::string(5000, 'x') + "\n", "f", &c)),
              HasSubstr("f, ligne 2 : ligne trop longue"));
  EXPECT_THAT(MessageOf(ApplyConfigText("db = \xC3\x28\n", "f", &c)),
              HasSubstr("f, ligne 1 : UTF-8 invalide"));
  EXPECT_THAT(MessageOf(ApplyConfigText(std::string("db = a\0b\n", 9), "f", &c)),
              HasSubstr("f, ligne 1"));
  EXPECT_THAT(MessageOf(ApplyConfigText("db = a\x1b[31m\n", "f", &c)),
              HasSubstr("caractère de contrôle"));
  EXPECT_THAT(MessageOf(ApplyConfigText(std::string(2 << 20, '#'), "f", &c)),
              HasSubstr("fichier trop grand"));
  EXPECT_THAT(MessageOf(ApplyConfigText("db = a\ndb = b\n", "f", &c)),
              HasSubstr("f, ligne 2 : db est déjà donnée ligne 1"));
  EXPECT_THAT(MessageOf(ApplyConfigText("= value\n", "f", &c)), HasSubstr("inconnue"));
  // A BOM and CRLF line ends (Windows editors) are fine.
  EXPECT_OK(ApplyConfigText("\xEF\xBB\xBFlisten = 127.0.0.1:9001\r\n", "f", &c));
  EXPECT_EQ(c.listen_port, 9001);
  EXPECT_EQ(c.db_path, "var/caduce.db");
}

TEST(ConfigTest, CrossKeyChecks) {
  Config c;
  ASSERT_OK(c.Set("tls_cert", "/c.pem", "test"));
  EXPECT_THAT(MessageOf(c.Validate()), HasSubstr("tls_cert et tls_key vont ensemble"));
  ASSERT_OK(c.Set("tls_key", "/k.pem", "test"));
  EXPECT_OK(c.Validate());
  ASSERT_OK(c.Set("session_idle", "13h", "test"));
  EXPECT_THAT(MessageOf(c.Validate()), HasSubstr("session_idle dépasse session_absolute"));
  Config m;
  ASSERT_OK(m.Set("smtp_url", "smtps://relais:465", "test"));
  ASSERT_OK(m.Set("smtp_starttls", "required", "test"));
  EXPECT_THAT(m.Validate(), StatusIs(Code::kInvalidArgument));
}

TEST(ConfigTest, Argon2CostStaysAtOrAboveOwaspAndTheWorkerQueueIsCapped) {
  Config c;
  EXPECT_EQ(c.argon2_memory_mib, 19);
  EXPECT_EQ(c.argon2_passes, 2);
  EXPECT_EQ(c.worker_queue, 32);
  ASSERT_OK(c.Set("argon2_memory", "46", "test"));
  ASSERT_OK(c.Set("argon2_passes", "1", "test"));
  EXPECT_OK(c.Validate());
  ASSERT_OK(c.Set("argon2_memory", "19", "test"));
  EXPECT_THAT(MessageOf(c.Validate()), HasSubstr("minimums de l'OWASP"));
  ASSERT_OK(c.Set("argon2_memory", "7", "test"));
  ASSERT_OK(c.Set("argon2_passes", "5", "test"));
  EXPECT_OK(c.Validate());
  EXPECT_THAT(c.Set("argon2_memory", "6", "test"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(c.Set("argon2_passes", "0", "test"), StatusIs(Code::kInvalidArgument));
  ASSERT_OK(c.Set("worker_queue", "0", "test"));
  EXPECT_EQ(c.worker_queue, 0);
  EXPECT_THAT(c.Set("worker_queue", "-1", "test"), StatusIs(Code::kInvalidArgument));
}

TEST(ConfigTest, EnvironmentOverridesFileAndFlagsOverrideBoth) {
  caduce::testing::TempDir dir;
  const std::string path = dir.File("caduce.conf");
  std::ofstream(path) << "listen = 127.0.0.1:9000\nsession_idle = 10m\ndb = from-file.db\n";
  Env env({"CADUCE_SESSION_IDLE=20m", "CADUCE_DB=from-env.db", "PATH=/usr/bin",
           "CADUCE_BENCH_KEEP=1", "CADUCE_UNRELATED", "NOT_CADUCE_DB=x"});
  Result<Config> c = LoadConfig(path, env.get());
  ASSERT_OK(c.status());
  EXPECT_EQ(c->listen_port, 9000);            // file
  EXPECT_EQ(c->session_idle_seconds, 1200);   // environment over file
  EXPECT_EQ(c->db_path, "from-env.db");
  ASSERT_OK(c->Set("db", "from-flag.db", "option --db"));  // flag over both
  EXPECT_EQ(c->db_path, "from-flag.db");
}

TEST(ConfigTest, ConfigFileFromEnvironmentAndErrors) {
  caduce::testing::TempDir dir;
  const std::string path = dir.File("other.conf");
  std::ofstream(path) << "io_threads = 3\n";
  Env env({"CADUCE_CONFIG=" + path});
  Result<Config> c = LoadConfig("", env.get());
  ASSERT_OK(c.status());
  EXPECT_EQ(c->io_threads, 3);

  EXPECT_THAT(LoadConfig(dir.File("missing.conf"), nullptr), StatusIs(Code::kNotFound));
  EXPECT_THAT(LoadConfig(dir.path(), nullptr), StatusIs(Code::kInvalidArgument));
  Env bad({"CADUCE_IO_THREADS=lots"});
  Result<Config> b = LoadConfig(path, bad.get());
  EXPECT_THAT(b.status(), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(MessageOf(b.status()),
              AllOf(HasSubstr("variable CADUCE_IO_THREADS"), HasSubstr("io_threads")));
}

TEST(ConfigTest, ParseListenForms) {
  std::string address;
  uint16_t port = 0;
  EXPECT_OK(ParseListen("0.0.0.0:443", &address, &port));
  EXPECT_EQ(address, "0.0.0.0");
  EXPECT_EQ(port, 443);
  EXPECT_OK(ParseListen("[::1]:0", &address, &port));
  EXPECT_EQ(address, "::1");
  EXPECT_EQ(port, 0);
  for (const char* bad : {"", ":80", "[::1]", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:8O",
                          "[::1]:80:", "a b:80", "1.2.3.4:123456"}) {
    EXPECT_THAT(ParseListen(bad, &address, &port), StatusIs(Code::kInvalidArgument)) << bad;
  }
}

TEST(ConfigTest, UploadLimitFollowsTheMessageLimitAndNeverExceedsIt) {
  Config c;
  EXPECT_EQ(c.MaxUploadBytes(), 25 * 1024 * 1024);
  ASSERT_OK(c.Set("mail_max_message_bytes", "1048576", "test"));
  EXPECT_EQ(c.MaxUploadBytes(), 1048576);
  EXPECT_OK(c.Validate());
  ASSERT_OK(ApplyConfigText("mail_max_upload_bytes = 65536\n", "caduce.conf", &c));
  EXPECT_EQ(c.MaxUploadBytes(), 65536);
  EXPECT_OK(c.Validate());
  ASSERT_OK(c.Set("mail_max_upload_bytes", "2097152", "variable CADUCE_MAIL_MAX_UPLOAD_BYTES"));
  EXPECT_THAT(MessageOf(c.Validate()),
              HasSubstr("mail_max_upload_bytes (2097152) dépasse mail_max_message_bytes"));
  for (const char* bad : {"", "1023", "-5", "12k", "1073741825", "9999999999999999999"}) {
    Status s = c.Set("mail_max_upload_bytes", bad, "caduce.conf, ligne 3");
    EXPECT_THAT(s, StatusIs(Code::kInvalidArgument)) << bad;
    EXPECT_THAT(MessageOf(s), HasSubstr("mail_max_upload_bytes")) << bad;
  }
  EXPECT_EQ(c.mail_max_upload_bytes, 2097152);  // a refused value changes nothing
}

TEST(ConfigTest, RemoteImagesAreOnOrOffAndPrivateAddressesStayClosed) {
  Config c;
  EXPECT_TRUE(c.remote_images);
  EXPECT_FALSE(c.remote_images_allow_private);
  ASSERT_OK(ApplyConfigText("remote_images = off\nremote_images_allow_private = on\n",
                            "caduce.conf", &c));
  EXPECT_FALSE(c.remote_images);
  EXPECT_TRUE(c.remote_images_allow_private);
  for (const char* bad : {"", "oui", "ON", "1", "true", "on "}) {
    Status s = c.Set("remote_images", bad, "caduce.conf, ligne 2");
    EXPECT_THAT(s, StatusIs(Code::kInvalidArgument)) << bad;
    EXPECT_THAT(MessageOf(s), AllOf(HasSubstr("remote_images"), HasSubstr("on ou off"))) << bad;
  }
  EXPECT_FALSE(c.remote_images);  // a refused value changes nothing
  char variable[] = "CADUCE_REMOTE_IMAGES=on";
  char* environment[] = {variable, nullptr};
  ASSERT_OK(ApplyEnvironment(environment, &c));
  EXPECT_TRUE(c.remote_images);
}

}  // namespace
}  // namespace caduce::app
