// File: testing/fake_clock.h
//
// A Clock that tests set and advance by hand. The time zone for TodayLocal() is the
// process's (tests run with TZ unset, that is UTC).
#ifndef CADUCE_TESTING_FAKE_CLOCK_H_
#define CADUCE_TESTING_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "base/clock.h"

namespace caduce::testing {

class FakeClock final : public Clock {
 public:
  // Starts at 2026-11-27T09:00:00Z.
  FakeClock() : now_(1795770000LL * 1000000) {}
  explicit FakeClock(int64_t micros) : now_(micros) {}

  int64_t NowMicros() const override { return now_.load(); }
  void Set(int64_t micros) { now_ = micros; }
  // Sets the clock to noon UTC of `date` ("YYYY-MM-DD").
  void SetDate(const std::string& date);
  void AdvanceSeconds(int64_t s) { now_ += s * 1000000; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace caduce::testing

#endif  // CADUCE_TESTING_FAKE_CLOCK_H_
