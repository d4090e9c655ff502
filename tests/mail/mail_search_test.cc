// Text search over a real SQLite file gives exactly what a brute-force reading
// gives, whichever way the repository reads the full-text index: few matches (each
// checked by its id), many (a walk by date that reads matches a chunk at a time),
// messages whose date is not in id order (an older message delivered later), pages
// at any position, newest or oldest first, with and without the total, other
// accounts' matches left out; snippets of close and of spread ids.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>

#include <sqlite3.h>

#include "directory/reference_data.h"
#include "mail/mail_service.h"
#include "store_sqlite/db.h"
#include "store_sqlite/fts_terms.h"
#include "store_sqlite/mail_repo.h"
#include "store_sqlite/migrations.h"
#include "testing/account_drafts.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::mail {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

struct Sent {
  int64_t id = 0;
  int64_t received_at = 0;
  bool rare = false, common = false;
};

class MailSearchTest
    : public ::testing::TestWithParam<store_sqlite::SqliteMailRepository::SearchTuning>,
      protected caduce::testing::ServiceStack {
 protected:
  MailSearchTest() : ServiceStack({.common_passwords = false}), mail_repo_(GetParam()) {
    auto blobs = BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    MailOptions mo;
    mo.local_domains = {"chu-toulouse.fr"};
    mail_ = std::make_unique<MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_, mo);
    int64_t structure = MakeStructure("CHU de Toulouse");
    for (auto [id, address] : {std::pair{&paul_, "paul.martin@chu-toulouse.fr"},
                               std::pair{&jean_, "jean.roux@chu-toulouse.fr"}}) {
      *id = CreateAccount(caduce::testing::PersonDraft("MED", address), structure).id;
    }
    paul_actor_ = {paul_, "paul.martin@chu-toulouse.fr", "192.0.2.8"};
  }

  // Delivers `n` messages to Paul (and every third one to Jean too), with receiving
  // times shuffled so that date order differs from id order; one in `rare_every`
  // holds « tachycardie », three in four hold « glycémie ».
  void Fill(int n, int rare_every) {
    std::mt19937 rng(7);
    std::vector<int64_t> times;
    for (int i = 0; i < n; ++i) times.push_back(1795770000LL * 1000000 + i * 1000000LL);
    std::shuffle(times.begin(), times.end(), rng);
    times[1] = times[0];  // two messages received in the same microsecond
    for (int i = 0; i < n; ++i) {
      Sent m;
      m.received_at = times[static_cast<size_t>(i)];
      m.rare = i % rare_every == 3;
      m.common = i % 4 != 0;
      std::string body = std::string(m.rare ? "Le patient présente une tachycardie. " : "") +
                         (m.common ? "Contrôle de la glycémie demain. " : "Rien à signaler. ");
      clock_.Set(m.received_at);
      std::vector<std::string> rcpts = {"paul.martin@chu-toulouse.fr"};
      if (i % 3 == 0) rcpts.push_back("jean.roux@chu-toulouse.fr");
      auto r = mail_->Deliver("From: Dr Léger <francois.leger@clinique.fr>\r\nTo: paul.martin@chu-toulouse.fr\r\n"
                              "Subject: Message " + std::to_string(i) + "\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n",
                              "francois.leger@clinique.fr", rcpts);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (const auto& d : r->delivered) {
        if (d.account_id == paul_) m.id = d.email_id;
      }
      sent_.push_back(m);
    }
  }

  // What the query must give: Paul's matching messages by date (then id).
  std::vector<int64_t> Expected(bool rare, bool ascending) {
    std::vector<Sent> v;
    for (const Sent& m : sent_) {
      if (rare ? m.rare : m.common) v.push_back(m);
    }
    std::sort(v.begin(), v.end(), [&](const Sent& a, const Sent& b) {
      auto ka = std::pair{a.received_at, a.id}, kb = std::pair{b.received_at, b.id};
      return ascending ? ka < kb : kb < ka;
    });
    std::vector<int64_t> ids;
    for (const Sent& m : v) ids.push_back(m.id);
    return ids;
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MailService> mail_;
  int64_t paul_ = 0, jean_ = 0;
  MailActor paul_actor_;
  std::vector<Sent> sent_;
};

