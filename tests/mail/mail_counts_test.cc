// The counts of each mailbox (total and unread) that Mailbox/get shows, kept by the
// store as messages arrive, are read, moved and destroyed instead of being counted
// at each request (issue 7): after delivery, read and unread, move, copy, destroy,
// import, drafts and sending; per person in an ORG mailbox whose read state is per
// person (two persons); a destroyed folder; a database written before the counts
// were kept (migration 11 fills them); and a random sequence of actions compared
// with a fresh count of the rows. Real SQLite file, real blob folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <random>

#include "directory/reference_data.h"
#include "mail/mail_service.h"
#include "store_sqlite/db.h"
#include "store_sqlite/mail_repo.h"
#include "store_sqlite/migrations.h"
#include "testing/account_drafts.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::mail {
namespace {

using ::caduce::testing::IsOk;
using ::testing::SizeIs;

std::string Message(const std::string& subject, const std::string& to) {
  return "From: Dr Léger <francois.leger@clinique.fr>\r\nTo: " + to + "\r\nSubject: " + subject +
         "\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\nMessage-ID: <" + subject +
         "@clinique.fr>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n";
}

// What a person sees of a mailbox in the folder list.
struct Counts {
  int64_t total = 0, unread = 0;
  bool operator==(const Counts&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Counts& c) {
  return os << "{total " << c.total << ", unread " << c.unread << "}";
}

class MailCountsTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  MailCountsTest() : ServiceStack({.common_passwords = false}) { Open(); }

  void Open() {
    auto blobs = BlobStore::Open(dir_.File("blobs"));
    ASSERT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    MailOptions mo;
    mo.local_domains = {"chu-toulouse.fr"};
    mail_ = std::make_unique<MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_, mo);
  }

  void CreateAccounts() {
    structure_ = MakeStructure("CHU de Toulouse");
    ASSERT_NE(structure_, 0);
    marie_ = Create(caduce::testing::PersonDraft("PER", "marie.dupont@chu-toulouse.fr"));
    paul_ = Create(caduce::testing::PersonDraft("MED", "paul.martin@chu-toulouse.fr", "Martin", "Paul"));
    jean_ = Create(caduce::testing::PersonDraft("MED", "jean.roux@chu-toulouse.fr", "Roux", "Jean"));
    org_ = Create(caduce::testing::SharedDraft(
        "ORG", "secretariat@chu-toulouse.fr",
        "marie.dupont@chu-toulouse.fr;paul.martin@chu-toulouse.fr"));
    marie_actor_ = {marie_, "marie.dupont@chu-toulouse.fr", "192.0.2.7"};
    paul_actor_ = {paul_, "paul.martin@chu-toulouse.fr", "192.0.2.8"};
    jean_actor_ = {jean_, "jean.roux@chu-toulouse.fr", "192.0.2.9"};
  }

  int64_t Create(const directory::AccountDraft& d) { return CreateAccount(d, structure_).id; }

  int64_t DeliverTo(const std::string& subject, const std::string& rcpt) {
    auto r = mail_->Deliver(Message(subject, rcpt), "francois.leger@clinique.fr", {rcpt});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && !r->delivered.empty() ? r->delivered.front().email_id : 0;
  }

