#include "import_export/formats/internal/xml_scanner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "testing/status_matchers.h"

namespace caduce::import_export::internal {
namespace {

using ::caduce::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using Token = XmlScanner::Token;

// The trace of a document read without error.
MATCHER_P(IsOkAndHolds, expected, "") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  *result_listener << "trace is " << *arg;
  return *arg == expected;
}

// Hands out `data` `step` bytes at a time (1: every token crosses a boundary).
class StringSource : public ByteSource {
 public:
  StringSource(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t step_;
  size_t pos_ = 0;
};

// The document as a trace: "<name a=v ...>" for a start (attributes asked for
// by name), "</name>" for an end, the decoded text between; or the error.
// With `taken`, a <c> element's content is taken at once when it can be
// (TakeSimpleContent, as the worksheet reader does) and traced as the tokens
// would have traced it; *taken counts those.
Result<std::string> Trace(const std::string& xml, size_t step,
                          std::vector<std::string> attrs = {"r", "t"}, size_t max_token = 4096,
                          size_t* taken = nullptr) {
  StringSource source(xml, step);
  XmlScanner s(&source, "xl/worksheets/sheet1.xml", max_token);
  std::string out;
  std::string text;
  auto flush = [&] {
    out += text;
    text.clear();
  };
  for (;;) {
    switch (s.Next()) {
      case Token::kStart:
        flush();
        out += "<" + std::string(s.local_name());
        for (const auto& a : attrs) {
          if (auto v = s.Attr(a)) out += " " + a + "=" + std::string(*v);
        }
        if (!s.status().ok()) return s.status();
        out += ">";
        if (taken != nullptr && s.local_name() == "c") {
          for (auto [open, close] : {std::pair<std::string, std::string>("<is><t>", "</t></is>"),
                                     std::pair<std::string, std::string>("<v>", "</v>")}) {
            std::string value;
            if (s.TakeSimpleContent(open, close, &value)) {
              out += open + value + close + "</" + std::string(s.local_name()) + ">";
              ++*taken;
              break;
            }
            if (!s.status().ok()) return s.status();
          }
        }
        break;
      case Token::kEnd:
        flush();
        out += "</" + std::string(s.local_name()) + ">";
        break;
      case Token::kText:
        if (!s.AppendText(&text)) return s.status();
        break;
      case Token::kEof:
        flush();
        return out;
      case Token::kError:
        return s.status();
    }
  }
}

// Every test document is read whole, 7 bytes at a time and one byte at a time.
class XmlScannerTest : public ::testing::TestWithParam<size_t> {};

INSTANTIATE_TEST_SUITE_P(Steps, XmlScannerTest, ::testing::Values(1, 7, 1 << 20));

TEST_P(XmlScannerTest, ElementsAttributesAndText) {
  EXPECT_THAT(Trace(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
                    "\n<worksheet xmlns=\"urn:x\" xmlns:r=\"urn:r\"><sheetData>"
                    R"(<row r="1"><c r="A1" t='inlineStr'><is><t>Zoé</t></is></c>)"
                    R"(<c r = "B1" ><v>42</v></c><c r="C1"/></row></sheetData></worksheet>)",
                    GetParam()),
              IsOkAndHolds(std::string(
                  "<worksheet><sheetData><row r=1><c r=A1 t=inlineStr><is><t>Zoé</t></is></c>"
                  "<c r=B1><v>42</v></c><c r=C1></c></row></sheetData></worksheet>")));
}

TEST_P(XmlScannerTest, PrefixesAreDroppedAndNamespaceDeclarationsAreNotAttributes) {
  // xmlns:r would otherwise answer Attr("r") with a namespace name.
  EXPECT_THAT(
      Trace(R"(<x:c xmlns:x="urn:x" xmlns:r="urn:r" x:r="A1"><x:v>1</x:v></x:c>)", GetParam()),
      IsOkAndHolds(std::string("<c r=A1><v>1</v></c>")));
}

TEST_P(XmlScannerTest, EntitiesCharacterReferencesCdataCommentsAndLineEnds) {
  EXPECT_THAT(
      Trace("<t a=\"&lt;&amp;&#x3E;\">a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x1F600;"
            "<!-- a comment -->|<![CDATA[<b>&amp;</b>]]>|l1\r\nl2\rl3&#13;\n<?pi ignored?></t>",
            GetParam(), {"a"}),
      IsOkAndHolds(std::string("<t a=<&>>a&b <c> \"d\" 'e' é\xF0\x9F\x98\x80|<b>&amp;</b>|"
                               "l1\nl2\nl3\r\n</t>")));
  // In attribute values tab, CR and LF become spaces (XML 1.0 §3.3.3).
  EXPECT_THAT(Trace("<t a=\"x\ty\r\nz\"/>", GetParam(), {"a"}),
              IsOkAndHolds(std::string("<t a=x y z></t>")));
  // A '>' inside a quoted attribute value does not end the tag.
  EXPECT_THAT(Trace(R"(<t a="1>2" r='3'>x</t>)", GetParam(), {"a", "r"}),
              IsOkAndHolds(std::string("<t a=1>2 r=3>x</t>")));
}

// A worksheet cell's usual content is taken at once when the whole of it has
// been read (always here with the whole document at once); what it gives is what
// the tokens give, entities decoded and line ends normalised.
TEST_P(XmlScannerTest, UsualCellContentIsTakenAtOnceAsTheTokensWouldGiveIt) {
  const std::string xml =
      R"(<row><c r="A1" t="inlineStr"><is><t>Zoé &amp; Cie&#x21;</t></is></c>)"
      "<c r=\"B1\"><v>42</v></c><c r=\"C1\"><is><t></t></is></c><c><v>l1\r\nl2</v></c></row>";
  const std::string expected =
      "<row><c r=A1 t=inlineStr><is><t>Zoé & Cie!</t></is></c><c r=B1><v>42</v></c>"
      "<c r=C1><is><t></t></is></c><c><v>l1\nl2</v></c></row>";
  size_t taken = 0;
  EXPECT_THAT(Trace(xml, GetParam(), {"r", "t"}, 4096, &taken), IsOkAndHolds(expected));
  EXPECT_THAT(Trace(xml, GetParam()), IsOkAndHolds(expected));
  if (GetParam() == (1 << 20)) {
    EXPECT_EQ(taken, 4u);
  }
}

// Any other shape is left to the tokens, with the same result: attributes on the
// inner elements, prefixes, a formula before the value, rich text, white space
// in an end tag, an empty cell; and a wrong end tag is still refused.
TEST_P(XmlScannerTest, OtherCellContentIsLeftToTheTokens) {
  const std::string xml =
      R"(<row><c><is><t xml:space="preserve"> a </t></is></c>)"
      R"(<x:c xmlns:x="urn:x"><x:v>1</x:v></x:c><c><f>1+1</f><v>2</v></c>)"
      R"(<c><is><r><t>b</t></r></is></c><c><v>3</v ></c><c><v>4</v></c ><c/></row>)";
  size_t taken = 0;
  EXPECT_THAT(Trace(xml, GetParam(), {"r", "t"}, 4096, &taken),
              IsOkAndHolds(std::string("<row><c><is><t> a </t></is></c><c><v>1</v></c>"
                                       "<c><f>1+1</f><v>2</v></c><c><is><r><t>b</t></r></is></c>"
                                       "<c><v>3</v></c><c><v>4</v></c><c></c></row>")));
  EXPECT_EQ(taken, 0u);
  EXPECT_THAT(Trace("<row><c><v>1</v></d></row>", GetParam(), {"r", "t"}, 4096, &taken),
              StatusIs(Code::kInvalidArgument, HasSubstr("balise fermante </d> inattendue")));
  EXPECT_THAT(Trace("<row><c><v>&bogus;</v></c></row>", GetParam(), {"r", "t"}, 4096, &taken),
              StatusIs(Code::kInvalidArgument, HasSubstr("entité inconnue")));
  EXPECT_THAT(Trace("<row><c><is><t>a\x01" "b</t></is></c></row>", GetParam(), {"r", "t"}, 4096,
                    &taken),
              StatusIs(Code::kInvalidArgument, HasSubstr("U+0001")));
}

TEST_P(XmlScannerTest, ByteOrderMarkIsSkipped) {
  EXPECT_THAT(Trace("\xEF\xBB\xBF<a>b</a>", GetParam()), IsOkAndHolds(std::string("<a>b</a>")));
}

TEST_P(XmlScannerTest, DoctypeIsRefusedBeforeAnyEntity) {
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;\">]><a>&lol2;</a>";
  EXPECT_THAT(Trace(laughs, GetParam()),
              StatusIs(Code::kInvalidArgument, AllOf(HasSubstr("sheet1.xml"), HasSubstr("DOCTYPE"),
                                                     HasSubstr("refusée par sécurité"))));
  EXPECT_THAT(Trace(R"(<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>)", GetParam()),
              StatusIs(Code::kInvalidArgument, HasSubstr("DOCTYPE")));
}

struct Bad {
  std::string xml;
  std::string message;
};

TEST_P(XmlScannerTest, MalformedDocumentsNameTheProblemAndTheLine) {
  const Bad bad[] = {
      {"<a>&lol;</a>", "entité inconnue « &lol; »"},
      {"<a>&amp</a>", "entité mal formée"},
      {"<a>&#0;</a>", "référence de caractère invalide « &#0; »"},
      {"<a>&#xD800;</a>", "référence de caractère invalide"},
      {"<a>&#x110000;</a>", "référence de caractère invalide"},
      {"<a>&#xZZ;</a>", "référence de caractère invalide"},
      {"<a>x\x01y</a>", "caractère de contrôle U+0001 interdit"},
      {"<a><b></a></b>", "balise fermante </a> inattendue"},
      {"<a></b>", "balise fermante </b> inattendue"},
      {"<a>\n<b>\n", "ligne 3 : fin du fichier dans l'élément <b>"},
      {"<a><b", "fin du fichier dans une balise"},
      {"<a><!-- x", "fin du fichier dans une balise"},
      {"<a/><b/>", "plusieurs éléments racines"},
      {"x<a/>", "texte hors de l'élément racine"},
      {"", "aucun élément"},
      {"<a b=c/>", "attribut mal formé dans <a>"},
      {"<a b=\"c\"d=\"e\"/>", "attribut mal formé dans <a>"},
      {"<a b=\"<\"/>", "'<' dans une balise"},
      {"<1a/>", "nom d'élément invalide « 1a »"},
      {"< a/>", "nom d'élément invalide"},
      {"<a><!ELEMENT a ANY></a>", "déclaration inconnue"},
      {"<a/><?xml version=\"1.0\"?>", "déclaration XML mal placée"},
      {"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
       "encodage « ISO-8859-1 » non pris en charge"},
      {std::string("\xFF\xFE<\0a\0/\0>\0", 10), "encodage UTF-16 non pris en charge"},
  };
  for (const Bad& b : bad) {
    EXPECT_THAT(Trace(b.xml, GetParam(), {"b"}),
                StatusIs(Code::kInvalidArgument,
                         AllOf(HasSubstr("XML mal formé dans « xl/worksheets/sheet1.xml »"),
                               HasSubstr(b.message))))
        << b.xml;
  }
}

TEST_P(XmlScannerTest, MalformedAttributeValueFailsTheScanner) {
  EXPECT_THAT(Trace(R"(<a r="&x;"/>)", GetParam()),
              StatusIs(Code::kInvalidArgument, HasSubstr("entité inconnue")));
}

TEST_P(XmlScannerTest, LongTagsAreBounded) {
  std::string big(5000, 'x');
  EXPECT_THAT(Trace("<a b=\"" + big + "\"/>", GetParam(), {"b"}, 1024),
              StatusIs(Code::kInvalidArgument, HasSubstr("balise de plus de 1024 octets")));
  EXPECT_THAT(Trace("<a><!--" + big + "--></a>", GetParam(), {}, 1024),
              StatusIs(Code::kInvalidArgument, HasSubstr("balise de plus de 1024 octets")));
  // Long text is handed out in pieces, whatever max_token.
  EXPECT_THAT(Trace("<a>" + big + "&amp;</a>", GetParam(), {}, 1024),
              IsOkAndHolds("<a>" + big + "&</a>"));
}

TEST(XmlScannerSourceTest, SourceErrorsStopTheScanner) {
  class Failing : public ByteSource {
   public:
    Result<size_t> Read(char* buf, size_t) override {
      if (calls_++ == 0) {
        std::memcpy(buf, "<a>", 3);
        return size_t{3};
      }
      return ResourceExhaustedError("trop grand");
    }

   private:
    int calls_ = 0;
  };
  Failing source;
  XmlScanner s(&source, "p.xml", 1024);
  EXPECT_EQ(s.Next(), Token::kStart);
  EXPECT_EQ(s.Next(), Token::kError);
  EXPECT_THAT(s.status(), StatusIs(Code::kResourceExhausted, HasSubstr("trop grand")));
  EXPECT_EQ(s.Next(), Token::kError);
}

}  // namespace
}  // namespace caduce::import_export::internal
