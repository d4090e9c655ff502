// File: base/clock.h
//
// Time as a dependency. Every rule that depends on "now" (expiry, token lifetimes,
// audit timestamps) reads an injected Clock, so tests move time with FakeClock
// (testing/fake_clock.h) instead of sleeping.
#ifndef CADUCE_BASE_CLOCK_H_
#define CADUCE_BASE_CLOCK_H_

#include <cstdint>
#include <string>

namespace caduce {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (UTC). Thread-safe.
  virtual int64_t NowMicros() const = 0;
  // The civil date of "now" in the server's local time zone (TZ), as "YYYY-MM-DD".
  // Expiry dates ("Date de péremption") are civil dates and are compared with this.
  virtual std::string TodayLocal() const;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  // The process-wide instance.
  static const SystemClock& Get();
};

// Formats microseconds since the epoch as RFC 3339 UTC ("2026-11-27T09:21:56.123456Z").
std::string FormatRfc3339(int64_t micros);

// Parses "YYYY-MM-DD" or an RFC 3339 UTC timestamp into microseconds since the epoch
// (a date alone is midnight UTC). Returns false on malformed input.
bool ParseTimestamp(const std::string& text, int64_t* micros);

}  // namespace caduce

#endif  // CADUCE_BASE_CLOCK_H_
