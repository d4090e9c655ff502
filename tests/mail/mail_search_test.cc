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

#include "directory/reference_data.h"
#include "mail/mail_service.h"
#include "store_sqlite/db.h"
#include "store_sqlite/mail_repo.h"
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

// The default sizes (few matches at this scale: every match checked by its id), and
// sizes so small that the walk by date and the spread snippets are taken.
INSTANTIATE_TEST_SUITE_P(
    Tunings, MailSearchTest,
    ::testing::Values(store_sqlite::SqliteMailRepository::SearchTuning{},
                      store_sqlite::SqliteMailRepository::SearchTuning{2, 4, 3},
                      store_sqlite::SqliteMailRepository::SearchTuning{5, 5, 0}));

}  // namespace
}  // namespace caduce::mail
