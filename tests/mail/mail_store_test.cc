// The mail store over a real SQLite file and a real blob folder: mailboxes created
// on first use, delivery to addresses, MSSanté addresses and aliases with one shared
// blob, refusals with nothing stored, threads, full-text search and snippets,
// changes since a state, actions and their traces on shared mailboxes, per-person
// read state, garbage collection of blobs.
#include "mail/mail_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "directory/reference_data.h"
#include "store_sqlite/db.h"
#include "store_sqlite/mail_repo.h"
#include "testing/account_drafts.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

// Filters below are written with designated initializers naming only what they set.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace caduce::mail {
namespace {

using ::caduce::testing::IsOk;
using ::caduce::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using F = directory::Field;

std::string Message(const std::string& subject, const std::string& body,
                    const std::string& extra_headers = "",
                    const std::string& from = "Dr Léger <francois.leger@clinique.fr>") {
  return "From: " + from + "\r\nTo: secretariat@chu-toulouse.fr\r\nSubject: " + subject +
         "\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\n" + extra_headers +
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
}

class MailStoreTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  MailStoreTest() : ServiceStack({.common_passwords = false}) {
    auto blobs = BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    MailOptions mo;
    mo.local_domains = {"chu-toulouse.fr"};
    mail_ = std::make_unique<MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_, mo);

    structure_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    marie_ = Create(caduce::testing::PersonDraft("PER", "marie.dupont@chu-toulouse.fr"));
    paul_ = Create(caduce::testing::PersonDraft("MED", "paul.martin@chu-toulouse.fr", "Martin", "Paul"));
    jean_ = Create(caduce::testing::PersonDraft("MED", "jean.roux@chu-toulouse.fr", "Roux", "Jean"));
    auto org = caduce::testing::SharedDraft("ORG", "secretariat@chu-toulouse.fr",
                                            "marie.dupont@chu-toulouse.fr;paul.martin@chu-toulouse.fr");
    caduce::testing::SetField(org, F::kAlias, "accueil@chu-toulouse.fr; rdv@chu-toulouse.fr");
    org_ = Create(org);
    marie_actor_ = {marie_, "marie.dupont@chu-toulouse.fr", "192.0.2.7"};
    paul_actor_ = {paul_, "paul.martin@chu-toulouse.fr", "192.0.2.8"};
    jean_actor_ = {jean_, "jean.roux@chu-toulouse.fr", "192.0.2.9"};
  }

  int64_t Create(const directory::AccountDraft& d) {
    return CreateAccount(d, structure_).id;
  }

  // Delivers and returns the id of the message in `account`.
  int64_t DeliverTo(const std::string& raw, const std::string& rcpt, int64_t account) {
    auto r = mail_->Deliver(raw, "francois.leger@clinique.fr", {rcpt});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return 0;
    for (const auto& d : r->delivered) {
      if (d.account_id == account) return d.email_id;
    }
    ADD_FAILURE() << "not delivered to " << account;
    return 0;
  }

  int64_t MailboxId(const MailActor& who, int64_t account, Role role) {
    auto list = mail_->Mailboxes(who, account);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    for (const Mailbox& m : *list) {
      if (m.role == role) return m.id;
    }
    return 0;
  }

  std::vector<int64_t> Inbox(const MailActor& who, int64_t account) {
    EmailQuery q;
    q.account_id = account;
    q.filter.in_mailbox = MailboxId(who, account, Role::kInbox);
    auto r = mail_->Query(who, q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->ids : std::vector<int64_t>{};
  }

  int64_t Count(const std::string& sql) {
    auto tx = db_->Begin(storage::TxMode::kRead);
    store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx), sql);
    return st.Step() ? st.Int64(0) : -1;
  }

  size_t BlobFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.File("blobs"))) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MailService> mail_;
  int64_t structure_ = 0, marie_ = 0, paul_ = 0, jean_ = 0, org_ = 0;
  MailActor marie_actor_, paul_actor_, jean_actor_;
};

