// Messages written from drafts read back by the MIME parser: addresses, encoded
// subject, text and HTML alternatives, attachments in base64, threading headers,
// the generated Message-ID; hostile drafts (CR/LF in header values, bad addresses,
// bad media types, oversized totals) are refused naming the field.
#include "mail/compose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mail/mime.h"
#include "testing/status_matchers.h"

namespace caduce::mail {
namespace {

using ::caduce::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

Draft Basic() {
  Draft d;
  d.from = {{"Secrétariat de cardiologie", "secretariat@chu-toulouse.fr"}};
  d.to = {{"Dr François Léger", "francois.leger@clinique.fr"}};
  d.cc = {{"", "marie.dupont@chu-toulouse.fr"}};
  d.subject = "Compte rendu d'échographie — Mme Durand";
  d.text_body = "Bonjour,\nVeuillez trouver le compte rendu.\nCordialement\n";
  return d;
}

ComposeOptions Options() {
  ComposeOptions o;
  o.domain = "chu-toulouse.fr";
  o.now_micros = 1'795'000'000LL * 1'000'000;
  return o;
}

std::string Header(const std::string& raw) { return raw.substr(0, raw.find("\r\n\r\n")); }

TEST(ComposeTest, TextMessageReadsBackWithEncodedHeaders) {
  auto raw = ComposeMessage(Basic(), Options());
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  // Header text is 7-bit: the UTF-8 subject and names are RFC 2047 words.
  for (unsigned char c : Header(*raw)) EXPECT_LT(c, 0x80);
  EXPECT_THAT(Header(*raw), HasSubstr("=?"));
  EXPECT_THAT(*raw, HasSubstr("\r\n"));
  auto p = ParseMessage(*raw);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->subject, "Compte rendu d'échographie — Mme Durand");
  ASSERT_THAT(p->from, SizeIs(1));
  EXPECT_EQ(p->from[0].name, "Secrétariat de cardiologie");
  EXPECT_EQ(p->from[0].email, "secretariat@chu-toulouse.fr");
  EXPECT_THAT(p->to, ElementsAre(EmailAddress{"Dr François Léger", "francois.leger@clinique.fr"}));
  EXPECT_THAT(p->cc, ElementsAre(EmailAddress{"", "marie.dupont@chu-toulouse.fr"}));
  EXPECT_THAT(p->text, HasSubstr("Veuillez trouver le compte rendu."));
  EXPECT_THAT(p->message_id, HasSubstr("@chu-toulouse.fr"));
  ASSERT_TRUE(p->sent_at.has_value());
  EXPECT_EQ(*p->sent_at, 1'795'000'000LL * 1'000'000);
  EXPECT_TRUE(p->attachments.empty());
}

TEST(ComposeTest, TwoMessagesGetDifferentMessageIds) {
  auto a = ParseMessage(*ComposeMessage(Basic(), Options()));
  auto b = ParseMessage(*ComposeMessage(Basic(), Options()));
  EXPECT_NE(a->message_id, b->message_id);
}

TEST(ComposeTest, HtmlAlternativeAttachmentsAndThreadingHeaders) {
  Draft d = Basic();
  d.html_body = "<p>Bonjour,</p><p>Veuillez trouver <b>le compte rendu</b>.</p>";
  d.in_reply_to = {"abc.123@clinique.fr"};
  d.references = {"root.1@clinique.fr", "abc.123@clinique.fr"};
  DraftAttachment pdf;
  pdf.type = "application/pdf";
  pdf.name = "compte-rendu échographie.pdf";
  static const char kPdf[] = "%PDF-1.4\n\x00\x01\x02\xff binary";
  pdf.bytes = std::string(kPdf, sizeof kPdf - 1);
  d.attachments.push_back(pdf);
  auto raw = ComposeMessage(d, Options());
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_THAT(*raw, HasSubstr("multipart/mixed"));
  EXPECT_THAT(*raw, HasSubstr("multipart/alternative"));
  EXPECT_THAT(*raw, HasSubstr("Content-Transfer-Encoding: base64"));
  auto p = ParseMessage(*raw);
  ASSERT_TRUE(p.ok());
  EXPECT_THAT(p->in_reply_to, ElementsAre("abc.123@clinique.fr"));
  EXPECT_THAT(p->references, ElementsAre("root.1@clinique.fr", "abc.123@clinique.fr"));
  ASSERT_THAT(p->attachments, SizeIs(1));
  EXPECT_EQ(p->attachments[0].name, "compte-rendu échographie.pdf");
  EXPECT_EQ(p->attachments[0].type, "application/pdf");
  auto part = ExtractPart(*raw, p->attachments[0].part_id);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_EQ(part->bytes, pdf.bytes);
}

TEST(ComposeTest, CrLfInHeaderValuesIsRefusedSoNoHeaderCanBeInjected) {
  struct Case {
    const char* what;
    void (*mutate)(Draft&);
    const char* field;
  } cases[] = {
      {"subject", [](Draft& d) { d.subject = "RDV\r\nBcc: espion@ailleurs.fr"; }, "Objet"},
      {"subject LF", [](Draft& d) { d.subject = "RDV\nX-Evil: 1"; }, "Objet"},
      {"to name", [](Draft& d) { d.to[0].name = "Dr\r\nBcc: espion@ailleurs.fr"; }, "À"},
      {"from name", [](Draft& d) { d.from[0].name = "x\rX: y"; }, "De"},
      {"to addr", [](Draft& d) { d.to[0].email = "a@b.fr\r\nBcc: c@d.fr"; }, "À"},
      {"to addr brackets", [](Draft& d) { d.to[0].email = "a@b.fr>, <c@d.fr"; }, "À"},
      {"cc no at", [](Draft& d) { d.cc[0].email = "pas-une-adresse"; }, "Cc"},
      {"NUL", [](Draft& d) { d.subject = std::string("a\0b", 3); }, "Objet"},
      {"bad utf8", [](Draft& d) { d.subject = "\xc3\x28"; }, "Objet"},
      {"reply id", [](Draft& d) { d.in_reply_to = {"a@b>\r\nX: y"}; }, "En réponse à"},
      {"file name",
       [](Draft& d) {
         DraftAttachment a;
         a.name = "cr.pdf\r\nContent-Type: text/html";
         d.attachments.push_back(a);
       },
       "Nom de la pièce jointe"},
      {"media type",
       [](Draft& d) {
         DraftAttachment a;
         a.type = "text/html; charset=\"x\"\r\nX: y";
         d.attachments.push_back(a);
       },
       "Type de la pièce jointe"},
      {"no from", [](Draft& d) { d.from.clear(); }, "De"},
  };
  for (const Case& c : cases) {
    Draft d = Basic();
    c.mutate(d);
    auto raw = ComposeMessage(d, Options());
    EXPECT_THAT(raw.status(), StatusIs(Code::kInvalidArgument, HasSubstr(c.field))) << c.what;
  }
}

TEST(ComposeTest, OversizedTotalIsRefused) {
  ComposeOptions o = Options();
  o.max_message_bytes = 100 * 1024;
  Draft d = Basic();
  DraftAttachment a;
  a.type = "application/octet-stream";
  a.bytes.assign(80 * 1024, 'x');  // 80 KiB grows over 100 KiB in base64
  d.attachments.push_back(a);
  EXPECT_THAT(ComposeMessage(d, o).status(),
              StatusIs(Code::kResourceExhausted, HasSubstr("trop volumineux")));
  d.attachments[0].bytes.resize(40 * 1024);
  EXPECT_TRUE(ComposeMessage(d, o).ok());
}

TEST(ComposeTest, PrepareForSendingDropsBccAndAddsSender) {
  Draft d = Basic();
  d.bcc = {{"", "cache@chu-toulouse.fr"}};
  auto raw = ComposeMessage(d, Options());
  ASSERT_TRUE(raw.ok());
  EXPECT_THAT(Header(*raw), HasSubstr("cache@chu-toulouse.fr"));
  auto sender = SenderHeaderLine({"Paul Martin", "paul.martin@chu-toulouse.fr"});
  ASSERT_TRUE(sender.ok());
  std::string out = PrepareForSending(*raw, *sender);
  EXPECT_THAT(out, Not(HasSubstr("cache@chu-toulouse.fr")));
  auto p = ParseMessage(out);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->bcc.empty());
  EXPECT_THAT(p->sender, ElementsAre(EmailAddress{"Paul Martin", "paul.martin@chu-toulouse.fr"}));
  EXPECT_EQ(p->subject, d.subject);
  EXPECT_THAT(SenderHeaderLine({"P\r\nX: y", "p@x.fr"}).status(), StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace caduce::mail
