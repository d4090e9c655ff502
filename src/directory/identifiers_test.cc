// Tests of the identifier checks against DOMAIN.md §8.1: SIREN/SIRET keys enforced
// (with La Poste's exception), RPPS/ADELI/FINESS formats strict and keys advisory.
#include "directory/identifiers.h"

#include <gtest/gtest.h>

#include <string>

namespace caduce::directory {
namespace {

// Every single-digit substitution of `valid` must make `check` fail: Luhn catches
// all of them, which is what the key is for.
template <class CheckFn>
void ExpectEverySingleDigitChangeFails(const std::string& valid, CheckFn check) {
  ASSERT_EQ(check(valid), IdCheck::kValid) << valid;
  for (size_t i = 0; i < valid.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == valid[i]) continue;
      std::string changed = valid;
      changed[i] = d;
      EXPECT_EQ(check(changed), IdCheck::kBadKey) << changed;
    }
  }
}

TEST(IdentifiersTest, LuhnFollowsTheDomainDescription) {
  EXPECT_TRUE(LuhnValid("0"));
  EXPECT_TRUE(LuhnValid("18"));
  EXPECT_TRUE(LuhnValid("79927398713"));  // the textbook example
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_TRUE(LuhnValid(""));
}

TEST(IdentifiersTest, ValidSirenPasses) {
  EXPECT_EQ(CheckSiren("732829320"), IdCheck::kValid);
  EXPECT_EQ(CheckSiren("552100554"), IdCheck::kValid);
}

TEST(IdentifiersTest, EverySingleDigitChangeOfASirenFails) {
  ExpectEverySingleDigitChangeFails("732829320", CheckSiren);
  ExpectEverySingleDigitChangeFails("552100554", CheckSiren);
}

TEST(IdentifiersTest, SirenFormat) {
  EXPECT_EQ(CheckSiren("73282932"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckSiren("7328293200"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckSiren("73282932A"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckSiren("732 829 320"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckSiren(""), IdCheck::kBadFormat);
}

TEST(IdentifiersTest, ValidSiretPasses) {
  EXPECT_EQ(CheckSiret("73282932000074"), IdCheck::kValid);
  EXPECT_EQ(CheckSiret("55210055400013"), IdCheck::kValid);
}

TEST(IdentifiersTest, EverySingleDigitChangeOfASiretFails) {
  ExpectEverySingleDigitChangeFails("73282932000074", CheckSiret);
  ExpectEverySingleDigitChangeFails("55210055400013", CheckSiret);
}

TEST(IdentifiersTest, SiretFormat) {
  EXPECT_EQ(CheckSiret("7328293200007"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckSiret("732829320000740"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckSiret("7328293200007X"), IdCheck::kBadFormat);
}

TEST(IdentifiersTest, LaPosteSiretUsesTheSumOfDigits) {
  // DOMAIN.md §8.1: 35600000049837 fails Luhn but its digits sum to 45.
  EXPECT_EQ(CheckSiret("35600000049837"), IdCheck::kValid);
  EXPECT_EQ(CheckSiret("35600000049838"), IdCheck::kBadKey);  // sum 46
  EXPECT_EQ(CheckSiret("35600000049832"), IdCheck::kValid);   // sum 40, a +/-5 change passes
}

TEST(IdentifiersTest, LaPosteHeadOfficeUsesLuhn) {
  // Its digits sum to 26, which the La Poste rule would refuse: only Luhn accepts it.
  EXPECT_EQ(CheckSiret("35600000000048"), IdCheck::kValid);
  // Its neighbours are ordinary La Poste establishments: the sum of digits decides.
  EXPECT_EQ(CheckSiret("35600000000047"), IdCheck::kValid);   // sum 25
  EXPECT_EQ(CheckSiret("35600000000049"), IdCheck::kBadKey);  // sum 27
}

TEST(IdentifiersTest, RppsOfTheRightFormatPassesWhateverItsKey) {
  EXPECT_EQ(CheckRpps("10102727012"), IdCheck::kValid);
  // The ANS annuaire examples fail Luhn (DOMAIN.md §8.1): a key problem, not a format one.
  EXPECT_EQ(CheckRpps("10102727017"), IdCheck::kBadKey);
  EXPECT_EQ(CheckRpps("10003461033"), IdCheck::kBadKey);
}

TEST(IdentifiersTest, RppsWrongFormats) {
  EXPECT_EQ(CheckRpps("1010272701"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckRpps("101027270170"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckRpps("1010272701A"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckRpps("810102727017"), IdCheck::kBadFormat);  // an IDNPS, not an RPPS
}

TEST(IdentifiersTest, AdeliOfTheRightFormatPasses) {
  EXPECT_EQ(CheckAdeli("311234561"), IdCheck::kValid);
  EXPECT_EQ(CheckAdeli("311234567"), IdCheck::kBadKey);
  EXPECT_EQ(CheckAdeli("2A1234567"), IdCheck::kValid);  // Corsica: no known key rule
  EXPECT_EQ(CheckAdeli("2B1234567"), IdCheck::kValid);
}

TEST(IdentifiersTest, AdeliWrongFormats) {
  EXPECT_EQ(CheckAdeli("31123456"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckAdeli("3112345678"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckAdeli("2C1234567"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckAdeli("3A1234567"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckAdeli("31123456A"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckAdeli("AB1234567"), IdCheck::kBadFormat);
}

TEST(IdentifiersTest, FinessOfTheRightFormatPasses) {
  EXPECT_EQ(CheckFiness("750000010"), IdCheck::kValid);
  EXPECT_EQ(CheckFiness("130786049"), IdCheck::kValid);
  EXPECT_EQ(CheckFiness("750000011"), IdCheck::kBadKey);
  EXPECT_EQ(CheckFiness("2A0000016"), IdCheck::kValid);
  EXPECT_EQ(CheckFiness("2B0000016"), IdCheck::kValid);
}

TEST(IdentifiersTest, FinessWrongFormats) {
  EXPECT_EQ(CheckFiness("75000001"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckFiness("7500000100"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckFiness("2Z0000016"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckFiness("75000001X"), IdCheck::kBadFormat);
  EXPECT_EQ(CheckFiness(""), IdCheck::kBadFormat);
}

}  // namespace
}  // namespace caduce::directory