  // Mailbox/get as `who` sees it: mailbox id → counts.
  std::map<int64_t, Counts> Boxes(const MailActor& who, int64_t account) {
    std::map<int64_t, Counts> out;
    auto list = mail_->Mailboxes(who, account);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) return out;
    for (const Mailbox& m : *list) out[m.id] = {m.total_emails, m.unread_emails};
    return out;
  }

  Counts Box(const MailActor& who, int64_t account, int64_t mailbox) {
    return Boxes(who, account)[mailbox];
  }

  int64_t RoleBox(const MailActor& who, int64_t account, Role role) {
    auto list = mail_->Mailboxes(who, account);
    EXPECT_TRUE(list.ok());
    for (const Mailbox& m : *list) {
      if (m.role == role) return m.id;
    }
    return 0;
  }

  // The counts computed from the rows, as Mailbox/get did before they were kept.
  std::map<int64_t, Counts> Fresh(int64_t account, int64_t person, bool per_person) {
    auto tx = db_->Begin(storage::TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    auto& conn = store_sqlite::SqliteTx::ConnOf(**tx);
    std::map<int64_t, Counts> out;
    store_sqlite::Stmt st(
        conn,
        per_person
            ? "SELECT b.id, (SELECT count(*) FROM email_mailboxes m WHERE m.mailbox_id = b.id),"
              " (SELECT count(*) FROM email_mailboxes m WHERE m.mailbox_id = b.id AND NOT EXISTS"
              " (SELECT 1 FROM email_seen s WHERE s.email_id = m.email_id AND s.person_id = ?2))"
              " FROM mailboxes b WHERE b.account_id = ?1"
            : "SELECT b.id, (SELECT count(*) FROM email_mailboxes m WHERE m.mailbox_id = b.id),"
              " (SELECT count(*) FROM email_mailboxes m JOIN emails e ON e.id = m.email_id"
              " WHERE m.mailbox_id = b.id AND (e.keywords & 1) = 0 AND ?2 = ?2)"
              " FROM mailboxes b WHERE b.account_id = ?1");
    st.Bind(1, account).Bind(2, person);
    while (st.Step()) out[st.Int64(0)] = {st.Int64(1), st.Int64(2)};
    EXPECT_THAT(st.status(), IsOk());
    return out;
  }

  int64_t Count(const std::string& sql) {
    auto tx = db_->Begin(storage::TxMode::kRead);
    store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx), sql);
    return st.Step() ? st.Int64(0) : -1;
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MailService> mail_;
  int64_t structure_ = 0, marie_ = 0, paul_ = 0, jean_ = 0, org_ = 0;
  MailActor marie_actor_, paul_actor_, jean_actor_;
};

class MailCountsWithAccountsTest : public MailCountsTest {
 protected:
  MailCountsWithAccountsTest() { CreateAccounts(); }
};

TEST_F(MailCountsWithAccountsTest, DeliveredMessagesAreUnreadInTheInboxOnly) {
  for (const char* s : {"a", "b", "c"}) DeliverTo(s, "jean.roux@chu-toulouse.fr");
  int64_t inbox = RoleBox(jean_actor_, jean_, Role::kInbox);
  for (const auto& [id, c] : Boxes(jean_actor_, jean_)) {
    EXPECT_EQ(c, (id == inbox ? Counts{3, 3} : Counts{0, 0})) << id;
  }
  // A delivery to several accounts counts once in each.
  auto r = mail_->Deliver(Message("d", "x"), "francois.leger@clinique.fr",
                          {"jean.roux@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{4, 4}));
  EXPECT_EQ(Box(marie_actor_, marie_, RoleBox(marie_actor_, marie_, Role::kInbox)), (Counts{1, 1}));
}

TEST_F(MailCountsWithAccountsTest, ReadAndUnreadChangeTheUnreadCount) {
  int64_t a = DeliverTo("a", "jean.roux@chu-toulouse.fr");
  int64_t b = DeliverTo("b", "jean.roux@chu-toulouse.fr");
  int64_t inbox = RoleBox(jean_actor_, jean_, Role::kInbox);
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, a, kSeen, 0), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{2, 1}));
  // Read again, or another keyword: nothing changes.
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, a, kSeen, 0), IsOk());
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, b, kFlagged, 0), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{2, 1}));
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, b, kSeen, kFlagged), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{2, 0}));
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, a, 0, kSeen), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{2, 1}));
}

