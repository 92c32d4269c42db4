#include "status/thread_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>

using namespace radflare;
using namespace std::chrono_literals;

namespace {

// Waits (at most 5 s) until pred() holds.
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

}  // namespace

TEST_CASE("status thread pool: a thread per job at once, up to the maximum, none when idle") {
  ElasticThreadPool pool(4, 500ms);
  CHECK(pool.threads() == 0);

  // Six jobs that hold their thread until released, like kept-alive
  // connections: four run at once, two wait for a thread to free up.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> running{0}, done{0};
  for (int i = 0; i < 6; ++i)
    pool.enqueue([&, released] {
      ++running;
      released.wait();
      ++done;
    });
  CHECK(eventually([&] { return running == 4; }));
  CHECK(pool.threads() == 4);
  std::this_thread::sleep_for(50ms);
  CHECK(running == 4);  // the maximum holds

  release.set_value();
  CHECK(eventually([&] { return done == 6; }));
  // Without work, each thread goes after the idle timeout.
  CHECK(eventually([&] { return pool.threads() == 0; }));

  // An idle thread takes the next job instead of a new thread starting.
  pool.enqueue([&] { ++done; });
  CHECK(eventually([&] { return done == 7 && pool.idle_threads() == 1; }));
  CHECK(pool.threads() == 1);
  pool.enqueue([&] { ++done; });
  CHECK(eventually([&] { return done == 8; }));
  CHECK(pool.threads() == 1);
}

TEST_CASE("status thread pool: shutdown runs what is queued and waits for every thread") {
  std::atomic<int> done{0};
  {
    ElasticThreadPool pool(2, 10s);
    for (int i = 0; i < 10; ++i)
      pool.enqueue([&] {
        std::this_thread::sleep_for(5ms);
        ++done;
      });
    pool.shutdown();
    CHECK(done == 10);
    CHECK(pool.threads() == 0);
  }  // the destructor's second shutdown is a no-op
  CHECK(done == 10);
}
