#include "import_export/formats/sheet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace caduce::import_export {
namespace {

TEST(FormatNumberTest, IntegralValuesHaveNoExponent) {
  EXPECT_EQ(FormatNumber(1000), "1000");
  EXPECT_EQ(FormatNumber(612345678), "612345678");
  EXPECT_EQ(FormatNumber(12345678901234), "12345678901234");
  EXPECT_EQ(FormatNumber(-42), "-42");
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(-0.0), "0");
}

TEST(FormatNumberTest, ShortestRoundTrip) {
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(1.5), "1.5");
  EXPECT_EQ(FormatNumber(1e15), "1e+15");
  EXPECT_EQ(FormatNumber(1e-7), "1e-07");
}

TEST(ColumnNameTest, Letters) {
  EXPECT_EQ(ColumnName(0), "A");
  EXPECT_EQ(ColumnName(25), "Z");
  EXPECT_EQ(ColumnName(26), "AA");
  EXPECT_EQ(ColumnName(16383), "XFD");
}

TEST(SerialToIsoDateTest, System1900HonoursTheLeapYearBug) {
  EXPECT_EQ(SerialToIsoDate(1, false), "1900-01-01");
  EXPECT_EQ(SerialToIsoDate(59, false), "1900-02-28");
  EXPECT_EQ(SerialToIsoDate(60, false), "1900-02-28");  // Excel's 1900-02-29
  EXPECT_EQ(SerialToIsoDate(61, false), "1900-03-01");
  EXPECT_EQ(SerialToIsoDate(45352, false), "2024-03-01");
  EXPECT_EQ(SerialToIsoDate(45352.5, false), "2024-03-01T12:00:00");
  EXPECT_EQ(SerialToIsoDate(2958465, false), "9999-12-31");
  EXPECT_EQ(SerialToIsoDate(2958466, false), std::nullopt);
  EXPECT_EQ(SerialToIsoDate(-1, false), std::nullopt);
}

TEST(SerialToIsoDateTest, System1904) {
  EXPECT_EQ(SerialToIsoDate(0, true), "1904-01-01");
  EXPECT_EQ(SerialToIsoDate(43890, true), "2024-03-01");
}

TEST(SerialToIsoDateTest, RoundsToTheSecond) {
  EXPECT_EQ(SerialToIsoDate(45352.9999999, false), "2024-03-02");
}

}  // namespace
}  // namespace caduce::import_export