TEST_F(MailCountsWithAccountsTest, MoveCopyAndDestroyCarryTheCountsAlong) {
  int64_t a = DeliverTo("a", "jean.roux@chu-toulouse.fr");
  int64_t b = DeliverTo("b", "jean.roux@chu-toulouse.fr");
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, b, kSeen, 0), IsOk());
  int64_t inbox = RoleBox(jean_actor_, jean_, Role::kInbox);
  int64_t trash = RoleBox(jean_actor_, jean_, Role::kTrash);
  ASSERT_OK_AND_ASSIGN(Mailbox folder, mail_->CreateMailbox(jean_actor_, jean_, "Cardiologie", 0));
  ASSERT_THAT(mail_->Copy(jean_actor_, jean_, a, folder.id), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{2, 1}));
  EXPECT_EQ(Box(jean_actor_, jean_, folder.id), (Counts{1, 1}));
  // Reading a message in two folders counts in both.
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, a, kSeen, 0), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{2, 0}));
  EXPECT_EQ(Box(jean_actor_, jean_, folder.id), (Counts{1, 0}));
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, a, 0, kSeen), IsOk());
  ASSERT_THAT(mail_->Move(jean_actor_, jean_, b, folder.id), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{1, 1}));
  EXPECT_EQ(Box(jean_actor_, jean_, folder.id), (Counts{2, 1}));
  // Destroy: first to the Corbeille (out of every folder), then for good.
  ASSERT_THAT(mail_->Destroy(jean_actor_, jean_, a), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, inbox), (Counts{0, 0}));
  EXPECT_EQ(Box(jean_actor_, jean_, folder.id), (Counts{1, 0}));
  EXPECT_EQ(Box(jean_actor_, jean_, trash), (Counts{1, 1}));
  ASSERT_THAT(mail_->Destroy(jean_actor_, jean_, a), IsOk());
  EXPECT_EQ(Box(jean_actor_, jean_, trash), (Counts{0, 0}));
  EXPECT_EQ(Boxes(jean_actor_, jean_), Fresh(jean_, jean_, false));
}

TEST_F(MailCountsWithAccountsTest, PerPersonReadStateCountsEachPersonApart) {
  ASSERT_THAT(mail_->SetReadStatePerPerson(org_, true), IsOk());
  int64_t a = DeliverTo("a", "secretariat@chu-toulouse.fr");
  int64_t b = DeliverTo("b", "secretariat@chu-toulouse.fr");
  DeliverTo("c", "secretariat@chu-toulouse.fr");
  int64_t inbox = RoleBox(marie_actor_, org_, Role::kInbox);
  int64_t archive = RoleBox(marie_actor_, org_, Role::kArchive);
  int64_t trash = RoleBox(marie_actor_, org_, Role::kTrash);
  ASSERT_THAT(mail_->SetKeywords(marie_actor_, org_, a, kSeen, 0), IsOk());
  ASSERT_THAT(mail_->SetKeywords(marie_actor_, org_, b, kSeen, 0), IsOk());
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, org_, a, kSeen, 0), IsOk());
  EXPECT_EQ(Box(marie_actor_, org_, inbox), (Counts{3, 1}));
  EXPECT_EQ(Box(paul_actor_, org_, inbox), (Counts{3, 2}));
  // Paul reads b then marks it unread again: Marie's count does not move.
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, org_, b, kSeen, 0), IsOk());
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, org_, b, 0, kSeen), IsOk());
  EXPECT_EQ(Box(marie_actor_, org_, inbox), (Counts{3, 1}));
  EXPECT_EQ(Box(paul_actor_, org_, inbox), (Counts{3, 2}));
  // Moving a message read by both carries each person's read state along.
  ASSERT_THAT(mail_->Move(paul_actor_, org_, a, archive), IsOk());
  EXPECT_EQ(Box(marie_actor_, org_, inbox), (Counts{2, 1}));
  EXPECT_EQ(Box(paul_actor_, org_, inbox), (Counts{2, 2}));
  EXPECT_EQ(Box(marie_actor_, org_, archive), (Counts{1, 0}));
  EXPECT_EQ(Box(paul_actor_, org_, archive), (Counts{1, 0}));
  // b, read by Marie only, goes to the Corbeille.
  ASSERT_THAT(mail_->Destroy(paul_actor_, org_, b), IsOk());
  EXPECT_EQ(Box(marie_actor_, org_, trash), (Counts{1, 0}));
  EXPECT_EQ(Box(paul_actor_, org_, trash), (Counts{1, 1}));
  ASSERT_THAT(mail_->Destroy(paul_actor_, org_, b), IsOk());
  EXPECT_EQ(Box(marie_actor_, org_, trash), (Counts{0, 0}));
  EXPECT_EQ(Box(paul_actor_, org_, trash), (Counts{0, 0}));
  EXPECT_EQ(Boxes(marie_actor_, org_), Fresh(org_, marie_, true));
  EXPECT_EQ(Boxes(paul_actor_, org_), Fresh(org_, paul_, true));
  // Back to a read state shared by the team: the shared $seen counts (nobody set it).
  ASSERT_THAT(mail_->SetReadStatePerPerson(org_, false), IsOk());
  EXPECT_EQ(Box(marie_actor_, org_, inbox), (Counts{1, 1}));
  EXPECT_EQ(Box(marie_actor_, org_, archive), (Counts{1, 1}));
  EXPECT_EQ(Boxes(paul_actor_, org_), Fresh(org_, paul_, false));
}

