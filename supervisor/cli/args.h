// Command-line parsing for `radflare COMMAND [--option value]...`.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace radflare {

struct Args {
  std::string command;
  std::map<std::string, std::string> options;  // "--config" -> "/etc/radflare.toml"
  std::set<std::string> flags;                 // "--help", "--force"
  std::vector<std::string> positional;

  std::string get(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
};

// `valued` lists the options that take a value. Throws std::invalid_argument
// with a sentence for the user on a malformed command line.
Args parse_args(int argc, char** argv, const std::set<std::string>& valued);

}  // namespace radflare