TEST_P(MailSearchTest, EveryPageOfEverySearchIsExactlyTheBruteForceAnswer) {
  ASSERT_NO_FATAL_FAILURE(Fill(60, 7));
  auto boxes = mail_->Mailboxes(paul_actor_, paul_);
  ASSERT_TRUE(boxes.ok());
  int64_t inbox = boxes->front().id;
  for (bool rare : {true, false}) {
    for (bool in_mailbox : {true, false}) {
      for (bool ascending : {false, true}) {
        std::vector<int64_t> want = Expected(rare, ascending);
        for (int64_t position : {0, 1, 5, 17, 44, 100}) {
          for (bool total : {false, true}) {
            EmailQuery q;
            q.account_id = paul_;
            if (in_mailbox) q.filter.in_mailbox = inbox;
            q.filter.text = rare ? "TACHYCARDIE" : "glycemie";  // case and accents folded
            q.ascending = ascending;
            q.position = position;
            q.limit = 6;
            q.want_total = total;
            ASSERT_OK_AND_ASSIGN(EmailQueryResult r, mail_->Query(paul_actor_, q));
            std::vector<int64_t> page;
            for (int64_t i = position; i < position + 6 && i < static_cast<int64_t>(want.size()); ++i) {
              page.push_back(want[static_cast<size_t>(i)]);
            }
            SCOPED_TRACE(::testing::Message() << "rare=" << rare << " in_mailbox=" << in_mailbox
                                            << " ascending=" << ascending << " position=" << position);
            EXPECT_THAT(r.ids, ElementsAreArray(page));
            EXPECT_EQ(r.total, total ? static_cast<int64_t>(want.size()) : -1);
          }
        }
      }
    }
  }
  // Other conditions still apply on top of the text.
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, paul_, Expected(false, false)[2], kFlagged, 0),
              caduce::testing::IsOk());
  EmailQuery q;
  q.account_id = paul_;
  q.filter.text = "glycémie";
  q.filter.has_keywords = kFlagged;
  ASSERT_OK_AND_ASSIGN(EmailQueryResult r, mail_->Query(paul_actor_, q));
  EXPECT_THAT(r.ids, ElementsAreArray({Expected(false, false)[2]}));
  EXPECT_EQ(r.total, 1);
}

TEST_P(MailSearchTest, SnippetsMarkTheWordsOfCloseAndOfSpreadIdsAndOnlyTheAccountsOwn) {
  ASSERT_NO_FATAL_FAILURE(Fill(40, 5));
  std::vector<int64_t> ids = Expected(false, false);
  std::vector<int64_t> asked = {ids[0], ids[1], ids.back(), ids[3]};
  int64_t other = 0;  // a message of Jean's, which Paul may not read
  {
    auto tx = db_->Begin(storage::TxMode::kRead);
    store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx),
                          "SELECT max(id) FROM emails WHERE account_id = ?1");
    st.Bind(1, jean_);
    ASSERT_TRUE(st.Step());
    other = st.Int64(0);
  }
  asked.push_back(other);
  ASSERT_OK_AND_ASSIGN(auto snippets, mail_->Snippets(paul_actor_, paul_, "glycémie", asked));
  ASSERT_EQ(snippets.size(), asked.size());
  for (size_t i = 0; i + 1 < asked.size(); ++i) {
    EXPECT_EQ(snippets[i].email_id, asked[i]);
    EXPECT_THAT(snippets[i].preview, HasSubstr("<mark>glycémie</mark>"));
  }
  EXPECT_EQ(snippets.back().email_id, other);
  EXPECT_EQ(snippets.back().preview, "");
  // A message without the word has an empty snippet.
  int64_t plain = 0;
  for (const Sent& m : sent_) {
    if (!m.common) plain = m.id;
  }
  ASSERT_OK_AND_ASSIGN(auto none, mail_->Snippets(paul_actor_, paul_, "glycémie", {plain}));
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].preview, "");
}

