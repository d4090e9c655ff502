// What `caduce serve` does with uploads, on the App it runs (app/app.h) over a
// real SQLite file, blob folder and loopback HTTP:
//  - mail_max_upload_bytes sets JMAP maxSizeUpload in the session and caps the
//    upload route;
//  - the upload sweep (at start, then every upload_sweep_interval) forgets
//    uploads older than 24 h and removes their files, except a file a message
//    still uses; a recent upload stays;
//  - `caduce mail uploads expire` does the same pass for the operator, and
//    `caduce structure set --mail-adds-sender` changes the structure's setting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "app/app.h"
#include "app/config.h"
#include "mail/mail_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/mail_repo.h"
#include "testing/account_drafts.h"
#include "testing/http_roundtrip.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::app {
namespace {

namespace json = boost::json;
using ::caduce::testing::CookieOf;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;
using ::testing::HasSubstr;

constexpr char kPassword[] = "Le chat boit du thé à 7h";
constexpr int64_t kHour = 3600LL * 1000000;

constexpr char kMessage[] =
    "From: Laboratoire <labo@clinique.fr>\r\nTo: marie.dupont@chu-toulouse.fr\r\n"
    "Subject: Resultats\r\nMessage-ID: <import-1@clinique.fr>\r\n"
    "Date: Fri, 27 Nov 2026 09:00:00 +0100\r\n\r\nBonjour.\r\n";

// The database and mail store as an earlier run left them: a person, and uploads
// made 25 hours ago (one of them imported as a message) and one just now.
class JmapServeUploadsTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  JmapServeUploadsTest() {
    auto blobs = mail::BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    mail_ = std::make_unique<mail::MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_,
                                                clock_, mail::MailOptions{});
    structure_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    marie_ = CreateAccount(caduce::testing::PersonDraft("PER", "marie.dupont@chu-toulouse.fr"),
                           structure_)
                 .id;
    Activate(marie_, kPassword);

