// File: testing/status_matchers.h
//
// GoogleTest matchers for Status and Result<T> (after abseil's status_matchers.h).
// There is deliberately no "is not ok": name the error you expect.
//   EXPECT_THAT(r, IsOk());
//   EXPECT_THAT(r, StatusIs(Code::kPermissionDenied));
//   EXPECT_THAT(r, StatusIs(Code::kInvalidArgument, HasSubstr("RPPS")));
#ifndef CADUCE_TESTING_STATUS_MATCHERS_H_
#define CADUCE_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>

#include <ostream>

#include "base/status.h"

namespace caduce {

inline void PrintTo(const Status& s, std::ostream* os) { *os << s.ToString(); }
inline void PrintTo(Code c, std::ostream* os) { *os << CodeName(c); }
template <class T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  *os << (r.ok() ? std::string("ok (value)") : r.status().ToString());
}

namespace testing {

MATCHER(IsOk, "is OK") {
  if (arg.status().ok()) return true;
  *result_listener << "status is " << arg.status().ToString();
  return false;
}

MATCHER_P(StatusIs, code, "has status code " + std::string(CodeName(code))) {
  Status s = arg.status();
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + std::string(CodeName(code)) + " and a matching message") {
  Status s = arg.status();
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::Matches(message_matcher)(s.message());
}

}  // namespace testing
}  // namespace caduce

// ASSERT_OK_AND_ASSIGN(auto v, Compute());
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                             \
  ASSERT_OK_AND_ASSIGN_IMPL(CADUCE_INTERNAL_CONCAT(caduce_test_r_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)                                   \
  auto tmp = (expr);                                                                \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();                                 \
  lhs = std::move(tmp).value()

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::caduce::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::caduce::testing::IsOk())

#endif  // CADUCE_TESTING_STATUS_MATCHERS_H_
