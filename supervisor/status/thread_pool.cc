#include "status/thread_pool.h"

#include <spdlog/spdlog.h>

#include <system_error>
#include <thread>

namespace radflare {

ElasticThreadPool::ElasticThreadPool(size_t max_threads, std::chrono::milliseconds idle_timeout)
    : max_(max_threads > 0 ? max_threads : 1), idle_timeout_(idle_timeout) {}

ElasticThreadPool::~ElasticThreadPool() { shutdown(); }

void ElasticThreadPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  jobs_.push_back(std::move(fn));
  // The idle threads each take one of the queued jobs; start a thread for
  // each job beyond them, as long as there is room.
  if (jobs_.size() > idle_ && threads_ < max_) {
    try {
      std::thread(&ElasticThreadPool::work, this).detach();
      ++threads_;
    } catch (const std::system_error& e) {
      // Out of threads (RLIMIT_NPROC, memory): the job waits for a busy one.
      if (threads_ == 0) spdlog::error("status page: cannot start a thread: {}", e.what());
    }
  }
  work_ready_.notify_one();
}

void ElasticThreadPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      job = nullptr;  // what it captured goes before the lock is taken again
      lock.lock();
      continue;
    }
    if (shutting_down_) break;
    ++idle_;
    const bool woken = work_ready_.wait_for(lock, idle_timeout_, [this] { return !jobs_.empty() || shutting_down_; });
    --idle_;
    if (!woken) break;  // no work for idle_timeout: let the thread go
  }
  // The last member access: shutdown() may destroy the pool once it sees 0.
  if (--threads_ == 0) all_gone_.notify_all();
}

void ElasticThreadPool::shutdown() {
  std::unique_lock lock(mutex_);
  shutting_down_ = true;
  work_ready_.notify_all();
  all_gone_.wait(lock, [this] { return threads_ == 0; });
  // Jobs no thread could be started for: run them here (each closes its socket).
  while (!jobs_.empty()) {
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

size_t ElasticThreadPool::threads() const {
  std::lock_guard lock(mutex_);
  return threads_;
}

size_t ElasticThreadPool::idle_threads() const {
  std::lock_guard lock(mutex_);
  return idle_;
}

}  // namespace radflare