TEST_P(MailSearchTest, WordsOfSeveralPartsAddressesAndDeletedMessagesStayExact) {
  ASSERT_NO_FATAL_FAILURE(Fill(30, 5));
  auto r = mail_->Deliver("From: Secrétariat <secretariat.cardio@chu-toulouse.fr>\r\n"
                          "To: paul.martin@chu-toulouse.fr\r\nSubject: Rendez-vous de contrôle\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                          "Le rendez-vous est avancé. Le rendez-vous est confirmé.\r\n",
                          "secretariat.cardio@chu-toulouse.fr", {"paul.martin@chu-toulouse.fr"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t rdv = r->delivered.front().email_id;
  auto ids = [&](std::string EmailFilter::*field, const char* words) {
    EmailQuery q;
    q.account_id = paul_;
    q.filter.*field = words;
    q.limit = 100;
    auto res = mail_->Query(paul_actor_, q);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    std::vector<int64_t> v = res.ok() ? res->ids : std::vector<int64_t>{};
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_THAT(ids(&EmailFilter::text, "rendez-vous"), ElementsAreArray({rdv}));
  EXPECT_THAT(ids(&EmailFilter::text, "CONTROLE rendez"), ElementsAreArray({rdv}));
  EXPECT_THAT(ids(&EmailFilter::from, "secretariat.cardio@chu-toulouse.fr"), ElementsAreArray({rdv}));
  EXPECT_THAT(ids(&EmailFilter::subject, "avancé"), ::testing::IsEmpty());  // a body word, not the subject's
  EXPECT_EQ(ids(&EmailFilter::from, "francois.leger@clinique.fr").size(), 30u);
  // Deleted messages leave the index, which stays consistent with the stored text.
  std::vector<int64_t> common = Expected(false, false);
  std::vector<int64_t> kept;
  for (size_t i = 0; i < common.size(); ++i) {
    if (i % 2 == 0) {  // to Corbeille, then out of it
      ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, common[i]), caduce::testing::IsOk());
      ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, common[i]), caduce::testing::IsOk());
    } else {
      kept.push_back(common[i]);
    }
  }
  ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, rdv), caduce::testing::IsOk());
  ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, rdv), caduce::testing::IsOk());
  std::sort(kept.begin(), kept.end());
  EXPECT_THAT(ids(&EmailFilter::text, "glycémie"), ElementsAreArray(kept));
  EXPECT_THAT(ids(&EmailFilter::text, "rendez-vous"), ::testing::IsEmpty());
  auto tx = db_->Begin(storage::TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  EXPECT_THAT(store_sqlite::SqliteTx::ConnOf(**tx).Exec(
                  "INSERT INTO email_fts(email_fts) VALUES ('integrity-check')"),
              caduce::testing::IsOk());
}

// Messages join the index after they are stored: the background indexer takes
// them within moments; a search takes those it has not taken yet; a message
// destroyed before the index took it never enters it.
TEST_P(MailSearchTest, TheIndexTakesStoredMessagesAfterwardsAndASearchNeverMissesOne) {
  auto indexed = [&](int64_t id) {
    auto tx = db_->Begin(storage::TxMode::kRead);
    store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx),
                          "SELECT count(*) FROM fts_pending WHERE email_id = ?1");
    st.Bind(1, id);
    return st.Step() && st.Int64(0) == 0;
  };
  auto deliver = [&](const std::string& body) {
    auto r = mail_->Deliver("From: francois.leger@clinique.fr\r\nTo: paul.martin@chu-toulouse.fr\r\n"
                            "Subject: Suivi\r\n\r\n" + body + "\r\n",
                            "francois.leger@clinique.fr", {"paul.martin@chu-toulouse.fr"});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->delivered.front().email_id : int64_t{0};
  };
  // In the background, without any search.
  int64_t first = deliver("Échographie cardiaque normale.");
  for (int i = 0; i < 500 && !indexed(first); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(indexed(first));
  // Without the background indexer: the search itself takes what is not indexed.
  MailOptions mo;
  mo.local_domains = {"chu-toulouse.fr"};
  mo.index_in_background = false;
  mo.index_batch = 2;  // a catch-up of several rounds
  mail_ = std::make_unique<MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_, mo);
  std::vector<int64_t> series;
  for (int i = 0; i < 5; ++i) series.push_back(deliver("Série de tensions " + std::to_string(i)));
  int64_t kept = deliver("Holter à poser lundi.");
  int64_t gone = deliver("Holter annulé.");
  EXPECT_FALSE(indexed(kept));
  ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, gone), caduce::testing::IsOk());
  ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, gone), caduce::testing::IsOk());
  EmailQuery q;
  q.account_id = paul_;
  q.filter.text = "holter";
  ASSERT_OK_AND_ASSIGN(EmailQueryResult r, mail_->Query(paul_actor_, q));
  EXPECT_THAT(r.ids, ElementsAreArray({kept}));
  EXPECT_TRUE(indexed(kept));
  q.filter.text = "échographie";
  ASSERT_OK_AND_ASSIGN(r, mail_->Query(paul_actor_, q));
  EXPECT_THAT(r.ids, ElementsAreArray({first}));
  q.filter.text = "tensions";
  q.ascending = true;
  ASSERT_OK_AND_ASSIGN(r, mail_->Query(paul_actor_, q));
  EXPECT_THAT(r.ids, ElementsAreArray(series));
  q.ascending = false;
  ASSERT_OK_AND_ASSIGN(auto snippets, mail_->Snippets(paul_actor_, paul_, "holter", {kept}));
  ASSERT_EQ(snippets.size(), 1u);
  EXPECT_THAT(snippets[0].preview, HasSubstr("<mark>Holter</mark>"));
  // The newest message destroyed, its id goes to the next one: indexed as itself.
  ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, kept), caduce::testing::IsOk());
  ASSERT_THAT(mail_->Destroy(paul_actor_, paul_, kept), caduce::testing::IsOk());
  int64_t next = deliver("Holter reposé mardi.");
  q.filter.text = "lundi";
  ASSERT_OK_AND_ASSIGN(r, mail_->Query(paul_actor_, q));
  EXPECT_THAT(r.ids, ::testing::IsEmpty());
  q.filter.text = "reposé";
  ASSERT_OK_AND_ASSIGN(r, mail_->Query(paul_actor_, q));
  EXPECT_THAT(r.ids, ElementsAreArray({next}));
  auto tx = db_->Begin(storage::TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  EXPECT_THAT(store_sqlite::SqliteTx::ConnOf(**tx).Exec(
                  "INSERT INTO email_fts(email_fts) VALUES ('integrity-check')"),
              caduce::testing::IsOk());
}

