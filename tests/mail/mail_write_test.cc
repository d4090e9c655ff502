// Writing and sending over a real SQLite file and a real blob folder: uploads kept
// for their account until they expire, drafts in a shared (ORG) mailbox, sending
// from it with its address (forbiddenFrom otherwise), local delivery and the
// outbound queue, the sent copy in « Envoyés » with the person in its history,
// $answered on the message answered, unknown recipients named, and nothing stored
// when a recipient is over quota or a draft is hostile.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "directory/reference_data.h"
#include "mail/mail_service.h"
#include "store_sqlite/db.h"
#include "store_sqlite/mail_repo.h"
#include "testing/account_drafts.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::mail {
namespace {

using ::caduce::testing::IsOk;
using ::caduce::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class MailWriteTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  MailWriteTest() : ServiceStack({.common_passwords = false}) {
    auto blobs = BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    MailOptions mo;
    mo.local_domains = {"chu-toulouse.fr"};
    mo.max_upload_bytes = 64 * 1024;
    mo.max_message_bytes = 256 * 1024;
    mail_ =
        std::make_unique<MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_, mo);

    structure_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    marie_ = Create(caduce::testing::PersonDraft("PER", "marie.dupont@chu-toulouse.fr"));
    paul_ = Create(
        caduce::testing::PersonDraft("MED", "paul.martin@chu-toulouse.fr", "Martin", "Paul"));
    jean_ =
        Create(caduce::testing::PersonDraft("MED", "jean.roux@chu-toulouse.fr", "Roux", "Jean"));
    org_ = Create(caduce::testing::SharedDraft("ORG", "secretariat@chu-toulouse.fr",
                                               "paul.martin@chu-toulouse.fr"));
    marie_actor_ = {marie_, "marie.dupont@chu-toulouse.fr", "192.0.2.7"};
    paul_actor_ = {paul_, "paul.martin@chu-toulouse.fr", "192.0.2.8"};
    jean_actor_ = {jean_, "jean.roux@chu-toulouse.fr", "192.0.2.9"};
  }

  int64_t Create(const directory::AccountDraft& d) { return CreateAccount(d, structure_).id; }

  int64_t MailboxId(const MailActor& who, int64_t account, Role role) {
    auto list = mail_->Mailboxes(who, account);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    for (const Mailbox& m : *list) {
      if (m.role == role) return m.id;
    }
    return 0;
  }

  std::vector<int64_t> In(const MailActor& who, int64_t account, Role role) {
    EmailQuery q;
    q.account_id = account;
    q.filter.in_mailbox = MailboxId(who, account, role);
    auto r = mail_->Query(who, q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->ids : std::vector<int64_t>{};
  }

  Email Get(const MailActor& who, int64_t account, int64_t id) {
    auto r = mail_->GetEmails(who, account, {id});
    EXPECT_TRUE(r.ok() && r->size() == 1);
    return r.ok() && r->size() == 1 ? r->front() : Email{};
  }

  int64_t Count(const std::string& sql) {
    auto tx = db_->Begin(storage::TxMode::kRead);
    store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(**tx), sql);
    return st.Step() ? st.Int64(0) : -1;
  }

  std::vector<std::string> HistoryOf(const MailActor& who, int64_t account, int64_t id) {
    auto h = mail_->History(who, account, id);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    std::vector<std::string> out;
    if (h.ok()) {
      for (const auto& a : *h) out.push_back(a.person + " " + a.action);
    }
    return out;
  }

  Draft OrgDraft(std::vector<EmailAddress> to) {
    Draft d;
    d.from = {{"Secrétariat de cardiologie", "secretariat@chu-toulouse.fr"}};
    d.to = std::move(to);
    d.subject = "Rendez-vous de contrôle";
    d.text_body = "Bonjour,\nVotre rendez-vous est fixé au 3 décembre.\n";
    return d;
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MailService> mail_;
  int64_t structure_ = 0, marie_ = 0, paul_ = 0, jean_ = 0, org_ = 0;
  MailActor marie_actor_, paul_actor_, jean_actor_;
};

