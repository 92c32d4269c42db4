// SdBusSystemd against a real D-Bus: a private dbus-daemon, with a stand-in
// for systemd's Manager object served from a thread of this test. Checks the
// protocol details that matter: the JobRemoved match catches a signal sent
// even before the method's reply, results other than "done" are failures,
// and a job that never ends times out.
#include "systemd/sdbus_client.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "secrets/store.h"

using namespace radflare;
namespace fs = std::filesystem;

extern char** environ;

namespace {

struct FakeManager {
  std::atomic<bool> stop{false};
  std::atomic<int> jobs{0};
  bool signal_before_reply = false;
  std::string last_call;

  static int on_job(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* self = static_cast<FakeManager*>(userdata);
    const char *unit = nullptr, *mode = nullptr;
    sd_bus_message_read(m, "ss", &unit, &mode);
    self->last_call = std::string(sd_bus_message_get_member(m)) + " " + unit + " " + mode;
    const uint32_t id = static_cast<uint32_t>(++self->jobs);
    const std::string path = "/org/freedesktop/systemd1/job/" + std::to_string(id);
    const std::string u(unit);
    const char* result = u == "broken.service" ? "failed" : "done";
    sd_bus* bus = sd_bus_message_get_bus(m);
    auto emit = [&] {
      if (u != "slow.service")
        sd_bus_emit_signal(bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
                           "uoss", id, path.c_str(), unit, result);
    };
    if (self->signal_before_reply) emit();
    int r = sd_bus_reply_method_return(m, "o", path.c_str());
    if (!self->signal_before_reply) emit();
    return r;
  }
  static int on_subscribe(sd_bus_message* m, void*, sd_bus_error*) { return sd_bus_reply_method_return(m, ""); }
};

const sd_bus_vtable kManagerVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Subscribe", "", "", FakeManager::on_subscribe, 0),
    SD_BUS_METHOD("StartUnit", "ss", "o", FakeManager::on_job, 0),
    SD_BUS_METHOD("RestartUnit", "ss", "o", FakeManager::on_job, 0),
    SD_BUS_METHOD("ReloadUnit", "ss", "o", FakeManager::on_job, 0),
    SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
    SD_BUS_VTABLE_END,
};

struct PrivateBus {
  fs::path dir = fs::temp_directory_path() / ("radflare-bus-" + generate_password());
  std::string address;
  pid_t daemon = -1;
  FakeManager manager;
  std::thread server;

  bool start() {
    fs::create_directories(dir);
    address = "unix:path=" + (dir / "bus").string();
    std::string addr_arg = "--address=" + address;
    const char* argv[] = {"dbus-daemon", "--session", "--nofork", "--nopidfile", addr_arg.c_str(), nullptr};
    if (posix_spawnp(&daemon, "dbus-daemon", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return false;
    for (int i = 0; i < 100 && !fs::exists(dir / "bus"); ++i) usleep(20000);
    if (!fs::exists(dir / "bus")) return false;
    std::atomic<bool> ready{false};
    server = std::thread([this, &ready] {
      sd_bus* bus = nullptr;
      sd_bus_slot* slot = nullptr;
      sd_bus_new(&bus);
      sd_bus_set_address(bus, address.c_str());
      sd_bus_set_bus_client(bus, 1);
      sd_bus_start(bus);
      sd_bus_add_object_vtable(bus, &slot, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                               kManagerVtable, &manager);
      sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
      ready = true;
      while (!manager.stop) {
        if (sd_bus_process(bus, nullptr) > 0) continue;
        sd_bus_wait(bus, 50000);
      }
      sd_bus_slot_unref(slot);
      sd_bus_flush_close_unref(bus);
    });
    for (int i = 0; i < 200 && !ready; ++i) usleep(10000);
    usleep(50000);  // let the name request land
    return ready;
  }

  ~PrivateBus() {
    manager.stop = true;
    if (server.joinable()) server.join();
    if (daemon > 0) {
      kill(daemon, SIGTERM);
      waitpid(daemon, nullptr, 0);
    }
    fs::remove_all(dir);
  }
};

}  // namespace

TEST_CASE("sd-bus client: jobs end with systemd's result, whichever comes first, reply or signal") {
  if (::access("/usr/bin/dbus-daemon", X_OK) != 0) {
    MESSAGE("dbus-daemon not installed: skipped");
    return;
  }
  PrivateBus bus;
  REQUIRE(bus.start());
  auto client = SdBusSystemd::at_address(bus.address);

  JobOutcome done = client->job("RestartUnit", "orthanc.service");
  CHECK(done.ok);
  CHECK(done.result == "done");
  CHECK(bus.manager.last_call == "RestartUnit orthanc.service replace");

  bus.manager.signal_before_reply = true;
  JobOutcome early = client->job("ReloadUnit", "nginx.service");
  CHECK(early.ok);
  CHECK(early.result == "done");

  JobOutcome failed = client->job("StartUnit", "broken.service");
  CHECK_FALSE(failed.ok);
  CHECK(failed.result == "failed");

  client->job_timeout = std::chrono::seconds(1);
  JobOutcome slow = client->job("StartUnit", "slow.service");
  CHECK_FALSE(slow.ok);
  CHECK(slow.result == "timeout");

  JobOutcome unknown = client->job("FrobnicateUnit", "x.service");
  CHECK_FALSE(unknown.ok);
  CHECK_FALSE(unknown.error.empty());
}
