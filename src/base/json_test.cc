#include "base/json.h"

#include <gtest/gtest.h>

#include <string>

namespace caduce {
namespace {

std::string Quoted(std::string_view s) {
  std::string out = "prefix:";
  AppendJsonString(out, s);
  return out;
}

TEST(JsonTest, PlainTextIsQuotedAsItIs) {
  EXPECT_EQ(Quoted(""), "prefix:\"\"");
  EXPECT_EQ(Quoted("personne1@chu-bench.fr"), "prefix:\"personne1@chu-bench.fr\"");
  // UTF-8 is kept byte for byte (JSON text is UTF-8, RFC 8259 §8.1).
  EXPECT_EQ(Quoted("Hélène Œuvre €"), "prefix:\"Hélène Œuvre €\"");
}

TEST(JsonTest, QuotesBackslashesAndLineEndsAreEscaped) {
  EXPECT_EQ(Quoted("a\"b"), "prefix:\"a\\\"b\"");
  EXPECT_EQ(Quoted("C:\\dossier"), "prefix:\"C:\\\\dossier\"");
  EXPECT_EQ(Quoted("l1\nl2\r\n\tfin"), "prefix:\"l1\\nl2\\r\\n\\tfin\"");
  EXPECT_EQ(Quoted("\"\"\\"), "prefix:\"\\\"\\\"\\\\\"");
}

TEST(JsonTest, OtherControlCharactersAndDeleteAreEscapedAsCodePoints) {
  EXPECT_EQ(Quoted(std::string_view("\0", 1)), "prefix:\"\\u0000\"");
  EXPECT_EQ(Quoted("a\x01z"), "prefix:\"a\\u0001z\"");
  EXPECT_EQ(Quoted("\x1f\x7f"), "prefix:\"\\u001f\\u007f\"");
  // A byte above 0x7F is part of a UTF-8 sequence, not a control character.
  EXPECT_EQ(Quoted("\xC2\xA0"), "prefix:\"\xC2\xA0\"");
}

TEST(JsonTest, LongTextsWithEscapesAnywhereKeepEveryByte) {
  std::string in, want = "prefix:\"";
  for (int i = 0; i < 500; ++i) {
    in += "segment";
    want += "segment";
    switch (i % 5) {
      case 0: in += '"'; want += "\\\""; break;
      case 1: in += '\n'; want += "\\n"; break;
      case 2: in += "é"; want += "é"; break;
      case 3: in += '\x02'; want += "\\u0002"; break;
      default: break;
    }
  }
  want += '"';
  EXPECT_EQ(Quoted(in), want);
}

TEST(JsonTest, ObjectsKeepTheirKeysInOrder) {
  JsonObject o;
  EXPECT_TRUE(o.empty());
  EXPECT_EQ(o.str(), "{}");
  o.Add("address", "a@b.fr").Add("n", 3).Add("visible", false).AddRaw("fields", "{\"x\":1}");
  o.Add("nom \"X\"", "L'été");
  EXPECT_FALSE(o.empty());
  EXPECT_EQ(o.str(),
            "{\"address\":\"a@b.fr\",\"n\":3,\"visible\":false,\"fields\":{\"x\":1},"
            "\"nom \\\"X\\\"\":\"L'été\"}");
}

}  // namespace
}  // namespace caduce