TEST_F(MailWriteTest, UploadBelongsToItsAccountUntilItExpires) {
  ASSERT_OK_AND_ASSIGN(Upload u, mail_->UploadBlob(paul_actor_, org_, "application/pdf; name=x",
                                                   "%PDF-1.4 compte rendu"));
  EXPECT_EQ(u.type, "application/pdf");
  EXPECT_EQ(u.size, 21);
  ASSERT_OK_AND_ASSIGN(auto content, mail_->ReadBlob(paul_actor_, org_, u.blob_id));
  EXPECT_EQ(content.bytes, "%PDF-1.4 compte rendu");
  // Another account (even of someone who knows the id) does not hold it.
  EXPECT_THAT(mail_->ReadBlob(marie_actor_, marie_, u.blob_id), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->ReadBlob(paul_actor_, paul_, u.blob_id), StatusIs(Code::kNotFound));
  // A person without a right on the ORG cannot upload to it or read from it.
  EXPECT_THAT(mail_->UploadBlob(jean_actor_, org_, "text/plain", "x"), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->ReadBlob(jean_actor_, org_, u.blob_id), StatusIs(Code::kNotFound));
  // Hostile ids name nothing.
  for (const char* id : {"../../caduce.db", "", "zz", "Gabc"}) {
    EXPECT_THAT(mail_->ReadBlob(paul_actor_, org_, id), StatusIs(Code::kNotFound)) << id;
  }
  // Over the limit: refused, nothing kept.
  EXPECT_THAT(
      mail_->UploadBlob(paul_actor_, org_, "application/pdf", std::string(64 * 1024 + 1, 'x')),
      StatusIs(Code::kResourceExhausted, HasSubstr("64 Kio")));
  EXPECT_EQ(Count("SELECT count(*) FROM uploads"), 1);
  // Kept until expiry, then collectable.
  EXPECT_EQ(*mail_->ExpireUploads(), 0);
  clock_.AdvanceSeconds(24 * 3600 + 1);
  EXPECT_THAT(mail_->ReadBlob(paul_actor_, org_, u.blob_id), StatusIs(Code::kNotFound));
  EXPECT_EQ(*mail_->ExpireUploads(), 1);
  EXPECT_EQ(*mail_->CollectGarbage(), 1);
  EXPECT_FALSE(blobs_->Exists(u.blob_id));
}

TEST_F(MailWriteTest, SecretarySendsFromOrgMailboxWithItsAddressAndTheTeamSeesWhoSent) {
  ASSERT_OK_AND_ASSIGN(
      Upload pdf, mail_->UploadBlob(paul_actor_, org_, "application/pdf", "%PDF-1.4 ordonnance"));
  Draft d = OrgDraft(
      {{"Dr Marie Dupont", "marie.dupont@chu-toulouse.fr"}, {"", "francois.leger@clinique.fr"}});
  d.attachments.push_back({pdf.blob_id, "", "ordonnance.pdf", false, "", ""});
  ASSERT_OK_AND_ASSIGN(StoredMessage draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  EXPECT_THAT(In(paul_actor_, org_, Role::kDrafts), ElementsAre(draft.email_id));
  Email stored = Get(paul_actor_, org_, draft.email_id);
  EXPECT_EQ(stored.keywords & kDraft, kDraft);
  ASSERT_THAT(stored.attachments, SizeIs(1));
  EXPECT_EQ(stored.attachments[0].name, "ordonnance.pdf");
  EXPECT_THAT(stored.message_id, HasSubstr("@chu-toulouse.fr"));

  SubmissionRequest req;
  req.email_id = draft.email_id;
  req.file_in_sent = true;
  ASSERT_OK_AND_ASSIGN(Submission sub, mail_->Submit(paul_actor_, org_, req));
  EXPECT_EQ(sub.mail_from, "secretariat@chu-toulouse.fr");
  EXPECT_EQ(sub.person, "paul.martin@chu-toulouse.fr");
  ASSERT_THAT(sub.recipients, SizeIs(2));
  EXPECT_TRUE(sub.recipients[0].local);
  EXPECT_FALSE(sub.recipients[1].local);

  // Marie (PER) receives it from the ORG's address, with the attachment.
  auto inbox = In(marie_actor_, marie_, Role::kInbox);
  ASSERT_THAT(inbox, SizeIs(1));
  Email got = Get(marie_actor_, marie_, inbox[0]);
  ASSERT_THAT(got.from, SizeIs(1));
  EXPECT_EQ(got.from[0].email, "secretariat@chu-toulouse.fr");
  EXPECT_EQ(got.subject, "Rendez-vous de contrôle");
  EXPECT_THAT(got.attachments, SizeIs(1));
  EXPECT_EQ(got.keywords & kDraft, 0u);
  // The outside recipient is queued, pending.
  EXPECT_EQ(Count("SELECT count(*) FROM mail_outbound WHERE state = 'pending'"
                  " AND rcpt_to = 'francois.leger@clinique.fr'"
                  " AND mail_from = 'secretariat@chu-toulouse.fr'"),
            1);
  // The ORG's « Envoyés » holds it (no longer a draft) and its history names Paul.
  EXPECT_THAT(In(paul_actor_, org_, Role::kSent), ElementsAre(draft.email_id));
  EXPECT_THAT(In(paul_actor_, org_, Role::kDrafts), IsEmpty());
  EXPECT_EQ(Get(paul_actor_, org_, draft.email_id).keywords & kDraft, 0u);
  EXPECT_THAT(
      HistoryOf(paul_actor_, org_, draft.email_id),
      ElementsAre("paul.martin@chu-toulouse.fr drafted", "paul.martin@chu-toulouse.fr sent"));
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE action = 'email.sent'"
                  " AND actor = 'paul.martin@chu-toulouse.fr'"),
            1);
  // No health content in the trail.
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE detail LIKE '%Rendez-vous%'"
                  " OR detail LIKE '%ordonnance%'"),
            0);
  ASSERT_OK_AND_ASSIGN(auto subs, mail_->Submissions(paul_actor_, org_, {}));
  ASSERT_THAT(subs, SizeIs(1));
  EXPECT_EQ(subs[0].email_id, draft.email_id);
  EXPECT_THAT(mail_->Submissions(jean_actor_, org_, {}), StatusIs(Code::kNotFound));
}

