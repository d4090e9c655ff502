// A delivery that returned survives the process being killed right after: a child
// process delivers from several threads and reports each acknowledged delivery
// through a pipe; it is killed with SIGKILL in the middle of its deliveries, and
// the parent opens the same SQLite file and blob folder again and finds every
// acknowledged message, its row and its blob file intact, and no row without its
// blob.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "directory/directory_service.h"
#include "directory/reference_data.h"
#include "mail/mail_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "store_sqlite/mail_repo.h"
#include "testing/account_drafts.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::mail {
namespace {

// The store as a process opens it: the database file, the blob folder, the service.
struct Store {
  explicit Store(const caduce::testing::TempDir& dir) {
    store_sqlite::Options o;
    o.path = dir.File("caduce.db");
    auto d = store_sqlite::SqliteDatabase::Open(o);
    if (!d.ok()) return;
    db = std::move(*d);
    auto r = directory::ReferenceData::Load(caduce::testing::DataDir());
    if (!r.ok()) return;
    ref = std::move(*r);
    audit = std::make_unique<audit::AuditLog>(audit_repo, SystemClock::Get());
    directory = std::make_unique<directory::DirectoryService>(*db, dir_repo, *audit, ref,
                                                              SystemClock::Get());
    auto b = BlobStore::Open(dir.File("blobs"));
    if (!b.ok()) return;
    blobs = std::move(*b);
    mail = std::make_unique<MailService>(*db, mail_repo, dir_repo, *audit, *blobs,
                                         SystemClock::Get(), MailOptions{});
  }
  bool ok() const { return mail != nullptr; }

  std::unique_ptr<store_sqlite::SqliteDatabase> db;
  directory::ReferenceData ref;
  store_sqlite::SqliteDirectoryRepository dir_repo;
  store_sqlite::SqliteAuditRepository audit_repo;
  store_sqlite::SqliteMailRepository mail_repo;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<directory::DirectoryService> directory;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<MailService> mail;
};

// The child: delivers from 4 threads until it is killed, writing the id of each
// acknowledged message to `fd` (8 bytes: a pipe writes them whole).
[[noreturn]] void DeliverUntilKilled(const caduce::testing::TempDir& dir, int fd) {
  Store s(dir);
  if (!s.ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string body(8 * 1024, 'a' + t);
      for (int i = 0;; ++i) {
        std::string raw = "From: Laboratoire <labo@biologie.fr>\r\nTo: paul.martin@chu-toulouse.fr\r\n"
                          "Subject: Résultat " + std::to_string(t) + "-" + std::to_string(i) +
                          "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
        auto r = s.mail->Deliver(raw, "labo@biologie.fr", {"paul.martin@chu-toulouse.fr"});
        if (!r.ok() || r->delivered.size() != 1) _exit(4);
        int64_t id = r->delivered[0].email_id;
        if (::write(fd, &id, sizeof id) != sizeof id) _exit(5);
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

TEST(MailDurabilityTest, EveryAcknowledgedDeliverySurvivesAKillRightAfter) {
  caduce::testing::TempDir dir;
  int64_t paul = 0;
  {
    Store s(dir);
    ASSERT_TRUE(s.ok());
    directory::Structure st;
    st.name = "CHU de Toulouse";
    std::vector<directory::Finding> findings;
    auto created = s.directory->CreateStructure(directory::Actor::CommandLine(), st, &findings);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    auto a = s.directory->CreateAccount(
        directory::Actor::CommandLine(), created->id,
        caduce::testing::PersonDraft("MED", "paul.martin@chu-toulouse.fr"), {}, &findings);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    paul = a->id;
  }  // closed before the child opens it

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    DeliverUntilKilled(dir, fds[1]);
  }
  ::close(fds[1]);
  // Kill it while its threads deliver, once some deliveries were acknowledged.
  std::set<int64_t> acknowledged;
  int64_t id = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (acknowledged.size() < 60 && std::chrono::steady_clock::now() < deadline &&
         ::read(fds[0], &id, sizeof id) == sizeof id) {
    acknowledged.insert(id);
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself with " << WEXITSTATUS(status);
  // What it acknowledged before it died counts too.
  while (::read(fds[0], &id, sizeof id) == sizeof id) acknowledged.insert(id);
  ::close(fds[0]);
  ASSERT_GE(acknowledged.size(), 60u);

  Store s(dir);
  ASSERT_TRUE(s.ok());
  MailActor paul_actor{paul, "paul.martin@chu-toulouse.fr", "192.0.2.8"};
  std::vector<int64_t> ids(acknowledged.begin(), acknowledged.end());
  ASSERT_OK_AND_ASSIGN(std::vector<Email> found, s.mail->GetEmails(paul_actor, paul, ids));
  EXPECT_EQ(found.size(), acknowledged.size());
  for (const Email& e : found) {
    ASSERT_OK_AND_ASSIGN(std::string raw, s.blobs->Read(e.blob_id));
    EXPECT_THAT(raw, ::testing::HasSubstr("Subject: Résultat "));
    EXPECT_EQ(e.size, static_cast<int64_t>(raw.size()));
  }
  // No committed row names a missing blob, acknowledged or not.
  auto tx = s.db->Begin(storage::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx), "SELECT blob_id FROM emails");
  int rows = 0;
  while (st.Step()) {
    ++rows;
    EXPECT_TRUE(s.blobs->Exists(st.Text(0))) << st.Text(0);
  }
  EXPECT_GE(rows, static_cast<int>(acknowledged.size()));
}

}  // namespace
}  // namespace caduce::mail
