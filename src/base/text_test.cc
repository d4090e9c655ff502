#include "base/text.h"

#include <gtest/gtest.h>

namespace caduce::text {
namespace {

TEST(TextTest, ValidUtf8) {
  EXPECT_TRUE(IsValidUtf8("Hélène Œuvre ß €"));
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBD"));  // a literal U+FFFD
  EXPECT_FALSE(IsValidUtf8("\xC3"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("caf\xE9"));       // Windows-1252 é
}

TEST(TextTest, ControlChars) {
  EXPECT_FALSE(HasControlChars("DUPONT Marie"));
  EXPECT_TRUE(HasControlChars("a\tb"));
  EXPECT_TRUE(HasControlChars("a\x7F"));
  EXPECT_TRUE(HasControlChars("a\xC2\x85"));  // U+0085 NEL
}

TEST(TextTest, FoldRemovesCaseAccentsAndSpaces) {
  EXPECT_EQ(Fold("  Île-de-FRANCE "), "ile-de-france");
  EXPECT_EQ(Fold("Hélène   Œdipe"), "helene oedipe");
  EXPECT_EQ(Fold("Straße"), "strasse");
  EXPECT_EQ(Fold("ŁÓDŹ"), "lodz");
  EXPECT_EQ(Fold("Provence-Alpes-Côte d\u2019Azur"), "provence-alpes-cote d'azur");
}

TEST(TextTest, FoldLooseDropsPunctuation) {
  EXPECT_EQ(FoldLoose("Téléphone (1)"), "telephone 1");
  EXPECT_EQ(FoldLoose("Compte(s) de connexion"), "compte s de connexion");
}

TEST(TextTest, ToUpperKeepsAccents) {
  EXPECT_EQ(ToUpper("Hélène de la Tour-d'Auvergne"), "HÉLÈNE DE LA TOUR-D'AUVERGNE");
  EXPECT_EQ(ToUpper("œuvre ÿ ł"), "ŒUVRE Ÿ Ł");
}

TEST(TextTest, TrimAndCollapse) {
  EXPECT_EQ(Trim("\xC2\xA0 x y \t"), "x y");
  EXPECT_EQ(CollapseSpaces("  a \t b  "), "a b");
}

}  // namespace
}  // namespace caduce::text
