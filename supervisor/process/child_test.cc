#include "process/child.h"

#include <doctest/doctest.h>

#include <chrono>

using namespace radflare;
using namespace std::chrono_literals;

TEST_CASE("child process: a child's output, exit code and environment") {
  RealChildRunner runner;
  ChildResult r = runner.run({"sh", "-c", "echo out; echo err >&2; echo \"$RADFLARE_T\"; exit 3"}, {{"RADFLARE_T", "v"}}, 10s);
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.timed_out);
  CHECK(r.output == "out\nerr\nv\n");
  r = runner.run({"/nonexistent/program"}, {}, 10s);
  CHECK(r.exit_code == -1);
  CHECK(r.output.find("cannot run /nonexistent/program") == 0);
}

TEST_CASE("child process: a child past its deadline is killed with its process group") {
  RealChildRunner runner;
  const auto start = std::chrono::steady_clock::now();
  // The grandchild (sleep) holds the pipe too: the whole group must go.
  ChildResult r = runner.run({"sh", "-c", "echo started; sleep 30 & wait"}, {}, 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.timed_out);
  CHECK(r.exit_code == -1);
  CHECK(r.output == "started\n");
  CHECK(took < 5s);
  // A child that ignores SIGTERM is killed 5 s later.
  r = runner.run({"sh", "-c", "trap '' TERM; sleep 30 & wait; sleep 30"}, {}, 100ms);
  CHECK(r.timed_out);
}
