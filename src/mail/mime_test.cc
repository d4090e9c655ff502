// MIME parsing (mime.h): addresses, RFC 2047 subjects, 8-bit and broken encodings,
// attachments, HTML text, huge headers, limits, and one byte at a time truncations.
#include "mail/mime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <glib.h>

#include "testing/status_matchers.h"

namespace caduce::mail {
namespace {

using ::caduce::testing::IsOk;
using ::caduce::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kMultipart =
    "From: =?UTF-8?Q?Dr_Fran=C3=A7ois_L=C3=A9ger?= <francois.leger@chu-demo.fr>\r\n"
    "To: Secr\xc3\xa9tariat <secretariat.cardiologie@chu-demo.fr>, b@x.fr\r\n"
    "Cc: Groupe: c@x.fr, d@x.fr;\r\n"
    "Subject: =?ISO-8859-1?Q?Compte_rendu_d'=E9chographie?=\r\n"
    "Date: Fri, 27 Nov 2026 10:00:00 +0100\r\n"
    "Message-ID: <cr-1@chu-demo.fr>\r\n"
    "In-Reply-To: <demande-1@chu-demo.fr>\r\n"
    "References: <a@x> <demande-1@chu-demo.fr>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: multipart/alternative; boundary=\"b2\"\r\n"
    "\r\n"
    "--b2\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Bonjour, voici le r=E9sultat de l'=E9chographie.\r\n"
    "--b2\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Bonjour, voici le r&eacute;sultat</p>\r\n"
    "--b2--\r\n"
    "--b1\r\n"
    "Content-Type: application/pdf; name=\"cr.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"=?UTF-8?Q?compte_rendu_=C3=A9cho.pdf?=\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n"
    "--b1--\r\n";

TEST(MimeTest, ReadsAddressesSubjectDateIdsAndParts) {
  ASSERT_OK_AND_ASSIGN(ParsedMessage p, ParseMessage(kMultipart));
  ASSERT_EQ(p.from.size(), 1u);
  EXPECT_EQ(p.from[0].name, "Dr François Léger");
  EXPECT_EQ(p.from[0].email, "francois.leger@chu-demo.fr");
  ASSERT_EQ(p.to.size(), 2u);
  EXPECT_EQ(p.to[0].name, "Secrétariat");
  EXPECT_EQ(p.to[1].email, "b@x.fr");
  ASSERT_EQ(p.cc.size(), 2u);  // group members
  EXPECT_EQ(p.cc[1].email, "d@x.fr");
  EXPECT_EQ(p.subject, "Compte rendu d'échographie");
  ASSERT_TRUE(p.sent_at.has_value());
  EXPECT_EQ(*p.sent_at, 1795770000LL * 1000000);  // 09:00Z
  EXPECT_EQ(p.message_id, "cr-1@chu-demo.fr");
  EXPECT_THAT(p.in_reply_to, ElementsAre("demande-1@chu-demo.fr"));
  EXPECT_THAT(p.references, ElementsAre("a@x", "demande-1@chu-demo.fr"));
  ASSERT_EQ(p.attachments.size(), 1u);
  EXPECT_EQ(p.attachments[0].name, "compte rendu écho.pdf");
  EXPECT_EQ(p.attachments[0].type, "application/pdf");
  EXPECT_EQ(p.attachments[0].size, 19);
  EXPECT_THAT(p.text, HasSubstr("voici le résultat de l'échographie"));
  EXPECT_EQ(p.preview, "Bonjour, voici le résultat de l'échographie.");
}

TEST(MimeTest, ExtractsAnAttachmentByPartId) {
  ASSERT_OK_AND_ASSIGN(ParsedMessage p, ParseMessage(kMultipart));
  ASSERT_OK_AND_ASSIGN(PartContent part, ExtractPart(kMultipart, p.attachments[0].part_id));
  EXPECT_EQ(part.type, "application/pdf");
  EXPECT_TRUE(part.bytes.starts_with("%PDF-1.4"));
  EXPECT_THAT(ExtractPart(kMultipart, "99"), StatusIs(Code::kNotFound));
}

TEST(MimeTest, HtmlOnlyMessageIsIndexedAsText) {
  std::string raw =
      "From: a@x.fr\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><style>p{color:red}</style><script>alert(1)</script><p>Tension &amp; "
      "pouls</p><br>&#233;lev&#xE9;s<!-- cach\xc3\xa9 --></html>";
  ASSERT_OK_AND_ASSIGN(ParsedMessage p, ParseMessage(raw));
  EXPECT_THAT(p.text, HasSubstr("Tension & pouls"));
  EXPECT_THAT(p.text, HasSubstr("élevés"));
  EXPECT_THAT(p.text, ::testing::Not(HasSubstr("alert")));
  EXPECT_THAT(p.text, ::testing::Not(HasSubstr("color")));
  EXPECT_THAT(p.text, ::testing::Not(HasSubstr("caché")));
}

TEST(MimeTest, EightBitAndBrokenEncodingsGiveValidUtf8) {
  std::string raw =
      "From: \xe9tienne <e@x.fr>\r\n"
      "Subject: R\xe9sultat \xff\xfe =?UTF-8?B?!!!?= =?unknown-charset?Q?abc?=\r\n"
      "Content-Type: text/plain; charset=no-such-charset\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n"
      "%%%not base64%%%\r\n";
  ASSERT_OK_AND_ASSIGN(ParsedMessage p, ParseMessage(raw));
  EXPECT_TRUE(g_utf8_validate(p.subject.data(), static_cast<gssize>(p.subject.size()), nullptr));
  EXPECT_TRUE(g_utf8_validate(p.from[0].name.data(), -1, nullptr));
  EXPECT_TRUE(g_utf8_validate(p.text.data(), static_cast<gssize>(p.text.size()), nullptr));
  EXPECT_TRUE(g_utf8_validate(p.preview.data(), static_cast<gssize>(p.preview.size()), nullptr));
}

TEST(MimeTest, HugeHeaderIsBoundedAndParsed) {
  std::string raw = "From: a@x.fr\r\nSubject: ";
  raw += std::string(2 * 1024 * 1024, 'A');
  raw += "\r\nX-Long: " + std::string(1024 * 1024, 'b') + "\r\n\r\nCorps\r\n";
  ASSERT_OK_AND_ASSIGN(ParsedMessage p, ParseMessage(raw));
  EXPECT_LE(p.subject.size(), 4096u);
  EXPECT_EQ(p.text, "Corps\r\n");
}

TEST(MimeTest, RefusesOversizedAndTooManyParts) {
  MimeLimits small;
  small.max_message_bytes = 100;
  EXPECT_THAT(ParseMessage(std::string(101, 'a'), small),
              StatusIs(Code::kResourceExhausted, HasSubstr("taille maximale")));
  std::string nested = "Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n";
  for (int i = 0; i < 2000; ++i) {
    nested += "--x\r\nContent-Type: multipart/mixed; boundary=\"x" + std::to_string(i) + "\"\r\n\r\n";
  }
  EXPECT_THAT(ParseMessage(nested), StatusIs(Code::kResourceExhausted, HasSubstr("parties")));
  EXPECT_THAT(ParseMessage(""), StatusIs(Code::kInvalidArgument));
}

TEST(MimeTest, EveryTruncationParsesOrFailsCleanly) {
  std::string_view raw = kMultipart;
  for (size_t n = 0; n <= raw.size(); ++n) {
    auto r = ParseMessage(raw.substr(0, n));
    if (!r.ok()) {
      EXPECT_THAT(r, StatusIs(Code::kInvalidArgument));
    }
  }
}

TEST(MimeTest, BaseSubjectStripsReplyAndForwardPrefixes) {
  EXPECT_EQ(BaseSubject("Re: RE : Fwd: TR: Compte   rendu"), "compte rendu");
  EXPECT_EQ(BaseSubject("[Urgent] Re[2]: Bilan"), "bilan");
  EXPECT_EQ(BaseSubject("Réunion"), "réunion");
  EXPECT_EQ(BaseSubject("Rendez-vous"), "rendez-vous");
}

TEST(MimeTest, PreviewKeepsWholeCharactersAndFoldsBlanks) {
  std::string text = "  a\r\n\r\n b\t" + std::string(300, 'x');
  std::string p = MakePreview(text);
  EXPECT_TRUE(p.starts_with("a b x"));
  EXPECT_EQ(g_utf8_strlen(p.data(), -1), 256);
  std::string accents;
  for (int i = 0; i < 300; ++i) accents += "é";
  std::string q = MakePreview(accents);
  EXPECT_EQ(g_utf8_strlen(q.data(), -1), 256);
  EXPECT_TRUE(g_utf8_validate(q.data(), -1, nullptr));
}

}  // namespace
}  // namespace caduce::mail