    int64_t now = SystemClock::Get().NowMicros();
    clock_.Set(now - 25 * kHour);
    mail::MailActor who{marie_, "marie.dupont@chu-toulouse.fr", "192.0.2.1"};
    auto old = mail_->UploadBlob(who, marie_, "application/pdf", std::string(3000, 'o'));
    EXPECT_TRUE(old.ok());
    old_blob_ = old.ok() ? old->blob_id : "";
    auto imported = mail_->UploadBlob(who, marie_, "message/rfc822", kMessage);
    EXPECT_TRUE(imported.ok());
    imported_blob_ = imported.ok() ? imported->blob_id : "";
    EXPECT_OK(mail_->Import(who, marie_, imported_blob_, {}));
    clock_.Set(now);
    auto recent = mail_->UploadBlob(who, marie_, "image/png", std::string(2000, 'r'));
    EXPECT_TRUE(recent.ok());
    recent_blob_ = recent.ok() ? recent->blob_id : "";
  }
  ~JmapServeUploadsTest() override {
    if (app_) app_->Stop();
  }

  // Starts the App as `caduce serve` would with `config_text` as its file.
  void Start(const std::string& config_text, std::chrono::milliseconds sweep) {
    Config config;
    ASSERT_OK(ApplyConfigText(config_text, "caduce.conf", &config));
    ASSERT_OK(config.Validate());
    AppOptions options;
    options.db_path = dir_.File("caduce.db");
    options.data_dir = caduce::testing::DataDir();
    options.web_dir = "";
    options.listener.address = "127.0.0.1";
    options.listener.port = 0;
    options.auth.cost = auth::PasswordCost::Minimal();
    options.mail.outbox_dir = dir_.File("outbox");
    options.notify.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    options.upload_sweep_interval = sweep;
    options.config = config;
    auto app = App::Start(options);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
  }

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& headers, const std::string& type = "application/json") {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers;
    if (!body.empty() || method == "POST") {
      req += "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    auto r = Roundtrip(app_->port(), req);
    EXPECT_TRUE(r.has_value());
    return r.value_or(HttpResponse{});
  }

  std::string SignIn() {
    json::object o{{"address", "marie.dupont@chu-toulouse.fr"}, {"password", kPassword}};
    HttpResponse r = Send("POST", "/api/session", json::serialize(o), "");
    EXPECT_EQ(r.status, 200) << r.body;
    std::string session = CookieOf(r.SetCookie("caduce_session"));
    std::string csrf = CookieOf(r.SetCookie("caduce_csrf"));
    return "Cookie: caduce_session=" + session + "; caduce_csrf=" + csrf +
           "\r\nX-CSRF-Token: " + csrf + "\r\n";
  }

  int Download(const std::string& who, const std::string& blob) {
    return Send("GET",
                "/jmap/download/A" + std::to_string(marie_) + "/" + blob + "/f?type=text/plain",
                "", who)
        .status;
  }

  // Waits (at most 20 s) until `cond` holds.
  template <class F>
  bool Eventually(F cond) {
    for (int i = 0; i < 400; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return cond();
  }

  bool LogSays(const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const std::string& l : log_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<mail::BlobStore> blobs_;
  std::unique_ptr<mail::MailService> mail_;
  std::unique_ptr<App> app_;
  int64_t structure_ = 0, marie_ = 0;
  std::string old_blob_, imported_blob_, recent_blob_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(JmapServeUploadsTest, ServerSweepsOldUploadsButKeepsWhatAMessageUses) {
  ASSERT_TRUE(blobs_->Exists(old_blob_));
  ASSERT_NO_FATAL_FAILURE(Start("", std::chrono::milliseconds(200)));
  // The pass at start removes the old upload's file, and says so.
  EXPECT_TRUE(Eventually([&] { return !blobs_->Exists(old_blob_); }));
  EXPECT_TRUE(Eventually([&] { return LogSays("1 fichier(s) supprimé(s)"); }));
  // The imported message keeps its file; the recent upload is still usable.
  EXPECT_TRUE(blobs_->Exists(imported_blob_));
  EXPECT_TRUE(blobs_->Exists(recent_blob_));
  std::string who = SignIn();
  EXPECT_EQ(Download(who, old_blob_), 404);
  EXPECT_EQ(Download(who, imported_blob_), 200);
  EXPECT_EQ(Download(who, recent_blob_), 200);

  // An upload expiring while the server runs goes at a later pass.
  clock_.Set(SystemClock::Get().NowMicros() - 25 * kHour);
  mail::MailActor marie{marie_, "marie.dupont@chu-toulouse.fr", ""};
  auto late = mail_->UploadBlob(marie, marie_, "text/plain", std::string(1500, 'l'));
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(Eventually([&] { return !blobs_->Exists(late->blob_id); }));
  EXPECT_TRUE(blobs_->Exists(imported_blob_));
  EXPECT_TRUE(blobs_->Exists(recent_blob_));
}

TEST_F(JmapServeUploadsTest, UploadLimitComesFromTheConfiguration) {
  ASSERT_NO_FATAL_FAILURE(Start("mail_max_upload_bytes = 4096\n", std::chrono::minutes(10)));
  std::string who = SignIn();
  HttpResponse session = Send("GET", "/.well-known/jmap", "", who);
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.Json()
                .at("capabilities")
                .at("urn:ietf:params:jmap:core")
                .at("maxSizeUpload")
                .as_int64(),
            4096);
  std::string url = "/jmap/upload/A" + std::to_string(marie_) + "/";
  HttpResponse fits = Send("POST", url, std::string(4096, 'a'), who, "application/pdf");
  EXPECT_EQ(fits.status, 201) << fits.body;
  HttpResponse big = Send("POST", url, std::string(4097, 'b'), who, "application/pdf");
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_THAT(big.body, HasSubstr("maxSizeUpload"));
  EXPECT_THAT(big.body, HasSubstr("limité à 4 Kio"));
}

TEST_F(JmapServeUploadsTest, DefaultUploadLimitIsTheMessageLimit) {
  ASSERT_NO_FATAL_FAILURE(Start("mail_max_message_bytes = 2097152\n", std::chrono::minutes(10)));
  std::string who = SignIn();
  HttpResponse session = Send("GET", "/.well-known/jmap", "", who);
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.Json()
                .at("capabilities")
                .at("urn:ietf:params:jmap:core")
                .at("maxSizeUpload")
                .as_int64(),
            2097152);
}

#ifdef CADUCE_BINARY
// Runs the caduce command on the test's database; its exit code and output.
std::pair<int, std::string> Caduce(const std::string& db, const std::string& args) {
  std::string cmd = std::string(CADUCE_BINARY) + " --db " + db + " --data " +
                    caduce::testing::DataDir() + " " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(JmapServeUploadsTest, OperatorCommandsSweepUploadsAndSetTheSenderHeader) {
  std::string db = dir_.File("caduce.db");
  auto [code, out] = Caduce(db, "mail uploads expire");
  EXPECT_EQ(code, 0) << out;
  // The recent upload already forgot the expired rows (uploads do as they come):
  // the pass removes the file they left.
  EXPECT_THAT(out, HasSubstr("fichiers supprimés : 1."));
  EXPECT_FALSE(blobs_->Exists(old_blob_));
  EXPECT_TRUE(blobs_->Exists(imported_blob_));
  EXPECT_TRUE(blobs_->Exists(recent_blob_));
  std::tie(code, out) = Caduce(db, "mail uploads expire");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr(": 0 ; fichiers supprimés : 0."));

  std::tie(code, out) = Caduce(db, "structure set 'CHU de Toulouse' --mail-adds-sender on");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("nomment désormais la personne"));
  EXPECT_TRUE(*mail_->StructureAddsSender(structure_));
  std::tie(code, out) = Caduce(db, "structure set 'CHU de Toulouse' --mail-adds-sender oui");
  EXPECT_NE(code, 0) << out;
  std::tie(code, out) = Caduce(db, "structure set 'Clinique inconnue' --mail-adds-sender off");
  EXPECT_NE(code, 0) << out;
  EXPECT_TRUE(*mail_->StructureAddsSender(structure_));
  std::tie(code, out) = Caduce(db, "structure set 'CHU de Toulouse' --mail-adds-sender off");
  EXPECT_EQ(code, 0) << out;
  EXPECT_FALSE(*mail_->StructureAddsSender(structure_));
  std::tie(code, out) = Caduce(db, "audit list --action structure.updated");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("structure.updated"));
}
#endif

}  // namespace
}  // namespace caduce::app
