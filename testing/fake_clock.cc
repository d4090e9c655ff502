// FakeClock helpers.
#include "testing/fake_clock.h"

#include <stdexcept>

namespace caduce::testing {

void FakeClock::SetDate(const std::string& date) {
  int64_t micros = 0;
  if (!ParseTimestamp(date, &micros)) throw std::invalid_argument("bad date " + date);
  now_ = micros + 12LL * 3600 * 1000000;
}

}  // namespace caduce::testing
