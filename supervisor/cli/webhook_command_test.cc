#include "cli/webhook_command.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace radflare {
namespace {

using Argv = std::vector<std::string>;

TEST_CASE("webhook command: runs the forwarder script on the configured queue") {
  WebhookConfig w;
  w.queue_path = "/var/lib/orthanc/queue";
  w.queue = QueueType::Persistent;
  CHECK(webhook_argv(w, "/usr/share/radflare/plugins/webhook_forwarder.py", "stats", {}) ==
        Argv{"/usr/bin/python3", "/usr/share/radflare/plugins/webhook_forwarder.py", "stats", "--queue",
             "/var/lib/orthanc/queue", "--queue-type", "persistent"});
  w.queue = QueueType::Memory;
  w.queue_path = "/srv/q";
  CHECK(webhook_argv(w, "s.py", "replay", {"k1", "k2"}) ==
        Argv{"/usr/bin/python3", "s.py", "replay", "--queue", "/srv/q", "--queue-type", "memory", "--key", "k1",
             "--key", "k2"});
  CHECK(webhook_argv(w, "s.py", "list-dead", {}).at(2) == "list-dead");
}

TEST_CASE("webhook command: unknown sub-commands and stray keys are usage errors") {
  WebhookConfig w;
  CHECK_THROWS_AS(webhook_argv(w, "s.py", "purge", {}), std::invalid_argument);
  CHECK_THROWS_AS(webhook_argv(w, "s.py", "stats", {"k1"}), std::invalid_argument);
}

}  // namespace
}  // namespace radflare