// The number of segments of the full-text index, from its structure record
// (FTS5's %_data row 10: a 4-byte cookie, in newer versions a 4-byte version mark,
// then varints: levels, segments, ...).
int64_t IndexSegments(storage::Database& db) {
  auto tx = db.Begin(storage::TxMode::kRead);
  if (!tx.ok()) return -1;
  store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx),
                        "SELECT block FROM email_fts_data WHERE id = 10");
  if (!st.Step()) return -1;
  std::string b = st.Blob(0);
  size_t at = 4;
  if (b.size() >= 8 && b.compare(4, 4, std::string("\xff\x00\x00\x01", 4)) == 0) at = 8;
  auto varint = [&]() -> int64_t {
    int64_t v = 0;
    for (int i = 0; i < 9 && at < b.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(b[at++]);
      if (i == 8) return (v << 8) | c;
      v = (v << 7) | (c & 0x7f);
      if (!(c & 0x80)) return v;
    }
    return -1;
  };
  varint();  // levels
  return varint();
}

// Each index transaction adds a segment to the full-text index; FTS5 merges them
// as they come (its automerge, and its crisis merge at 16 segments on a level), so
// that a search reads a few segments, not one per transaction the index ever had:
// 17 after these 300 one-message transactions (300 with both merges turned off).
// The index is the same whatever the search tuning: one instance.
class MailIndexTest : public MailSearchTest {};