TEST_F(MailWriteTest, AnotherFromIsForbidden) {
  Draft d = OrgDraft({{"", "marie.dupont@chu-toulouse.fr"}});
  d.from = {{"Paul Martin", "paul.martin@chu-toulouse.fr"}};  // the person, not the ORG
  ASSERT_OK_AND_ASSIGN(StoredMessage draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  SubmissionRequest req;
  req.email_id = draft.email_id;
  EXPECT_THAT(mail_->Submit(paul_actor_, org_, req),
              StatusIs(Code::kPermissionDenied, HasSubstr("secretariat@chu-toulouse.fr")));
  d.from = {{"", "directeur@ailleurs.fr"}};
  ASSERT_OK_AND_ASSIGN(draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  req.email_id = draft.email_id;
  EXPECT_THAT(mail_->Submit(paul_actor_, org_, req), StatusIs(Code::kPermissionDenied));
  // Sender: may name the person, never a third party.
  d = OrgDraft({{"", "marie.dupont@chu-toulouse.fr"}});
  d.sender = {{"", "jean.roux@chu-toulouse.fr"}};
  ASSERT_OK_AND_ASSIGN(draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  req.email_id = draft.email_id;
  EXPECT_THAT(mail_->Submit(paul_actor_, org_, req),
              StatusIs(Code::kPermissionDenied, HasSubstr("Sender")));
  EXPECT_THAT(In(marie_actor_, marie_, Role::kInbox), IsEmpty());
  EXPECT_EQ(Count("SELECT count(*) FROM email_submissions"), 0);
  // A draft without From gets the account's address.
  d.from.clear();
  d.sender.clear();
  ASSERT_OK_AND_ASSIGN(draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  req.email_id = draft.email_id;
  EXPECT_THAT(mail_->Submit(paul_actor_, org_, req), IsOk());
  EXPECT_THAT(In(marie_actor_, marie_, Role::kInbox), SizeIs(1));
}

TEST_F(MailWriteTest, UnknownLocalRecipientIsNamedAndNothingIsSent) {
  Draft d = OrgDraft({{"", "marie.dupont@chu-toulouse.fr"}, {"", "personne@chu-toulouse.fr"}});
  ASSERT_OK_AND_ASSIGN(StoredMessage draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  SubmissionRequest req;
  req.email_id = draft.email_id;
  std::vector<std::string> invalid;
  EXPECT_THAT(mail_->Submit(paul_actor_, org_, req, &invalid),
              StatusIs(Code::kFailedPrecondition, HasSubstr("personne@chu-toulouse.fr")));
  EXPECT_THAT(invalid, ElementsAre("personne@chu-toulouse.fr"));
  EXPECT_THAT(In(marie_actor_, marie_, Role::kInbox), IsEmpty());
  EXPECT_THAT(In(paul_actor_, org_, Role::kDrafts), ElementsAre(draft.email_id));
  // No recipient at all.
  d.to.clear();
  ASSERT_OK_AND_ASSIGN(draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  req.email_id = draft.email_id;
  EXPECT_THAT(mail_->Submit(paul_actor_, org_, req),
              StatusIs(Code::kInvalidArgument, HasSubstr("Destinataires")));
}

TEST_F(MailWriteTest, ReplyMarksTheMessageAnsweredAndTracesIt) {
  std::string incoming =
      "From: Dr Léger <francois.leger@clinique.fr>\r\nTo: secretariat@chu-toulouse.fr\r\n"
      "Subject: Demande de rendez-vous\r\nMessage-ID: <demande-1@clinique.fr>\r\n"
      "Date: Fri, 27 Nov 2026 10:00:00 +0100\r\n\r\nBonjour, un créneau ?\r\n";
  ASSERT_OK_AND_ASSIGN(DeliveryResult r, mail_->Deliver(incoming, "francois.leger@clinique.fr",
                                                        {"secretariat@chu-toulouse.fr"}));
  int64_t asked = r.delivered[0].email_id;
  Draft d = OrgDraft({{"", "francois.leger@clinique.fr"}});
  d.subject = "Re: Demande de rendez-vous";
  d.in_reply_to = {"demande-1@clinique.fr"};
  d.references = {"demande-1@clinique.fr"};
  ASSERT_OK_AND_ASSIGN(StoredMessage draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  EXPECT_EQ(draft.thread_id, Get(paul_actor_, org_, asked).thread_id);
  SubmissionRequest req;
  req.email_id = draft.email_id;
  req.file_in_sent = true;
  ASSERT_THAT(mail_->Submit(paul_actor_, org_, req), IsOk());
  EXPECT_EQ(Get(paul_actor_, org_, asked).keywords & kAnswered, kAnswered);
  EXPECT_THAT(HistoryOf(paul_actor_, org_, asked),
              Contains("paul.martin@chu-toulouse.fr answered"));
}

TEST_F(MailWriteTest, OverQuotaStoresNothingAnywhere) {
  ASSERT_THAT(mail_->SetQuota(marie_, 100), IsOk());
  Draft d = OrgDraft({{"", "jean.roux@chu-toulouse.fr"},
                      {"", "marie.dupont@chu-toulouse.fr"},
                      {"", "francois.leger@clinique.fr"}});
  ASSERT_OK_AND_ASSIGN(StoredMessage draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  SubmissionRequest req;
  req.email_id = draft.email_id;
  req.file_in_sent = true;
  int64_t actions = Count("SELECT count(*) FROM email_actions");
  EXPECT_THAT(mail_->Submit(paul_actor_, org_, req),
              StatusIs(Code::kResourceExhausted, HasSubstr("marie.dupont@chu-toulouse.fr")));
  EXPECT_THAT(In(jean_actor_, jean_, Role::kInbox), IsEmpty());
  EXPECT_THAT(In(marie_actor_, marie_, Role::kInbox), IsEmpty());
  EXPECT_EQ(Count("SELECT count(*) FROM mail_outbound"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM email_submissions"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM email_actions"), actions);
  EXPECT_THAT(In(paul_actor_, org_, Role::kDrafts), ElementsAre(draft.email_id));
  // The account's own quota refuses a draft the same way.
  ASSERT_THAT(mail_->SetQuota(org_, 10), IsOk());
  EXPECT_THAT(mail_->CreateDraft(paul_actor_, org_, d, {}),
              StatusIs(Code::kResourceExhausted, HasSubstr("quota")));
  EXPECT_THAT(In(paul_actor_, org_, Role::kDrafts), SizeIs(1));
}

TEST_F(MailWriteTest, StructureMayNameThePersonInSender) {
  ASSERT_THAT(
      mail_->SetStructureAddsSender(directory::Actor::CommandLine(), structure_, true),
      IsOk());
  Draft d = OrgDraft({{"", "marie.dupont@chu-toulouse.fr"}});
  d.bcc = {{"", "jean.roux@chu-toulouse.fr"}};
  ASSERT_OK_AND_ASSIGN(StoredMessage draft, mail_->CreateDraft(paul_actor_, org_, d, {}));
  SubmissionRequest req;
  req.email_id = draft.email_id;
  ASSERT_THAT(mail_->Submit(paul_actor_, org_, req), IsOk());
  for (auto [who, account] : {std::pair{marie_actor_, marie_}, std::pair{jean_actor_, jean_}}) {
    auto inbox = In(who, account, Role::kInbox);
    ASSERT_THAT(inbox, SizeIs(1));
    Email got = Get(who, account, inbox[0]);
    ASSERT_THAT(got.sender, SizeIs(1));
    EXPECT_EQ(got.sender[0].email, "paul.martin@chu-toulouse.fr");
    EXPECT_THAT(got.bcc, IsEmpty());  // recipients never see the Bcc list
  }
}

TEST_F(MailWriteTest, HostileDraftsAreRefusedAndNothingIsStored) {
  Draft d = OrgDraft({{"", "marie.dupont@chu-toulouse.fr"}});
  d.subject = "RDV\r\nBcc: espion@ailleurs.fr";
  EXPECT_THAT(mail_->CreateDraft(paul_actor_, org_, d, {}),
              StatusIs(Code::kInvalidArgument, HasSubstr("Objet")));
  d = OrgDraft({{"", "marie.dupont@chu-toulouse.fr"}});
  d.attachments.push_back({"0000000000000000000000000000000000000000000000000000000000000000", "",
                           "x.pdf", false, "", ""});
  EXPECT_THAT(mail_->CreateDraft(paul_actor_, org_, d, {}),
              StatusIs(Code::kNotFound, HasSubstr("Pièce jointe")));
  // An upload of another account cannot be attached.
  ASSERT_OK_AND_ASSIGN(Upload mine,
                       mail_->UploadBlob(marie_actor_, marie_, "text/plain", "secret"));
  d.attachments[0].blob_id = mine.blob_id;
  EXPECT_THAT(mail_->CreateDraft(paul_actor_, org_, d, {}), StatusIs(Code::kNotFound));
  // A mailbox of another account.
  d.attachments.clear();
  NewMessage where;
  where.mailbox_ids = {MailboxId(marie_actor_, marie_, Role::kDrafts)};
  EXPECT_THAT(mail_->CreateDraft(paul_actor_, org_, d, where), StatusIs(Code::kNotFound));
  EXPECT_EQ(Count("SELECT count(*) FROM emails"), 0);
  // No right on the ORG.
  EXPECT_THAT(mail_->CreateDraft(jean_actor_, org_, d, {}), StatusIs(Code::kNotFound));
}

TEST_F(MailWriteTest, ImportStoresAnUploadedMessage) {
  std::string raw =
      "From: labo@biologie.fr\r\nTo: secretariat@chu-toulouse.fr\r\nSubject: Résultats\r\n"
      "Message-ID: <r-1@biologie.fr>\r\n\r\nNFS normale.\r\n";
  ASSERT_OK_AND_ASSIGN(Upload u, mail_->UploadBlob(paul_actor_, org_, "message/rfc822", raw));
  NewMessage where;
  where.mailbox_ids = {MailboxId(paul_actor_, org_, Role::kArchive)};
  where.keywords = kSeen;
  ASSERT_OK_AND_ASSIGN(StoredMessage s, mail_->Import(paul_actor_, org_, u.blob_id, where));
  EXPECT_EQ(s.blob_id, u.blob_id);
  EXPECT_THAT(In(paul_actor_, org_, Role::kArchive), ElementsAre(s.email_id));
  EXPECT_EQ(Get(paul_actor_, org_, s.email_id).subject, "Résultats");
  EXPECT_THAT(HistoryOf(paul_actor_, org_, s.email_id),
              ElementsAre("paul.martin@chu-toulouse.fr imported"));
  // The message's blob can be read back by the account (traced as opening it),
  // never by another.
  ASSERT_OK_AND_ASSIGN(auto content, mail_->ReadBlob(paul_actor_, org_, s.blob_id));
  EXPECT_EQ(content.bytes, raw);
  EXPECT_THAT(mail_->ReadBlob(marie_actor_, marie_, s.blob_id), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->Import(marie_actor_, marie_, u.blob_id, {}), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->Import(paul_actor_, org_, "nope", {}), StatusIs(Code::kNotFound));
}

}  // namespace
}  // namespace caduce::mail
