// The loose ends of writing, over a real SQLite file and a real blob folder:
//  - the upload sweep: an upload older than 24 h that nothing else uses loses its
//    file; one a message was imported from, or whose bytes another account still
//    holds, keeps it; a pass with nothing to do removes nothing;
//  - a structure's Sender: setting changes only for its administrators and the
//    operator, traced once per real change;
//  - the submissions after a state, paged, from any earlier state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

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
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kHour = 3600LL * 1000000;

class MailUploadsSweepTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  MailUploadsSweepTest() : ServiceStack({.common_passwords = false}) {
    clock_.SetDate("2026-11-27");
    auto blobs = BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    MailOptions mo;
    mo.local_domains = {"chu-toulouse.fr"};
    mail_ =
        std::make_unique<MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_, clock_, mo);
    structure_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    other_ = MakeStructure("Clinique du Nord", "clinique-nord.mssante.fr");
    marie_ = Create(structure_, caduce::testing::PersonDraft("PER", "marie.dupont@chu-toulouse.fr"));
    paul_ = Create(structure_, caduce::testing::PersonDraft("MED", "paul.martin@chu-toulouse.fr",
                                                            "Martin", "Paul"));
    org_ = Create(structure_, caduce::testing::SharedDraft("ORG", "secretariat@chu-toulouse.fr",
                                                           "paul.martin@chu-toulouse.fr"));
    EXPECT_OK(directory_->AddAdministrator(op_, structure_, "paul.martin@chu-toulouse.fr"));
    marie_actor_ = {marie_, "marie.dupont@chu-toulouse.fr", "192.0.2.7"};
    paul_actor_ = {paul_, "paul.martin@chu-toulouse.fr", "192.0.2.8"};
  }

  int64_t Create(int64_t structure, const directory::AccountDraft& d) {
    return CreateAccount(d, structure).id;
  }
  std::string Upload(const MailActor& who, int64_t account, const std::string& bytes) {
    auto u = mail_->UploadBlob(who, account, "application/octet-stream", bytes);
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? u->blob_id : "";
  }
  int64_t SendFromOrg(const std::string& subject) {
    Draft d;
    d.from = {{"Secrétariat", "secretariat@chu-toulouse.fr"}};
    d.to = {{"", "marie.dupont@chu-toulouse.fr"}};
    d.subject = subject;
    d.text_body = "Bonjour.\n";
    auto draft = mail_->CreateDraft(paul_actor_, org_, d, {});
    EXPECT_TRUE(draft.ok()) << draft.status().ToString();
    SubmissionRequest req;
    req.email_id = draft.ok() ? draft->email_id : 0;
    auto s = mail_->Submit(paul_actor_, org_, req);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s->id : 0;
  }
  std::vector<audit::Entry> Trail(const std::string& prefix) {
    auto tx = db_->Begin(storage::TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    audit::Filter f;
    f.action_prefix = prefix;
    auto r = audit_->Query(**tx, f);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<audit::Entry>{};
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MailService> mail_;
  int64_t structure_ = 0, other_ = 0, marie_ = 0, paul_ = 0, org_ = 0;
  MailActor marie_actor_, paul_actor_;
};

TEST_F(MailUploadsSweepTest, OldUnusedUploadsLoseTheirFilesOthersKeepThem) {
  std::string alone = Upload(marie_actor_, marie_, std::string(2000, 'a'));
  std::string message =
      "From: labo@clinique.fr\r\nTo: marie.dupont@chu-toulouse.fr\r\nSubject: Bilan\r\n"
      "Message-ID: <bilan-1@clinique.fr>\r\n\r\nBonjour.\r\n";
  std::string imported = Upload(marie_actor_, marie_, message);
  ASSERT_THAT(mail_->Import(marie_actor_, marie_, imported, {}), IsOk());
  std::string shared_bytes(1500, 's');
  std::string shared = Upload(marie_actor_, marie_, shared_bytes);
  // Nothing has expired yet: the sweep leaves everything.
  ASSERT_OK_AND_ASSIGN(MailService::UploadSweep none, mail_->SweepUploads());
  EXPECT_EQ(none.uploads_expired, 0);
  EXPECT_EQ(none.files_removed, 0);

  clock_.Set(clock_.NowMicros() + 20 * kHour);
  // Paul uploads the same bytes to the ORG: a fresh upload of another account.
  EXPECT_EQ(Upload(paul_actor_, org_, shared_bytes), shared);
  clock_.Set(clock_.NowMicros() + 5 * kHour);  // Marie's uploads are 25 h old
  ASSERT_OK_AND_ASSIGN(MailService::UploadSweep sweep, mail_->SweepUploads());
  EXPECT_EQ(sweep.uploads_expired, 3);
  EXPECT_EQ(sweep.files_removed, 1);
  EXPECT_FALSE(blobs_->Exists(alone));
  EXPECT_TRUE(blobs_->Exists(imported));  // the message uses it
  EXPECT_TRUE(blobs_->Exists(shared));    // the ORG's upload holds it
  EXPECT_THAT(mail_->ReadBlob(marie_actor_, marie_, alone), StatusIs(Code::kNotFound));
  EXPECT_THAT(mail_->ReadBlob(marie_actor_, marie_, imported), IsOk());
  EXPECT_THAT(mail_->ReadBlob(paul_actor_, org_, shared), IsOk());
  // The draft that attached an upload does not need it once written.
  Draft d;
  d.from = {{"", "secretariat@chu-toulouse.fr"}};
  d.subject = "Pièce jointe";
  DraftAttachment pdf;
  pdf.blob_id = shared;
  pdf.type = "application/pdf";
  pdf.name = "compte-rendu.pdf";
  d.attachments = {pdf};
  ASSERT_THAT(mail_->CreateDraft(paul_actor_, org_, d, {}), IsOk());

  clock_.Set(clock_.NowMicros() + 24 * kHour);
  ASSERT_OK_AND_ASSIGN(sweep, mail_->SweepUploads());
  EXPECT_EQ(sweep.uploads_expired, 1);
  EXPECT_EQ(sweep.files_removed, 1);
  EXPECT_FALSE(blobs_->Exists(shared));
  EXPECT_TRUE(blobs_->Exists(imported));
  ASSERT_OK_AND_ASSIGN(sweep, mail_->SweepUploads());
  EXPECT_EQ(sweep.uploads_expired, 0);
  EXPECT_EQ(sweep.files_removed, 0);
}

TEST_F(MailUploadsSweepTest, SenderSettingIsTheStructureAdministratorsAndTraced) {
  directory::Actor paul(directory::Actor::Kind::kPerson, paul_, "paul.martin@chu-toulouse.fr",
                        "192.0.2.8");
  paul.user_agent = "Firefox";
  directory::Actor marie(directory::Actor::Kind::kPerson, marie_, "marie.dupont@chu-toulouse.fr",
                         "192.0.2.7");
  EXPECT_THAT(mail_->SetStructureAddsSender(marie, structure_, true),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(mail_->SetStructureAddsSender(paul, other_, true),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(mail_->SetStructureAddsSender(op_, 424242, true), StatusIs(Code::kNotFound));
  EXPECT_THAT(Trail("structure.updated"), IsEmpty());
  EXPECT_FALSE(*mail_->StructureAddsSender(structure_));
  EXPECT_FALSE(*mail_->StructureAddsSender(other_));

  ASSERT_THAT(mail_->SetStructureAddsSender(paul, structure_, true), IsOk());
  ASSERT_THAT(mail_->SetStructureAddsSender(paul, structure_, true), IsOk());  // no change
  ASSERT_THAT(mail_->SetStructureAddsSender(op_, other_, true), IsOk());
  EXPECT_TRUE(*mail_->StructureAddsSender(structure_));
  std::vector<audit::Entry> trail = Trail("structure.updated");
  ASSERT_THAT(trail, SizeIs(2));
  EXPECT_EQ(trail[0].event.actor_person_id, paul_);
  EXPECT_EQ(trail[0].event.ip, "192.0.2.8");
  EXPECT_EQ(trail[0].event.detail,
            R"({"mail_adds_sender":{"before":false,"after":true},"user_agent":"Firefox"})");
  EXPECT_EQ(trail[1].event.actor, "operator (cli)");
  EXPECT_EQ(trail[1].event.object, "structure:" + std::to_string(other_));
}

TEST_F(MailUploadsSweepTest, SubmissionChangesFromAnyEarlierState) {
  ASSERT_OK_AND_ASSIGN(int64_t s0, mail_->State(paul_actor_, org_));
  int64_t a = SendFromOrg("Un");
  ASSERT_OK_AND_ASSIGN(int64_t s1, mail_->State(paul_actor_, org_));
  int64_t b = SendFromOrg("Deux");
  int64_t c = SendFromOrg("Trois");
  ASSERT_OK_AND_ASSIGN(int64_t now, mail_->State(paul_actor_, org_));

  ASSERT_OK_AND_ASSIGN(Changes all, mail_->SubmissionChanges(paul_actor_, org_, s0, 100));
  EXPECT_THAT(all.created, ElementsAre(a, b, c));
  EXPECT_THAT(all.updated, IsEmpty());
  EXPECT_THAT(all.destroyed, IsEmpty());
  EXPECT_FALSE(all.has_more);
  EXPECT_EQ(all.new_state, now);
  ASSERT_OK_AND_ASSIGN(Changes later, mail_->SubmissionChanges(paul_actor_, org_, s1, 100));
  EXPECT_THAT(later.created, ElementsAre(b, c));
  ASSERT_OK_AND_ASSIGN(Changes page, mail_->SubmissionChanges(paul_actor_, org_, 0, 2));
  EXPECT_THAT(page.created, ElementsAre(a, b));
  EXPECT_TRUE(page.has_more);
  ASSERT_OK_AND_ASSIGN(Changes rest,
                       mail_->SubmissionChanges(paul_actor_, org_, page.new_state, 2));
  EXPECT_THAT(rest.created, ElementsAre(c));
  EXPECT_FALSE(rest.has_more);
  EXPECT_EQ(rest.new_state, now);

  EXPECT_THAT(mail_->SubmissionChanges(paul_actor_, org_, now + 1, 10),
              StatusIs(Code::kFailedPrecondition));
  // Marie has no right on the ORG: the same answer as an account that does not exist.
  EXPECT_THAT(mail_->SubmissionChanges(marie_actor_, org_, s0, 10), StatusIs(Code::kNotFound));
  // Marie's own account has no sends.
  ASSERT_OK_AND_ASSIGN(Changes mine, mail_->SubmissionChanges(marie_actor_, marie_, 0, 10));
  EXPECT_THAT(mine.created, IsEmpty());
}

}  // namespace
}  // namespace caduce::mail