TEST_F(MailStoreTest, EveryAccountHasTheFiveMailboxesWithTheirRoles) {
  ASSERT_OK_AND_ASSIGN(auto list, mail_->Mailboxes(marie_actor_, org_));
  std::vector<std::pair<std::string, Role>> got;
  for (const Mailbox& m : list) got.emplace_back(m.name, m.role);
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, Role>{"Boîte de réception", Role::kInbox},
                               std::pair<std::string, Role>{"Envoyés", Role::kSent},
                               std::pair<std::string, Role>{"Brouillons", Role::kDrafts},
                               std::pair<std::string, Role>{"Corbeille", Role::kTrash},
                               std::pair<std::string, Role>{"Archives", Role::kArchive}));
  // A second call creates nothing more.
  ASSERT_OK_AND_ASSIGN(auto again, mail_->Mailboxes(paul_actor_, org_));
  EXPECT_THAT(again, SizeIs(5));
}

TEST_F(MailStoreTest, FoldersAreValidatedNestedAndUniquePerParent) {
  ASSERT_OK_AND_ASSIGN(Mailbox cardio, mail_->CreateMailbox(marie_actor_, marie_, "Cardiologie", 0));
  ASSERT_OK_AND_ASSIGN(Mailbox y, mail_->CreateMailbox(marie_actor_, marie_, "2026", cardio.id));
  EXPECT_EQ(y.parent_id, cardio.id);
  EXPECT_THAT(mail_->CreateMailbox(marie_actor_, marie_, "cardiologie", 0),
              StatusIs(Code::kAlreadyExists, HasSubstr("existe déjà")));
  EXPECT_THAT(mail_->CreateMailbox(marie_actor_, marie_, "2026", 0), IsOk());  // another parent
  EXPECT_THAT(mail_->CreateMailbox(marie_actor_, marie_, "", 0),
              StatusIs(Code::kInvalidArgument, HasSubstr("Nom du dossier")));
  EXPECT_THAT(mail_->CreateMailbox(marie_actor_, marie_, "a\x01" "b", 0),
              StatusIs(Code::kInvalidArgument, HasSubstr("contrôle")));
  EXPECT_THAT(mail_->CreateMailbox(marie_actor_, marie_, "\xff\xfe", 0),
              StatusIs(Code::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(mail_->CreateMailbox(marie_actor_, marie_, "x", 999999), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->RenameMailbox(marie_actor_, marie_, cardio.id, "Cardiologie", y.id),
              StatusIs(Code::kInvalidArgument, HasSubstr("en lui-même")));
  EXPECT_THAT(mail_->DestroyMailbox(marie_actor_, marie_, cardio.id),
              StatusIs(Code::kFailedPrecondition, HasSubstr("pas vide")));
  EXPECT_THAT(mail_->DestroyMailbox(marie_actor_, marie_, MailboxId(marie_actor_, marie_, Role::kInbox)),
              StatusIs(Code::kFailedPrecondition, HasSubstr("dossier de base")));
  EXPECT_THAT(mail_->DestroyMailbox(marie_actor_, marie_, y.id), IsOk());
  // Another person's mailbox is out of reach, whatever the id.
  EXPECT_THAT(mail_->CreateMailbox(jean_actor_, marie_, "Intrus", 0), StatusIs(Code::kNotFound));
}

TEST_F(MailStoreTest, DeliveryByAddressMssAddressAndAliasSharesOneBlob) {
  std::string raw = Message("Compte rendu", "Résultats de l'échographie cardiaque.");
  ASSERT_OK_AND_ASSIGN(
      DeliveryResult r,
      mail_->Deliver(raw, "francois.leger@clinique.fr",
                     {"Marie.Dupont@chu-toulouse.fr", "marie.dupont@chu-toulouse.mssante.fr",
                      "<accueil@chu-toulouse.fr>", "paul.martin@chu-toulouse.fr",
                      "confrere@cabinet-externe.fr"}));
  ASSERT_THAT(r.delivered, SizeIs(3));  // Marie once, the ORG by its alias, Paul
  EXPECT_THAT(r.queued, ElementsAre("confrere@cabinet-externe.fr"));
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_EQ(Count("SELECT refs FROM mail_blobs"), 4);  // three messages and one queued item
  EXPECT_EQ(Count("SELECT count(*) FROM mail_outbound WHERE state = 'pending'"), 1);
  EXPECT_THAT(Inbox(marie_actor_, marie_), SizeIs(1));
  EXPECT_THAT(Inbox(paul_actor_, org_), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(std::string body, mail_->OpenBody(marie_actor_, marie_, Inbox(marie_actor_, marie_)[0]));
  EXPECT_EQ(body, raw);
  // The blob file is exactly the raw bytes, under its BLAKE2b-256 name.
  EXPECT_TRUE(std::filesystem::exists(blobs_->PathOf(BlobStore::IdOf(raw))));
}

TEST_F(MailStoreTest, UnknownLocalRecipientIsRefusedByNameBeforeAnythingIsStored) {
  std::string raw = Message("x", "y");
  EXPECT_THAT(mail_->Deliver(raw, "a@b.fr", {"marie.dupont@chu-toulouse.fr", "inconnu@chu-toulouse.fr"}),
              StatusIs(Code::kNotFound, HasSubstr("inconnu@chu-toulouse.fr")));
  EXPECT_THAT(mail_->Deliver(raw, "a@b.fr", {"personne@chu-toulouse.mssante.fr"}),
              StatusIs(Code::kNotFound, HasSubstr("personne@chu-toulouse.mssante.fr")));
  EXPECT_THAT(mail_->Deliver(raw, "a@b.fr", {"pas une adresse"}),
              StatusIs(Code::kInvalidArgument, HasSubstr("pas une adresse")));
  EXPECT_THAT(mail_->Deliver(raw, "a@b.fr", {"x@y.fr\r\nRCPT TO:<z@z.fr>"}),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(mail_->Deliver(raw, "a@b.fr", {}), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(Count("SELECT count(*) FROM emails"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM mail_outbound"), 0);
  EXPECT_EQ(BlobFiles(), 0u);
}

TEST_F(MailStoreTest, OverSizeOrQuotaIsRefusedWithNothingStored) {
  MailOptions small;
  small.max_message_bytes = 1000;
  MailService limited(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_, small);
  EXPECT_THAT(limited.Deliver(Message("x", std::string(2000, 'a')), "a@b.fr",
                              {"marie.dupont@chu-toulouse.fr"}),
              StatusIs(Code::kResourceExhausted, HasSubstr("taille maximale")));
  ASSERT_THAT(mail_->SetQuota(marie_, 3000), IsOk());
  DeliverTo(Message("premier", std::string(1500, 'a')), "marie.dupont@chu-toulouse.fr", marie_);
  std::string second = Message("second", std::string(1600, 'b'));
  EXPECT_THAT(mail_->Deliver(second, "a@b.fr", {"paul.martin@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr"}),
              StatusIs(Code::kResourceExhausted, HasSubstr("marie.dupont@chu-toulouse.fr")));
  EXPECT_EQ(Count("SELECT count(*) FROM emails"), 1);  // not even Paul's copy
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_FALSE(blobs_->Exists(BlobStore::IdOf(second)));
}

TEST_F(MailStoreTest, MalformedMimeIsStoredAsWellAsItCanBeRead) {
  std::string raw = "Subject: =?UTF-8?B?broken\r\nFrom: <<<>>>\r\nContent-Type: multipart/mixed; "
                    "boundary=\"never\"\r\n\r\nno boundary ever\r\n";
  raw += std::string("\xff\xfe\0zz", 5);
  int64_t id = DeliverTo(raw, "paul.martin@chu-toulouse.fr", paul_);
  ASSERT_OK_AND_ASSIGN(auto got, mail_->GetEmails(paul_actor_, paul_, {id}));
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_THAT(mail_->Deliver("", "a@b.fr", {"paul.martin@chu-toulouse.fr"}),
              StatusIs(Code::kInvalidArgument));
}

TEST_F(MailStoreTest, DurableOrderBlobFileExistsForEveryCommittedRow) {
  for (int i = 0; i < 20; ++i) {
    DeliverTo(Message("m" + std::to_string(i), "corps " + std::to_string(i)),
              "paul.martin@chu-toulouse.fr", paul_);
  }
  auto tx = db_->Begin(storage::TxMode::kRead);
  store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx), "SELECT blob_id FROM emails");
  int rows = 0;
  while (st.Step()) {
    ++rows;
    ASSERT_OK_AND_ASSIGN(std::string bytes, blobs_->Read(st.Text(0)));
    EXPECT_EQ(BlobStore::IdOf(bytes), st.Text(0));
  }
  EXPECT_EQ(rows, 20);
}

TEST_F(MailStoreTest, ConcurrentDeliveriesAreCommittedTogetherAndAllAcknowledged) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = mail_->Deliver(Message("t" + std::to_string(t), "n" + std::to_string(i)), "a@b.fr",
                                {"jean.roux@chu-toulouse.fr"});
        if (r.ok() && r->delivered.size() == 1) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_THAT(Inbox(jean_actor_, jean_), SizeIs(50));  // the first page
  EXPECT_EQ(Count("SELECT total_emails FROM mailboxes WHERE account_id = " + std::to_string(jean_) +
                  " AND role = 'inbox'"),
            80);
}

TEST_F(MailStoreTest, RepliesJoinTheThreadWhenReferencesLinkAndSubjectMatches) {
  int64_t a = DeliverTo(Message("Bilan sanguin", "demande", "Message-ID: <q1@clinique.fr>\r\n"),
                        "paul.martin@chu-toulouse.fr", paul_);
  int64_t b = DeliverTo(Message("RE: Bilan  sanguin", "réponse",
                                "Message-ID: <q2@chu.fr>\r\nIn-Reply-To: <q1@clinique.fr>\r\n"),
                        "paul.martin@chu-toulouse.fr", paul_);
  int64_t c = DeliverTo(Message("Autre sujet", "x",
                                "Message-ID: <q3@chu.fr>\r\nReferences: <q1@clinique.fr>\r\n"),
                        "paul.martin@chu-toulouse.fr", paul_);
  // A reply that arrives before its parent: the parent joins it.
  int64_t d = DeliverTo(Message("Re: Radio", "r", "Message-ID: <r2@x>\r\nReferences: <r1@x>\r\n"),
                        "paul.martin@chu-toulouse.fr", paul_);
  int64_t e = DeliverTo(Message("Radio", "r", "Message-ID: <r1@x>\r\n"), "paul.martin@chu-toulouse.fr", paul_);
  ASSERT_OK_AND_ASSIGN(auto got, mail_->GetEmails(paul_actor_, paul_, {a, b, c, d, e}));
  ASSERT_THAT(got, SizeIs(5));
  EXPECT_EQ(got[0].thread_id, got[1].thread_id);
  EXPECT_NE(got[0].thread_id, got[2].thread_id);
  EXPECT_EQ(got[3].thread_id, got[4].thread_id);
  ASSERT_OK_AND_ASSIGN(auto thread, mail_->ThreadEmails(paul_actor_, paul_, got[0].thread_id));
  EXPECT_THAT(thread, ElementsAre(a, b));
  EXPECT_THAT(mail_->ThreadEmails(jean_actor_, paul_, got[0].thread_id), StatusIs(Code::kNotFound));
}

TEST_F(MailStoreTest, QueriesFilterSortPageAndSearchText) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 12; ++i) {
    clock_.AdvanceSeconds(60);
    std::string extra = i % 3 == 0 ? "X-Dummy: 1\r\n" : "";
    ids.push_back(DeliverTo(Message(i == 5 ? "Échographie urgente" : "Message " + std::to_string(i),
                                    i == 7 ? "Le patient présente une tachycardie." : "Rien.",
                                    extra, i == 3 ? "Laboratoire <labo@biologie.fr>" : "Dr Léger <francois.leger@clinique.fr>"),
                            "paul.martin@chu-toulouse.fr", paul_));
  }
  int64_t inbox = MailboxId(paul_actor_, paul_, Role::kInbox);
  EmailQuery q;
  q.account_id = paul_;
  q.filter.in_mailbox = inbox;
  q.position = 2;
  q.limit = 3;
  ASSERT_OK_AND_ASSIGN(auto page, mail_->Query(paul_actor_, q));
  EXPECT_THAT(page.ids, ElementsAre(ids[9], ids[8], ids[7]));  // newest first
  EXPECT_EQ(page.total, 12);

  auto search = [&](EmailFilter f) {
    EmailQuery s;
    s.account_id = paul_;
    s.filter = std::move(f);
    auto r = mail_->Query(paul_actor_, s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->ids : std::vector<int64_t>{};
  };
  EXPECT_THAT(search({.text = "tachycardie"}), ElementsAre(ids[7]));
  EXPECT_THAT(search({.text = "echographie"}), ElementsAre(ids[5]));  // without the accent
  EXPECT_THAT(search({.from = "biologie.fr"}), ElementsAre(ids[3]));
  EXPECT_THAT(search({.subject = "urgente"}), ElementsAre(ids[5]));
  EXPECT_THAT(search({.to = "secretariat"}), SizeIs(12));
  EXPECT_THAT(search({.text = "\" OR * NEAR( ) -"}), IsEmpty());  // FTS syntax is not interpreted
  EXPECT_THAT(search({.text = "tachycardie\" OR \"rien"}), IsEmpty());
  int64_t t3 = clock_.NowMicros() - 8 * 60 * 1000000LL;  // received time of ids[3]
  EXPECT_THAT(search({.before = t3}), ElementsAre(ids[2], ids[1], ids[0]));
  EXPECT_THAT(search({.after = t3 + 8 * 60 * 1000000LL}), ElementsAre(ids[11]));
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, paul_, ids[4], kFlagged | kSeen, 0), IsOk());
  EXPECT_THAT(search({.has_keywords = kFlagged}), ElementsAre(ids[4]));
  EXPECT_THAT(search({.not_keywords = kSeen}), SizeIs(11));
  EXPECT_THAT(search({.in_mailbox = inbox, .text = "Message", .not_keywords = kSeen}), SizeIs(10));

  ASSERT_OK_AND_ASSIGN(auto snippets, mail_->Snippets(paul_actor_, paul_, "tachycardie", {ids[7], ids[1]}));
  ASSERT_THAT(snippets, SizeIs(2));
  EXPECT_THAT(snippets[0].preview, HasSubstr("<mark>tachycardie</mark>"));
  EXPECT_EQ(snippets[1].preview, "");
}

TEST_F(MailStoreTest, AttachmentsAreListedFilteredAndDownloaded) {
  std::string raw =
      "From: labo@biologie.fr\r\nTo: paul.martin@chu-toulouse.fr\r\nSubject: Résultats\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
      "Ci-joint <b>les</b> résultats\r\n--b\r\nContent-Type: application/pdf\r\n"
      "Content-Disposition: attachment; filename=\"bilan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "JVBERi0xLjQK\r\n--b--\r\n";
  int64_t id = DeliverTo(raw, "paul.martin@chu-toulouse.fr", paul_);
  DeliverTo(Message("sans", "pièce"), "paul.martin@chu-toulouse.fr", paul_);
  EmailQuery q;
  q.account_id = paul_;
  q.filter.has_attachment = true;
  ASSERT_OK_AND_ASSIGN(auto r, mail_->Query(paul_actor_, q));
  EXPECT_THAT(r.ids, ElementsAre(id));
  ASSERT_OK_AND_ASSIGN(auto got, mail_->GetEmails(paul_actor_, paul_, {id}));
  ASSERT_THAT(got[0].attachments, SizeIs(1));
  EXPECT_EQ(got[0].attachments[0].name, "bilan.pdf");
  ASSERT_OK_AND_ASSIGN(PartContent part,
                       mail_->DownloadAttachment(paul_actor_, paul_, id, got[0].attachments[0].part_id));
  EXPECT_EQ(part.bytes, "%PDF-1.4\n");
  ASSERT_OK_AND_ASSIGN(auto snippets, mail_->Snippets(paul_actor_, paul_, "les", {id}));
  EXPECT_THAT(snippets[0].preview, HasSubstr("&lt;b&gt;<mark>les</mark>&lt;/b&gt;"));  // escaped
}

TEST_F(MailStoreTest, ChangesSinceAStateListCreatedUpdatedAndDestroyed) {
  int64_t a = DeliverTo(Message("a", "a"), "jean.roux@chu-toulouse.fr", jean_);
  ASSERT_OK_AND_ASSIGN(int64_t s1, mail_->State(jean_actor_, jean_));
  int64_t b = DeliverTo(Message("b", "b"), "jean.roux@chu-toulouse.fr", jean_);
  ASSERT_THAT(mail_->SetKeywords(jean_actor_, jean_, a, kSeen, 0), IsOk());
  ASSERT_OK_AND_ASSIGN(auto c, mail_->ChangesSince(jean_actor_, jean_, ObjectType::kEmail, s1, 100));
  EXPECT_THAT(c.created, ElementsAre(b));
  EXPECT_THAT(c.updated, ElementsAre(a));
  EXPECT_THAT(c.destroyed, IsEmpty());
  EXPECT_FALSE(c.has_more);
  ASSERT_OK_AND_ASSIGN(int64_t s2, mail_->State(jean_actor_, jean_));
  EXPECT_EQ(c.new_state, s2);
  // Destroy: first to the Corbeille (an update), then for good (destroyed).
  ASSERT_THAT(mail_->Destroy(jean_actor_, jean_, a), IsOk());
  ASSERT_THAT(mail_->Destroy(jean_actor_, jean_, a), IsOk());
  ASSERT_OK_AND_ASSIGN(c, mail_->ChangesSince(jean_actor_, jean_, ObjectType::kEmail, s2, 100));
  EXPECT_THAT(c.destroyed, ElementsAre(a));
  EXPECT_THAT(c.updated, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto t, mail_->ChangesSince(jean_actor_, jean_, ObjectType::kThread, s2, 100));
  EXPECT_THAT(t.destroyed, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(auto m, mail_->ChangesSince(jean_actor_, jean_, ObjectType::kMailbox, s2, 100));
  EXPECT_THAT(m.updated, SizeIs(2));  // inbox and trash counts
  // Created and destroyed within the window: not reported at all.
  ASSERT_OK_AND_ASSIGN(c, mail_->ChangesSince(jean_actor_, jean_, ObjectType::kEmail, 0, 100));
  EXPECT_THAT(c.created, ElementsAre(b));
  EXPECT_THAT(c.destroyed, IsEmpty());
  // Paging: max_changes 1 walks one change at a time up to the state.
  int64_t state = s1, pages = 0;
  for (bool more = true; more && pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(auto p, mail_->ChangesSince(jean_actor_, jean_, ObjectType::kEmail, state, 1));
    EXPECT_LE(p.created.size() + p.updated.size() + p.destroyed.size(), 1u);
    state = p.new_state;
    more = p.has_more;
  }
  ASSERT_OK_AND_ASSIGN(int64_t now, mail_->State(jean_actor_, jean_));
  EXPECT_EQ(state, now);
  EXPECT_THAT(mail_->ChangesSince(jean_actor_, jean_, ObjectType::kEmail, now + 5, 10),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_EQ(Count("SELECT count(*) FROM mail_blobs WHERE refs = 0"), 1);
  ASSERT_OK_AND_ASSIGN(int removed, mail_->CollectGarbage());
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(BlobFiles(), 1u);
}

TEST_F(MailStoreTest, SharedMailboxActionsAreTracedWithoutHealthContent) {
  std::string raw = Message("Patient DURAND : résultats VIH", "Sérologie positive, rappeler.",
                            "Message-ID: <secret-42@clinique.fr>\r\n");
  int64_t id = DeliverTo(raw, "secretariat@chu-toulouse.fr", org_);
  int64_t archive = MailboxId(marie_actor_, org_, Role::kArchive);
  ASSERT_THAT(mail_->OpenBody(marie_actor_, org_, id), IsOk());
  ASSERT_THAT(mail_->SetKeywords(marie_actor_, org_, id, kSeen | kAnswered, 0), IsOk());
  clock_.AdvanceSeconds(30);
  ASSERT_THAT(mail_->Move(paul_actor_, org_, id, archive), IsOk());
  ASSERT_THAT(mail_->SetKeywords(paul_actor_, org_, id, kFlagged, 0), IsOk());
  ASSERT_OK_AND_ASSIGN(auto history, mail_->History(paul_actor_, org_, id));
  std::vector<std::string> who_what;
  for (const auto& a : history) who_what.push_back(a.person + " " + a.action);
  EXPECT_THAT(who_what, ElementsAre("marie.dupont@chu-toulouse.fr opened",
                                    "marie.dupont@chu-toulouse.fr seen",
                                    "marie.dupont@chu-toulouse.fr answered",
                                    "paul.martin@chu-toulouse.fr moved",
                                    "paul.martin@chu-toulouse.fr flagged"));
  auto tx = db_->Begin(storage::TxMode::kRead);
  audit::Filter f;
  f.action_prefix = "email.";
  ASSERT_OK_AND_ASSIGN(auto entries, audit_->Query(**tx, f));
  ASSERT_THAT(entries, SizeIs(5));
  for (const auto& e : entries) {
    EXPECT_EQ(e.event.mailbox_id, org_);
    EXPECT_EQ(e.event.object, "email:" + std::to_string(id));
    EXPECT_THAT(e.event.detail, HasSubstr("secret-42@clinique.fr"));
    EXPECT_THAT(e.event.ip, Not(IsEmpty()));
    for (const char* health : {"DURAND", "VIH", "résultats", "Sérologie", "rappeler"}) {
      EXPECT_THAT(e.event.detail, Not(HasSubstr(health)));
      EXPECT_THAT(e.event.object, Not(HasSubstr(health)));
    }
  }
  ASSERT_OK_AND_ASSIGN(auto report, audit_->Verify(**tx));
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST_F(MailStoreTest, OwnMailboxActionsLeaveNoSharedTrace) {
  int64_t id = DeliverTo(Message("a", "b"), "jean.roux@chu-toulouse.fr", jean_);
  ASSERT_THAT(mail_->OpenBody(jean_actor_, jean_, id), IsOk());
  ASSERT_OK_AND_ASSIGN(auto history, mail_->History(jean_actor_, jean_, id));
  EXPECT_THAT(history, IsEmpty());
}

TEST_F(MailStoreTest, ReadStateIsSharedByDefaultOrPerPerson) {
  int64_t id = DeliverTo(Message("a", "b"), "secretariat@chu-toulouse.fr", org_);
  auto seen_by = [&](const MailActor& who) {
    auto got = mail_->GetEmails(who, org_, {id});
    EXPECT_TRUE(got.ok());
    return got.ok() && !got->empty() && ((*got)[0].keywords & kSeen) != 0;
  };
  ASSERT_THAT(mail_->SetKeywords(marie_actor_, org_, id, kSeen, 0), IsOk());
  EXPECT_TRUE(seen_by(paul_actor_));  // shared: read for the whole team
  ASSERT_THAT(mail_->SetReadStatePerPerson(org_, true), IsOk());
  int64_t id2 = DeliverTo(Message("c", "d"), "secretariat@chu-toulouse.fr", org_);
  id = id2;
  ASSERT_THAT(mail_->SetKeywords(marie_actor_, org_, id, kSeen, 0), IsOk());
  EXPECT_TRUE(seen_by(marie_actor_));
  EXPECT_FALSE(seen_by(paul_actor_));
  ASSERT_OK_AND_ASSIGN(auto boxes, mail_->Mailboxes(paul_actor_, org_));
  EXPECT_EQ(boxes[0].unread_emails, 2);  // Paul has read neither
  ASSERT_OK_AND_ASSIGN(boxes, mail_->Mailboxes(marie_actor_, org_));
  EXPECT_EQ(boxes[0].unread_emails, 1);
  EXPECT_THAT(mail_->SetReadStatePerPerson(marie_, true), StatusIs(Code::kInvalidArgument));
}

TEST_F(MailStoreTest, NobodyReachesAMailboxWithoutARight) {
  int64_t id = DeliverTo(Message("a", "b"), "secretariat@chu-toulouse.fr", org_);
  int64_t mine = DeliverTo(Message("a", "b"), "marie.dupont@chu-toulouse.fr", marie_);
  EXPECT_THAT(mail_->OpenBody(jean_actor_, org_, id), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->OpenBody(paul_actor_, marie_, mine), StatusIs(Code::kNotFound));
  // Guessing a message id of another account through one's own account.
  EXPECT_THAT(mail_->OpenBody(jean_actor_, jean_, id), StatusIs(Code::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto got, mail_->GetEmails(jean_actor_, jean_, {id, mine}));
  EXPECT_THAT(got, IsEmpty());
  EXPECT_THAT(mail_->Move(jean_actor_, jean_, id, MailboxId(jean_actor_, jean_, Role::kArchive)),
              StatusIs(Code::kNotFound));
  // Moving into another account's folder.
  EXPECT_THAT(mail_->Move(marie_actor_, marie_, mine, MailboxId(marie_actor_, org_, Role::kArchive)),
              StatusIs(Code::kNotFound));
  // A revoked right stops access at the next call.
  ASSERT_THAT(mail_->OpenBody(paul_actor_, org_, id), IsOk());
  ASSERT_THAT(directory_->RevokeRight(op_, org_, paul_), IsOk());
  EXPECT_THAT(mail_->OpenBody(paul_actor_, org_, id), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->OpenBody(MailActor{}, org_, id), StatusIs(Code::kNotFound));
}

TEST_F(MailStoreTest, CopyAndMoveKeepCountsRight) {
  int64_t id = DeliverTo(Message("a", "b"), "jean.roux@chu-toulouse.fr", jean_);
  ASSERT_OK_AND_ASSIGN(Mailbox folder, mail_->CreateMailbox(jean_actor_, jean_, "Dossiers", 0));
  ASSERT_THAT(mail_->Copy(jean_actor_, jean_, id, folder.id), IsOk());
  ASSERT_OK_AND_ASSIGN(auto got, mail_->GetEmails(jean_actor_, jean_, {id}));
  EXPECT_THAT(got[0].mailbox_ids, SizeIs(2));
  ASSERT_THAT(mail_->Move(jean_actor_, jean_, id, folder.id), IsOk());
  ASSERT_OK_AND_ASSIGN(got, mail_->GetEmails(jean_actor_, jean_, {id}));
  EXPECT_THAT(got[0].mailbox_ids, ElementsAre(folder.id));
  ASSERT_OK_AND_ASSIGN(auto boxes, mail_->Mailboxes(jean_actor_, jean_));
  for (const Mailbox& m : boxes) EXPECT_EQ(m.total_emails, m.id == folder.id ? 1 : 0) << m.name;
}

}  // namespace
}  // namespace caduce::mail
