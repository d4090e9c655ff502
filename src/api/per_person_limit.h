// File: api/per_person_limit.h
//
// How many requests one person may make in a minute on an /api route that costs
// the server something (directory suggestions, remote images): a fixed window
// per person, opened by its first request. In memory, per route; thread-safe.
#ifndef CADUCE_API_PER_PERSON_LIMIT_H_
#define CADUCE_API_PER_PERSON_LIMIT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace caduce::api::internal {

class PerPersonLimit {
 public:
  explicit PerPersonLimit(int64_t per_minute) : per_minute_(std::max<int64_t>(1, per_minute)) {}

  PerPersonLimit(const PerPersonLimit&) = delete;
  PerPersonLimit& operator=(const PerPersonLimit&) = delete;

  // 0 when `person_id` may make one more request at `now_micros` (counted),
  // else the whole seconds until its window ends (at least 1), for Retry-After.
  int64_t Take(int64_t person_id, int64_t now_micros) {
    std::lock_guard<std::mutex> lock(mu_);
    if (windows_.size() > kPruneAbove) {
      std::erase_if(windows_, [now_micros](const auto& w) {
        return now_micros - w.second.start >= kWindowMicros;
      });
    }
    Window& w = windows_[person_id];
    if (w.count == 0 || now_micros - w.start >= kWindowMicros) {
      w.start = now_micros;
      w.count = 0;
    }
    if (w.count >= per_minute_) {
      return std::max<int64_t>(1, (w.start + kWindowMicros - now_micros + 999'999) / 1'000'000);
    }
    ++w.count;
    return 0;
  }

 private:
  static constexpr int64_t kWindowMicros = 60 * int64_t{1'000'000};
  // Past this many persons tracked, the windows that ended are dropped.
  static constexpr std::size_t kPruneAbove = 10'000;

  struct Window {
    int64_t start = 0;
    int64_t count = 0;
  };
  const int64_t per_minute_;
  std::mutex mu_;
  std::unordered_map<int64_t, Window> windows_;  // guarded by mu_
};

}  // namespace caduce::api::internal

#endif  // CADUCE_API_PER_PERSON_LIMIT_H_