TEST_F(MailCountsWithAccountsTest, ADestroyedFolderLeavesNoCountBehind) {
  ASSERT_THAT(mail_->SetReadStatePerPerson(org_, true), IsOk());
  int64_t a = DeliverTo("a", "secretariat@chu-toulouse.fr");
  int64_t inbox = RoleBox(marie_actor_, org_, Role::kInbox);
  ASSERT_OK_AND_ASSIGN(Mailbox folder, mail_->CreateMailbox(marie_actor_, org_, "Urgent", 0));
  ASSERT_THAT(mail_->Move(marie_actor_, org_, a, folder.id), IsOk());
  ASSERT_THAT(mail_->SetKeywords(marie_actor_, org_, a, kSeen, 0), IsOk());
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, org_, a, kSeen, 0), IsOk());
  ASSERT_THAT(mail_->Move(marie_actor_, org_, a, inbox), IsOk());
  ASSERT_THAT(mail_->DestroyMailbox(marie_actor_, org_, folder.id), IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM mailbox_seen WHERE mailbox_id = " +
                  std::to_string(folder.id)),
            0);
  EXPECT_EQ(Boxes(marie_actor_, org_).count(folder.id), 0u);
  EXPECT_EQ(Box(marie_actor_, org_, inbox), (Counts{1, 0}));
  // A folder created afterwards starts empty, whatever id it gets.
  ASSERT_OK_AND_ASSIGN(Mailbox again, mail_->CreateMailbox(marie_actor_, org_, "Urgent", 0));
  EXPECT_EQ(Box(paul_actor_, org_, again.id), (Counts{0, 0}));
  EXPECT_EQ(Boxes(marie_actor_, org_), Fresh(org_, marie_, true));
}

TEST_F(MailCountsWithAccountsTest, ImportDraftAndSendingKeepCounts) {
  // Email/import of a message already read, and of one unread.
  ASSERT_OK_AND_ASSIGN(Upload up, mail_->UploadBlob(paul_actor_, org_, "message/rfc822",
                                                   Message("importé", "secretariat@chu-toulouse.fr")));
  NewMessage read_where;
  read_where.keywords = kSeen;
  ASSERT_THAT(mail_->Import(paul_actor_, org_, up.blob_id, read_where), IsOk());
  ASSERT_THAT(mail_->Import(paul_actor_, org_, up.blob_id, {}), IsOk());
  int64_t inbox = RoleBox(paul_actor_, org_, Role::kInbox);
  EXPECT_EQ(Box(paul_actor_, org_, inbox), (Counts{2, 1}));
  // A draft is written read ($draft $seen); marked unread it counts in « Brouillons »,
  // and once sent it is filed read in « Envoyés ».
  Draft d;
  d.from = {{"", "secretariat@chu-toulouse.fr"}};
  d.to = {{"", "marie.dupont@chu-toulouse.fr"}};
  d.subject = "Rendez-vous";
  d.text_body = "Bonjour.";
  ASSERT_OK_AND_ASSIGN(StoredMessage draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  int64_t drafts = RoleBox(paul_actor_, org_, Role::kDrafts);
  int64_t sent = RoleBox(paul_actor_, org_, Role::kSent);
  EXPECT_EQ(Box(paul_actor_, org_, drafts), (Counts{1, 0}));
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, org_, draft.email_id, 0, kSeen), IsOk());
  EXPECT_EQ(Box(paul_actor_, org_, drafts), (Counts{1, 1}));
  SubmissionRequest req;
  req.email_id = draft.email_id;
  req.file_in_sent = true;
  ASSERT_THAT(mail_->Submit(paul_actor_, org_, req), IsOk());
  EXPECT_EQ(Box(paul_actor_, org_, drafts), (Counts{0, 0}));
  EXPECT_EQ(Box(paul_actor_, org_, sent), (Counts{1, 0}));
  EXPECT_EQ(Box(marie_actor_, marie_, RoleBox(marie_actor_, marie_, Role::kInbox)), (Counts{1, 1}));
  EXPECT_EQ(Boxes(paul_actor_, org_), Fresh(org_, paul_, false));
}