TEST_P(MailIndexTest, TheIndexStaysMergedAfterManySmallIndexTransactions) {
  MailOptions mo;
  mo.local_domains = {"chu-toulouse.fr"};
  mo.index_in_background = false;
  mail_ = std::make_unique<MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_,
                                        mo);
  constexpr int kTransactions = 300;
  for (int i = 0; i < kTransactions; ++i) {
    std::string n = std::to_string(i);
    auto r = mail_->Deliver(
        "From: francois.leger@clinique.fr\r\nTo: paul.martin@chu-toulouse.fr\r\n"
        "Subject: Suivi " + n + "\r\n\r\nTension " + n + " mesurée.\r\n",
        "francois.leger@clinique.fr", {"paul.martin@chu-toulouse.fr"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_THAT(mail_->CatchUpIndex(), caduce::testing::IsOk());
  }
  int64_t segments = IndexSegments(*db_);
  EXPECT_GT(segments, 0);
  EXPECT_LE(segments, 40) << "segments after " << kTransactions << " index transactions";
  // The merged index still finds each message by its own word.
  EmailQuery q;
  q.account_id = paul_;
  q.filter.text = "217";
  ASSERT_OK_AND_ASSIGN(EmailQueryResult found, mail_->Query(paul_actor_, q));
  EXPECT_EQ(found.ids.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(DefaultTuning, MailIndexTest,
                         ::testing::Values(store_sqlite::SqliteMailRepository::SearchTuning{}));

// The default sizes (few matches at this scale: every match checked by its id), and
// sizes so small that the walk by date and the spread snippets are taken.
INSTANTIATE_TEST_SUITE_P(
    Tunings, MailSearchTest,
    ::testing::Values(store_sqlite::SqliteMailRepository::SearchTuning{},
                      store_sqlite::SqliteMailRepository::SearchTuning{2, 4, 3},
                      store_sqlite::SqliteMailRepository::SearchTuning{5, 5, 0}));

TEST(FtsTermsTest, DistinctWordsAreFoldedLikeTheIndexFoldsThem) {
  EXPECT_EQ(store_sqlite::DistinctTerms("Résultat du BILAN, résultat : rendez-vous du 12/03"),
            "resultat du bilan rendez vous 12 03");
  EXPECT_EQ(store_sqlite::DistinctTerms(""), "");
  EXPECT_THAT(store_sqlite::Terms("Glycémie « à jeun » Dr.Léger"),
              ElementsAreArray({"glycemie", "a", "jeun", "dr", "leger"}));
}

// A database made before the index kept only distinct words: its text moves to
// email_text, its index is rebuilt, and it searches, cuts snippets and forgets
// deleted messages like a new one.
TEST(FtsMigrationTest, AnOlderIndexIsCarriedOver) {
  caduce::testing::TempDir dir;
  std::string path = dir.File("old.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    auto exec = [&](std::string_view sql) {
      char* err = nullptr;
      int rc = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &err);
      EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
      sqlite3_free(err);
    };
    exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
         " applied_at INTEGER NOT NULL)");
    for (const auto& m : store_sqlite::Migrations()) {
      if (m.version > 11) break;
      exec(m.sql);
      exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", '" +
           std::string(m.name) + "', 0)");
    }
    exec("INSERT INTO email_fts(rowid, subject, sender, recipients, body) VALUES (7, 'Résultat',"
         " 'Dr Léger <francois.leger@clinique.fr>', 'paul.martin@chu-toulouse.fr',"
         " 'Bilan sanguin : glycémie normale. Glycémie à refaire.')");
    sqlite3_close(db);
  }
  store_sqlite::Options o;
  o.path = path;
  ASSERT_OK_AND_ASSIGN(auto db, store_sqlite::SqliteDatabase::Open(o));
  auto tx = db->Begin(storage::TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  store_sqlite::Connection& conn = store_sqlite::SqliteTx::ConnOf(**tx);
  {
    store_sqlite::Stmt st(conn, "SELECT body FROM email_text WHERE id = 7");
    ASSERT_TRUE(st.Step());
    EXPECT_EQ(st.Text(0), "Bilan sanguin : glycémie normale. Glycémie à refaire.");
  }
  {
    store_sqlite::Stmt st(conn,
                          "SELECT rowid, snippet(email_fts, 3, '[', ']', '…', 8) FROM email_fts"
                          " WHERE email_fts MATCH ?1");
    st.Bind(1, store_sqlite::FtsQuery("GLYCEMIE leger@clinique.fr"));
    ASSERT_TRUE(st.Step()) << st.status().ToString();
    EXPECT_EQ(st.Int64(0), 7);
    EXPECT_THAT(st.Text(1), HasSubstr("[glycémie]"));
  }
  {
    store_sqlite::Stmt st(conn,
                          "INSERT INTO email_fts(email_fts, rowid, subject, sender, recipients, body)"
                          " SELECT 'delete', id, ?1, ?2, ?3, ?4 FROM email_text WHERE id = 7");
    st.Bind(1, store_sqlite::DistinctTerms("Résultat"));
    st.Bind(2, store_sqlite::DistinctTerms("Dr Léger <francois.leger@clinique.fr>"));
    st.Bind(3, store_sqlite::DistinctTerms("paul.martin@chu-toulouse.fr"));
    st.Bind(4, store_sqlite::DistinctTerms("Bilan sanguin : glycémie normale. Glycémie à refaire."));
    ASSERT_THAT(st.Run(), caduce::testing::IsOk());
  }
  ASSERT_THAT(conn.Exec("DELETE FROM email_text WHERE id = 7"), caduce::testing::IsOk());
  EXPECT_THAT(conn.Exec("INSERT INTO email_fts(email_fts) VALUES ('integrity-check')"),
              caduce::testing::IsOk());
  store_sqlite::Stmt st(conn, "SELECT count(*) FROM email_fts WHERE email_fts MATCH 'glycemie'");
  ASSERT_TRUE(st.Step());
  EXPECT_EQ(st.Int64(0), 0);
}

}  // namespace
}  // namespace caduce::mail
