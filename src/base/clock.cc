// System clock and timestamp formatting.
#include "base/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace caduce {

std::string Clock::TodayLocal() const {
  std::time_t secs = static_cast<std::time_t>(NowMicros() / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

int64_t SystemClock::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

std::string FormatRfc3339(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

bool ParseTimestamp(const std::string& text, int64_t* micros) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  long frac = 0;
  int n = 0;
  std::tm tm{};
  if (text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 &&
      n == 10) {
    // date only
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
                         &n) == 6) {
    const char* rest = text.c_str() + n;
    if (*rest == '.') {
      ++rest;
      int digits = 0;
      while (*rest >= '0' && *rest <= '9') {
        if (digits < 6) frac = frac * 10 + (*rest - '0');
        ++digits;
        ++rest;
      }
      for (; digits < 6; ++digits) frac *= 10;
    }
    if (*rest != 'Z' || rest[1] != '\0') return false;
  } else {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t t = timegm(&tm);
  *micros = static_cast<int64_t>(t) * 1000000 + frac;
  return true;
}

}  // namespace caduce