// Random actions by two persons on an ORG mailbox (switching its read state now
// and then) and on a person's own mailbox; after each, what Mailbox/get shows
// equals a fresh count of the rows, for each person.
TEST_F(MailCountsWithAccountsTest, RandomActionsKeepCountsEqualToAFreshCount) {
  std::mt19937 rng(20261127);
  struct Scope {
    int64_t account;
    std::vector<MailActor> people;
  };
  std::vector<Scope> scopes = {{org_, {marie_actor_, paul_actor_}}, {jean_, {jean_actor_}}};
  std::map<int64_t, bool> per_person = {{org_, false}, {jean_, false}};
  std::map<int64_t, std::vector<int64_t>> emails;
  std::map<int64_t, std::vector<int64_t>> folders;
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int folder_names = 0;
  for (int step = 0; step < 400; ++step) {
    Scope& sc = scopes[pick(scopes.size())];
    const MailActor& who = sc.people[pick(sc.people.size())];
    std::vector<int64_t>& ids = emails[sc.account];
    auto boxes = Boxes(who, sc.account);
    std::vector<int64_t> box_ids;
    for (const auto& [id, c] : boxes) box_ids.push_back(id);
    int action = static_cast<int>(pick(ids.empty() ? 1 : 10));
    std::string what;
    switch (action) {
      case 0: {
        std::string rcpt = sc.account == org_ ? "secretariat@chu-toulouse.fr" : "jean.roux@chu-toulouse.fr";
        ids.push_back(DeliverTo("m" + std::to_string(step), rcpt));
        what = "deliver";
        break;
      }
      case 1:
      case 2:
      case 3: {
        uint32_t bit = pick(4) == 0 ? kFlagged : kSeen;
        bool add = pick(2) == 0;
        (void)mail_->SetKeywords(who, sc.account, ids[pick(ids.size())], add ? bit : 0, add ? 0 : bit);
        what = "keywords";
        break;
      }
      case 4:
      case 5: {
        int64_t to = box_ids[pick(box_ids.size())];
        int64_t id = ids[pick(ids.size())];
        Status s = pick(2) == 0 ? mail_->Move(who, sc.account, id, to) : mail_->Copy(who, sc.account, id, to);
        what = "move/copy";
        if (s.code() == Code::kNotFound) ids.erase(std::find(ids.begin(), ids.end(), id));
        break;
      }
      case 6: {
        size_t i = pick(ids.size());
        auto got = mail_->GetEmails(who, sc.account, {ids[i]});
        ASSERT_TRUE(got.ok());
        bool gone = !got->empty() && got->front().mailbox_ids.size() == 1 &&
                    got->front().mailbox_ids.front() == RoleBox(who, sc.account, Role::kTrash);
        ASSERT_THAT(mail_->Destroy(who, sc.account, ids[i]), IsOk());
        if (gone) ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
        what = "destroy";
        break;
      }
      case 7: {
        auto m = mail_->CreateMailbox(who, sc.account, "Dossier " + std::to_string(++folder_names), 0);
        ASSERT_TRUE(m.ok()) << m.status().ToString();
        folders[sc.account].push_back(m->id);
        what = "create folder";
        break;
      }
      case 8: {
        auto& f = folders[sc.account];
        if (f.empty()) break;
        size_t i = pick(f.size());
        // Only an empty folder goes; move its messages out first.
        EmailQuery q;
        q.account_id = sc.account;
        q.filter.in_mailbox = f[i];
        auto in = mail_->Query(who, q);
        ASSERT_TRUE(in.ok());
        int64_t inbox = RoleBox(who, sc.account, Role::kInbox);
        for (int64_t id : in->ids) ASSERT_THAT(mail_->Move(who, sc.account, id, inbox), IsOk());
        ASSERT_THAT(mail_->DestroyMailbox(who, sc.account, f[i]), IsOk());
        f.erase(f.begin() + static_cast<std::ptrdiff_t>(i));
        what = "destroy folder";
        break;
      }
      case 9: {
        if (sc.account != org_) break;
        per_person[org_] = !per_person[org_];
        ASSERT_THAT(mail_->SetReadStatePerPerson(org_, per_person[org_]), IsOk());
        what = "read state";
        break;
      }
    }
    for (const Scope& s : scopes) {
      for (const MailActor& p : s.people) {
        auto shown = Boxes(p, s.account);  // first: it creates the mailboxes on first use
        ASSERT_EQ(shown, Fresh(s.account, p.person_id, per_person[s.account]))
            << "step " << step << " (" << what << "), account " << s.account << ", person "
            << p.person_id;
      }
    }
  }
  EXPECT_GT(emails[org_].size() + emails[jean_].size(), 10u);
}

