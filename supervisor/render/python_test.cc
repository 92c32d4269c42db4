#include "render/python.h"

#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "render/paths.h"
#include "render/render.h"
#include "render/testing.h"

namespace radflare {
namespace {

using nlohmann::json;
using testing::example_config;
using testing::file_at;

bool has_file(const std::vector<PlannedFile>& files, const std::string& path) {
  for (const auto& f : files)
    if (f.path == path) return true;
  return false;
}

// The double-quoted branch of systemd's EnvironmentFile parser (env-file.c,
// DOUBLE_QUOTE_VALUE / DOUBLE_QUOTE_VALUE_ESCAPE) plus line splitting, enough
// to read back what systemd_env_assignment() writes.
std::map<std::string, std::string> parse_env_file(const std::string& text) {
  std::map<std::string, std::string> vars;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '#' || text[i] == '\n') {
      i = text.find('\n', i);
      i = i == std::string::npos ? text.size() : i + 1;
      continue;
    }
    const size_t eq = text.find('=', i);
    REQUIRE(eq != std::string::npos);
    const std::string key = text.substr(i, eq - i);
    i = eq + 1;
    REQUIRE(text[i] == '"');
    std::string value;
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\') {
        const char next = text[++i];
        if (next == '"' || next == '\\' || next == '`' || next == '$')
          value += next;
        else if (next != '\n')
          value += std::string{'\\', next};
      } else {
        value += text[i];
      }
    }
    REQUIRE(i < text.size());
    ++i;  // closing quote
    REQUIRE((i == text.size() || text[i] == '\n'));
    ++i;
    vars[key] = value;
  }
  return vars;
}

Config webhook_config() {
  Config c = example_config();
  c.webhook.url = "https://app.example.com/api/v1/webhooks/orthanc";
  c.webhook.api_key = Secret("test-api-key");
  c.webhook.queue = QueueType::Persistent;
  c.webhook.queue_path = "/var/lib/orthanc/queue";
  c.webhook.max_retries = 1;
  c.webhook.initial_retry_delay = 20;
  c.webhook.max_retry_delay = 60;
  c.webhook.backoff_factor = 2.0;
  return c;
}

TEST_CASE("python: webhook on, no own script -> the shipped forwarder") {
  const auto files = render_python(webhook_config());
  const PlannedFile& file = file_at(files, paths::kOrthancPython);
  CHECK(file.mode == 0644);
  CHECK(file.owner == "root");
  CHECK_FALSE(file.secret);
  CHECK(file.bytes.back() == '\n');
  const json j = json::parse(file.bytes);
  CHECK(j == json{{"PythonScript", "/usr/share/radflare/plugins/webhook_forwarder.py"},
                  {"PythonVerbose", false}});
  CHECK(file.bytes.find("test-api-key") == std::string::npos);
}

TEST_CASE("python: an own script wins, verbose passes through") {
  Config c = webhook_config();
  c.python.script = "/etc/radflare/plugins/orthanc_plugin.py";
  c.python.verbose = true;
  const json j = json::parse(file_at(render_python(c), paths::kOrthancPython).bytes);
  CHECK(j["PythonScript"] == "/etc/radflare/plugins/orthanc_plugin.py");
  CHECK(j["PythonVerbose"] == true);
  CHECK(j.size() == 2);  // plugin 4.0 reads nothing else
}

TEST_CASE("python: nothing to run -> no python.json, but orthanc.env still exists") {
  const auto files = render_python(example_config());  // python on, no webhook, no script
  CHECK_FALSE(has_file(files, paths::kOrthancPython));
  const PlannedFile& env = file_at(files, paths::kOrthancEnv);
  CHECK(parse_env_file(env.bytes) ==
        std::map<std::string, std::string>{{"ORTHANC_PLUGIN_LOG_DIR", "/var/lib/orthanc/plugin-logs"}});
}

TEST_CASE("python: plugin logs go under /var/lib/orthanc/plugin-logs, for an own script too") {
  Config c = example_config();
  c.python.script = "/etc/radflare/plugins/orthanc_plugin.py";
  c.python.env = {{"MY_SETTING", "x"}};
  const auto vars = parse_env_file(file_at(render_python(c), paths::kOrthancEnv).bytes);
  CHECK(vars.size() == 2);
  CHECK(vars.at("ORTHANC_PLUGIN_LOG_DIR") == "/var/lib/orthanc/plugin-logs");
  c.python.env = {{"ORTHANC_PLUGIN_LOG_DIR", "/srv/logs"}};  // the loader refuses this; so does the renderer
  CHECK_THROWS_AS(render_python(c), std::invalid_argument);
}

TEST_CASE("python: the forwarder learns the appliance name and whether series count") {
  Config c = webhook_config();
  c.site.name = "Radflare \"east\"";
  auto vars = parse_env_file(file_at(render_python(c), paths::kOrthancEnv).bytes);
  CHECK(vars.at("ORTHANC_PLUGIN_APPLIANCE_NAME") == "Radflare \"east\"");
  CHECK(vars.at("ORTHANC_PLUGIN_STABLE_SERIES") == "false");
  c.webhook.stable_series = true;
  vars = parse_env_file(file_at(render_python(c), paths::kOrthancEnv).bytes);
  CHECK(vars.at("ORTHANC_PLUGIN_STABLE_SERIES") == "true");
  c.webhook.url.clear();  // webhook off: none of its variables
  vars = parse_env_file(file_at(render_python(c), paths::kOrthancEnv).bytes);
  CHECK_FALSE(vars.contains("ORTHANC_PLUGIN_APPLIANCE_NAME"));
  CHECK_FALSE(vars.contains("ORTHANC_PLUGIN_STABLE_SERIES"));
}

