// File: app/periodic.h
//
// A background task of `caduce serve` that runs at start and then every
// interval on its own thread (the upload sweep of the mail store), stopped and
// joined when the object is destroyed: a stop wakes the thread at once, and a
// pass in progress finishes first. Exposure: none (no input of its own).
#ifndef CADUCE_APP_PERIODIC_H_
#define CADUCE_APP_PERIODIC_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace caduce::app {

class Periodic {
 public:
  // Starts the thread; `task` runs at once, then `interval` after each pass ends.
  // REQUIRES: interval > 0; what `task` uses outlives this object.
  Periodic(std::chrono::milliseconds interval, std::function<void()> task);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  void Run();

  const std::chrono::milliseconds interval_;
  const std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace caduce::app

#endif  // CADUCE_APP_PERIODIC_H_