// A database written before the counts were kept: migration 11 computes them from
// the rows it holds, for the shared $seen and for each person.
TEST_F(MailCountsTest, MigrationFillsTheCountsOfAnExistingDatabase) {
  mail_.reset();
  blobs_.reset();
  directory_.reset();
  audit_.reset();
  db_.reset();
  std::string path = dir_.File("old.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << "\n" << sql.substr(0, 200);
    sqlite3_free(err);
  };
  exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
       " applied_at INTEGER NOT NULL)");
  for (const store_sqlite::Migration& m : store_sqlite::Migrations()) {
    if (m.version >= 11) break;
    exec(std::string(m.sql));
    exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", '" +
         std::string(m.name) + "', 0)");
  }
  // Account 50 (shared read state): inbox 1 holds messages 1 (read), 2 and 3; folder
  // 2 holds 3. Account 60 (per person): inbox 3 holds 4 and 5, read by person 7 (4,
  // 5) and person 8 (5); the shared bit of 4 is set.
  exec("INSERT INTO mail_accounts(account_id, modseq) VALUES (50, 10), (60, 10)");
  exec("UPDATE mail_accounts SET seen_per_person = 1 WHERE account_id = 60");
  exec("INSERT INTO mailboxes(id, account_id, name, role, total_emails, created_modseq, modseq)"
       " VALUES (1, 50, 'Boîte de réception', 'inbox', 3, 1, 1), (2, 50, 'Dossier', '', 1, 1, 1),"
       " (3, 60, 'Boîte de réception', 'inbox', 2, 1, 1)");
  exec("INSERT INTO emails(id, account_id, thread_id, blob_id, size, received_at, keywords,"
       " created_modseq, modseq) VALUES (1, 50, 1, 'x', 1, 1, 1, 1, 1), (2, 50, 1, 'x', 1, 2, 2, 1, 1),"
       " (3, 50, 1, 'x', 1, 3, 0, 1, 1), (4, 60, 2, 'x', 1, 4, 1, 1, 1), (5, 60, 2, 'x', 1, 5, 0, 1, 1)");
  exec("INSERT INTO email_mailboxes(mailbox_id, received_at, email_id) VALUES (1, 1, 1), (1, 2, 2),"
       " (1, 3, 3), (2, 3, 3), (3, 4, 4), (3, 5, 5)");
  exec("INSERT INTO email_seen(email_id, person_id) VALUES (4, 7), (5, 7), (5, 8)");
  sqlite3_close(raw);

  store_sqlite::Options o;
  o.path = path;
  auto db = store_sqlite::SqliteDatabase::Open(o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto tx = (*db)->Begin(storage::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto counts = [&](int64_t account, int64_t person, bool per_person) {
    std::vector<Counts> out;
    auto list = mail_repo_.ListMailboxes(**tx, account, person, per_person);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (list.ok()) {
      for (const Mailbox& m : *list) out.push_back({m.total_emails, m.unread_emails});
    }
    return out;
  };
  EXPECT_EQ(counts(50, 0, false), (std::vector<Counts>{{3, 2}, {1, 1}}));
  EXPECT_EQ(counts(60, 7, true), (std::vector<Counts>{{2, 0}}));
  EXPECT_EQ(counts(60, 8, true), (std::vector<Counts>{{2, 1}}));
  EXPECT_EQ(counts(60, 9, true), (std::vector<Counts>{{2, 2}}));
  EXPECT_EQ(counts(60, 9, false), (std::vector<Counts>{{2, 1}}));
}

}  // namespace
}  // namespace caduce::mail