TEST_CASE("python: plugin off -> no files") {
  Config c = webhook_config();
  c.orthanc.plugins = {"dicomweb", "postgresql"};
  CHECK(render_python(c).empty());
}

TEST_CASE("python: orthanc.env carries the seed's variables") {
  Config c = webhook_config();
  c.python.env = {{"EXTRA_SETTING", "on"}, {"LOG_DIR", "/var/lib/orthanc/plugin-logs"}};
  const auto files = render_python(c);
  const PlannedFile& file = file_at(files, paths::kOrthancEnv);
  CHECK(file.mode == 0600);
  CHECK(file.owner == "root");
  CHECK(file.group == "root");
  CHECK(file.secret);
  const auto vars = parse_env_file(file.bytes);
  CHECK(vars.size() == 13);
  CHECK(vars.at("ORTHANC_PLUGIN_RADFLARE_API_URL") ==
        "https://app.example.com/api/v1/webhooks/orthanc");
  CHECK(vars.at("ORTHANC_PLUGIN_API_KEY") == "test-api-key");
  CHECK(vars.at("ORTHANC_PLUGIN_QUEUE_TYPE") == "persistent");
  CHECK(vars.at("ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH") == "/var/lib/orthanc/queue");
  CHECK(vars.at("ORTHANC_PLUGIN_MAX_RETRIES") == "1");
  CHECK(vars.at("ORTHANC_PLUGIN_INITIAL_RETRY_DELAY") == "20");
  CHECK(vars.at("ORTHANC_PLUGIN_MAX_RETRY_DELAY") == "60");
  CHECK(vars.at("ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR") == "2");
  CHECK(vars.at("EXTRA_SETTING") == "on");
  CHECK(vars.at("LOG_DIR") == "/var/lib/orthanc/plugin-logs");
  CHECK(vars.at("ORTHANC_PLUGIN_STABLE_SERIES") == "false");
  CHECK(vars.at("ORTHANC_PLUGIN_APPLIANCE_NAME") == c.site.name);
  CHECK(vars.at("ORTHANC_PLUGIN_LOG_DIR") == "/var/lib/orthanc/plugin-logs");

  c.webhook.queue = QueueType::Memory;
  c.webhook.backoff_factor = 1.5;
  const auto memory = parse_env_file(file_at(render_python(c), paths::kOrthancEnv).bytes);
  CHECK(memory.at("ORTHANC_PLUGIN_QUEUE_TYPE") == "memory");
  CHECK(memory.at("ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR") == "1.5");
}

TEST_CASE("python: hostile values come back byte for byte or are refused") {
  const std::string nasty = "a\"b\\c$HOME`id` 'q' \\\"; X=1 #";
  CHECK(systemd_env_assignment("V", nasty) ==
        "V=\"a\\\"b\\\\c\\$HOME\\`id\\` 'q' \\\\\\\"; X=1 #\"");
  CHECK(parse_env_file(systemd_env_assignment("V", nasty) + "\n").at("V") == nasty);
  CHECK(parse_env_file(systemd_env_assignment("V", "  spaced  ") + "\n").at("V") == "  spaced  ");
  CHECK(parse_env_file(systemd_env_assignment("V", "trailing\\") + "\n").at("V") == "trailing\\");

  // A newline (or any control character) could start a new assignment.
  CHECK_THROWS_AS(systemd_env_assignment("V", "x\nORTHANC_PLUGIN_API_KEY=stolen"),
                  std::invalid_argument);
  CHECK_THROWS_AS(systemd_env_assignment("V", "x\ry"), std::invalid_argument);
  CHECK_THROWS_AS(systemd_env_assignment("V", std::string("x\0y", 3)), std::invalid_argument);
  CHECK_THROWS_AS(systemd_env_assignment("V", "\xff\xfe"), std::invalid_argument);
  CHECK(parse_env_file(systemd_env_assignment("V", "caf\xc3\xa9") + "\n").at("V") == "caf\xc3\xa9");

  Config c = webhook_config();
  c.webhook.api_key = Secret("key\"with\\quotes$");
  CHECK(parse_env_file(file_at(render_python(c), paths::kOrthancEnv).bytes)
            .at("ORTHANC_PLUGIN_API_KEY") == "key\"with\\quotes$");

  SUBCASE("a newline in the API key refuses the render without showing it") {
    c.webhook.api_key = Secret("secret-part\nINJECTED=1");
    try {
      render_python(c);
      FAIL("expected std::invalid_argument");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("ORTHANC_PLUGIN_API_KEY") != std::string::npos);
      CHECK(std::string(e.what()).find("secret-part") == std::string::npos);
    }
  }
  SUBCASE("bad names and duplicates are refused") {
    c.python.env = {{"BAD NAME", "x"}};
    CHECK_THROWS_AS(render_python(c), std::invalid_argument);
    c.python.env = {{"1ST", "x"}};
    CHECK_THROWS_AS(render_python(c), std::invalid_argument);
    c.python.env = {{"ORTHANC_PLUGIN_API_KEY", "override"}};
    CHECK_THROWS_AS(render_python(c), std::invalid_argument);
  }
}

TEST_CASE("python: the API key is only in orthanc.env") {
  const auto files = render_python(webhook_config());
  for (const auto& f : files) {
    CHECK((f.bytes.find("test-api-key") != std::string::npos) == (f.path == paths::kOrthancEnv));
    CHECK(f.bytes.find("test-db-password") == std::string::npos);
    CHECK(f.bytes.find("test-proxy-password") == std::string::npos);
  }
}

}  // namespace
}  // namespace radflare
