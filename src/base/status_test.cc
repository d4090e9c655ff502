#include "base/status.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace caduce {
namespace {

using ::caduce::testing::StatusIs;

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgumentError("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  CADUCE_TRY(int h, Half(v));
  CADUCE_TRY(int q, Half(h));
  return q;
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, ToStringNamesCode) {
  EXPECT_EQ(NotFoundError("no such account").ToString(), "not_found: no such account");
}

TEST(StatusTest, WithContextKeepsCode) {
  Status s = InvalidArgumentError("bad").WithContext("row 4");
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(s.message(), "row 4: bad");
}

TEST(ResultTest, TryPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(Quarter(3), StatusIs(Code::kInvalidArgument));
}

TEST(ResultTest, OkStatusIsNotAValue) {
  Result<int> r = Status();
  EXPECT_THAT(r, StatusIs(Code::kInternal));
}

}  // namespace
}  // namespace caduce
