#include "notify/message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sodium.h>

#include <string>
#include <vector>

#include "base/text.h"
#include "notify/templates.h"

namespace caduce::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find("\r\n", start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 2;
  }
  return out;
}

// The header block of a rendered message.
std::string HeaderOf(const std::string& m) { return m.substr(0, m.find("\r\n\r\n") + 2); }

// Decodes the RFC 2047 B words of a header value (the test's own decoder).
std::string DecodeWords(std::string v) {
  std::string out;
  size_t pos = 0;
  while ((pos = v.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = v.find("?=", pos + 10);
    std::string b64 = v.substr(pos + 10, end - pos - 10);
    std::string bin(b64.size(), '\0');
    size_t n = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), b64.data(),
                      b64.size(), nullptr, &n, nullptr, sodium_base64_VARIANT_ORIGINAL);
    out += bin.substr(0, n);
    pos = end + 2;
  }
  return out;
}

MailMessage Sample() {
  MailMessage m;
  m.from = {"Messagerie sécurisée", "ne-pas-repondre@chu-demo.fr"};
  m.to = {"Hélène LÉGER", "helene.leger@chu-demo.fr"};
  m.subject = "Activez votre compte de messagerie sécurisée de santé";
  m.text = "Bonjour Hélène LÉGER,\n\nVoici le lien.\n";
  m.date_micros = 1795770000LL * 1000000;
  m.message_id = "abc@chu-demo.fr";
  return m;
}

TEST(MessageTest, PlainAddressesOnly) {
  EXPECT_TRUE(IsPlainAddress("jean.dupont@chu-demo.fr"));
  EXPECT_TRUE(IsPlainAddress("a+b@localhost"));
  for (const char* bad :
       {"", "jean", "@x.fr", "a@", "a..b@x.fr", ".a@x.fr", "a@x..fr", "a@-x.fr", "a b@x.fr",
        "a@x.fr\r\nBcc: evil@x.fr", "a@x.fr\nBcc: e@x.fr", "\"a\"@x.fr", "a<b@x.fr", "a@x.fr>",
        "a,b@x.fr", "hélène@x.fr", "a@x_y.fr"}) {
    EXPECT_FALSE(IsPlainAddress(bad)) << bad;
  }
  EXPECT_FALSE(IsPlainAddress(std::string(250, 'a') + "@x.fr"));
}

TEST(MessageTest, HeadersOfAnActivationMail) {
  Result<std::string> r = RenderMessage(Sample());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string h = HeaderOf(*r);
  EXPECT_THAT(h, HasSubstr("Date: Fri, 27 Nov 2026 09:00:00 +0000\r\n"));
  EXPECT_THAT(h, HasSubstr("Message-ID: <abc@chu-demo.fr>\r\n"));
  EXPECT_THAT(h, HasSubstr("MIME-Version: 1.0\r\n"));
  EXPECT_THAT(h, HasSubstr("Auto-Submitted: auto-generated\r\n"));
  EXPECT_THAT(h, HasSubstr("<helene.leger@chu-demo.fr>\r\n"));
  EXPECT_THAT(h, HasSubstr("<ne-pas-repondre@chu-demo.fr>\r\n"));
  for (const std::string& line : Lines(*r)) {
    EXPECT_LE(line.size(), 78u) << line;
    for (char c : line) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << line;
  }
}

TEST(MessageTest, NonAsciiSubjectAndNamesAreEncodedWords) {
  Result<std::string> r = RenderMessage(Sample());
  ASSERT_TRUE(r.ok());
  std::string h = HeaderOf(*r);
  size_t s = h.find("Subject: ");
  size_t e = h.find("\r\nMessage-ID");
  EXPECT_EQ(DecodeWords(h.substr(s, e - s)), "Activez votre compte de messagerie sécurisée de santé");
  size_t t = h.find("To: ");
  EXPECT_EQ(DecodeWords(h.substr(t, h.find('<', t) - t)), "Hélène LÉGER");
}

