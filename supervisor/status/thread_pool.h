// The status page's threads: cpp-httplib serves each kept-alive connection
// on one thread from start to close, so it needs as many threads as clients
// at once. Its own ThreadPool starts all of them up front and keeps them;
// this one starts a thread when a connection finds none idle, up to `max`,
// and lets a thread go after `idle_timeout` without work. Idle, the
// supervisor holds no status threads; under 50 clients, about 50.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace radflare {

class ElasticThreadPool final : public httplib::TaskQueue {
 public:
  ElasticThreadPool(size_t max_threads, std::chrono::milliseconds idle_timeout);
  ~ElasticThreadPool() override;
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  // Runs fn on an idle thread, a new one, or (all `max` busy) the first
  // that frees up.
  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then returns once every thread has ended.
  void shutdown() override;

  size_t threads() const;       // running now (busy or idle)
  size_t idle_threads() const;  // of those, waiting for a job

 private:
  void work();

  const size_t max_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_gone_;
  std::deque<std::function<void()>> jobs_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  bool shutting_down_ = false;
};

}  // namespace radflare