TEST(MessageTest, LongSubjectSplitsOnCharacterBoundaries) {
  std::string long_subject;
  for (int i = 0; i < 40; ++i) long_subject += "é";  // 2 bytes each
  long_subject += "€漢字";
  std::string words = EncodeWords(long_subject, 9);
  EXPECT_EQ(DecodeWords(words), long_subject);
  std::vector<std::string> lines = Lines(words);
  ASSERT_GT(lines.size(), 1u);
  EXPECT_LE(lines[0].size() + 9, 78u);  // after "Subject: "
  for (const std::string& line : lines) EXPECT_LE(line.size(), 78u);
  // Each word decodes alone to valid UTF-8 (no character cut in two).
  size_t pos = 0;
  while ((pos = words.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = words.find("?=", pos) + 2;
    std::string one = DecodeWords(words.substr(pos, end - pos));
    EXPECT_TRUE(text::IsValidUtf8(one)) << words.substr(pos, end - pos);
    EXPECT_LE(end - pos, 75u);
    pos = end;
  }
}

TEST(MessageTest, HeaderInjectionThroughNamesCannotAddHeaders) {
  MailMessage m = Sample();
  m.to.display_name = "Jean\r\nBcc: evil@attacker.fr\r\nX-Evil: 1";
  m.subject = "Objet\r\nBcc: evil@attacker.fr";
  m.from.display_name = "Nom\nX-Injected: oui";
  Result<std::string> r = RenderMessage(m);
  ASSERT_TRUE(r.ok());
  std::string h = HeaderOf(*r);
  for (const std::string& line : Lines(h)) {
    EXPECT_THAT(line, Not(HasSubstr("Bcc:")));
    EXPECT_THAT(line, Not(HasSubstr("X-Evil")));
    EXPECT_THAT(line, Not(HasSubstr("X-Injected")));
  }
  // What the person typed is still there, as text, once decoded.
  size_t t = h.find("To: ");
  EXPECT_EQ(DecodeWords(h.substr(t, h.find('<', t) - t)), "Jean Bcc: evil@attacker.fr X-Evil: 1");
}

TEST(MessageTest, InjectionThroughAddressesIsRefused) {
  MailMessage m = Sample();
  m.to.address = "jean@x.fr\r\nBcc: evil@attacker.fr";
  EXPECT_EQ(RenderMessage(m).status().code(), Code::kInvalidArgument);
  m = Sample();
  m.from.address = "a@x.fr>\r\nBcc: <b@y.fr";
  EXPECT_EQ(RenderMessage(m).status().code(), Code::kInvalidArgument);
  m = Sample();
  m.message_id = "x@y>\r\nBcc: z@w";
  EXPECT_EQ(RenderMessage(m).status().code(), Code::kInvalidArgument);
  m = Sample();
  m.text = std::string("\xC3\x28", 2);
  EXPECT_EQ(RenderMessage(m).status().code(), Code::kInvalidArgument);
}

TEST(MessageTest, QuotedPrintableKeepsLinesShortAndBytesExact) {
  std::string text = "Lien : https://messagerie.exemple.fr/#/activation/" + std::string(43, 'A') +
                     "\nligne avec espace finale \n=égal\n.\n";
  std::string qp = QuotedPrintable(text);
  for (const std::string& line : Lines(qp)) {
    EXPECT_LE(line.size(), 76u) << line;
    EXPECT_NE(line, ".");
  }
  EXPECT_THAT(qp, HasSubstr("finale=20\r\n"));
  EXPECT_THAT(qp, HasSubstr("=3D=C3=A9gal\r\n"));
  // Undo the soft breaks and the escapes: the text comes back.
  std::string back;
  for (size_t i = 0; i < qp.size(); ++i) {
    if (qp.compare(i, 3, "=\r\n") == 0) {
      i += 2;
    } else if (qp[i] == '=') {
      back.push_back(static_cast<char>(std::stoi(qp.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (qp.compare(i, 2, "\r\n") == 0) {
      back.push_back('\n');
      ++i;
    } else {
      back.push_back(qp[i]);
    }
  }
  EXPECT_EQ(back, text);
}

TEST(MessageTest, MultipartWithHtml) {
  MailMessage m = Sample();
  m.html = "<p>Bonjour</p>";
  Result<std::string> r = RenderMessage(m);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r, HasSubstr("Content-Type: multipart/alternative; boundary=\"=_caduce_"));
  EXPECT_THAT(*r, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
  EXPECT_THAT(*r, HasSubstr("Content-Type: text/html; charset=utf-8\r\n"));
  EXPECT_THAT(*r, HasSubstr("Content-Transfer-Encoding: quoted-printable\r\n"));
}

TEST(MessageTest, ParsesTheFromSetting) {
  Result<MailAddress> a = ParseMailAddress("Messagerie CHU <noreply@chu.fr>");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->display_name, "Messagerie CHU");
  EXPECT_EQ(a->address, "noreply@chu.fr");
  EXPECT_EQ(ParseMailAddress("noreply@chu.fr")->address, "noreply@chu.fr");
  EXPECT_EQ(ParseMailAddress("\"Le CHU\" <n@chu.fr>")->display_name, "Le CHU");
  EXPECT_EQ(ParseMailAddress("n@chu.fr\r\nBcc: x@y.fr").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseMailAddress("pas une adresse").status().code(), Code::kInvalidArgument);
}

TEST(TemplatesTest, ActivationMailNamesPersonStructureAddressLinkAndValidity) {
  MailContext c;
  c.kind = MailKind::kActivation;
  c.prenom = "Hélène";
  c.nom = "LÉGER";
  c.address = "helene.leger@chu-demo.fr";
  c.structure = "CHU de Démonstration";
  c.link = LinkFor("https://messagerie.exemple.fr/", MailKind::kActivation, "TOKEN");
  c.validity_seconds = 7 * 86400;
  c.expires_at = 1795770000LL * 1000000;
  MailMessage m = BuildMail(c, {"", "noreply@exemple.fr"});
  EXPECT_EQ(c.link, "https://messagerie.exemple.fr/#/activation/TOKEN");
  EXPECT_EQ(m.subject, kActivationSubject);
  EXPECT_THAT(m.text, HasSubstr("Bonjour Hélène LÉGER,"));
  EXPECT_THAT(m.text, HasSubstr("« CHU de Démonstration »"));
  EXPECT_THAT(m.text, HasSubstr("helene.leger@chu-demo.fr"));
  EXPECT_THAT(m.text, HasSubstr(c.link));
  EXPECT_THAT(m.text, HasSubstr("valable 7 jours"));
  EXPECT_THAT(m.text, HasSubstr("Si vous n'attendiez pas ce message"));
  EXPECT_THAT(m.html, HasSubstr("<a href=\"https://messagerie.exemple.fr/#/activation/TOKEN\">"));
}

TEST(TemplatesTest, ResetMailAndHtmlEscaping) {
  MailContext c;
  c.kind = MailKind::kReset;
  c.prenom = "<script>alert(1)</script>";
  c.nom = "O'BRIEN & FILS";
  c.address = "x@chu-demo.fr";
  c.link = LinkFor("http://localhost:8080", MailKind::kReset, "T");
  c.validity_seconds = 3600;
  MailMessage m = BuildMail(c, {"", "noreply@exemple.fr"});
  EXPECT_EQ(m.subject, kResetSubject);
  EXPECT_THAT(m.text, HasSubstr("http://localhost:8080/#/reinitialisation/T"));
  EXPECT_THAT(m.text, HasSubstr("valable 1 heure"));
  EXPECT_THAT(m.text, HasSubstr("Si vous n'êtes pas à l'origine de cette demande"));
  EXPECT_THAT(m.html, Not(HasSubstr("<script>")));
  EXPECT_THAT(m.html, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(m.html, HasSubstr("O&#39;BRIEN &amp; FILS"));
}

TEST(TemplatesTest, ValidityText) {
  EXPECT_EQ(ValidityText(7 * 86400), "7 jours");
  EXPECT_EQ(ValidityText(86400), "1 jour");
  EXPECT_EQ(ValidityText(3600), "1 heure");
  EXPECT_EQ(ValidityText(2 * 3600), "2 heures");
  EXPECT_EQ(ValidityText(90 * 60), "90 minutes");
}

}  // namespace
}  // namespace caduce::notify
