// The one table of every key /etc/radflare.toml may hold: type, default,
// documentation and value check. The loader, `radflare schema` (which
// generates docs/configuration.md) and the "did you mean" suggestions are all
// driven by it, so a key exists in exactly one place.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace radflare {

enum class KeyType {
  Section,      // [name] — a table of keys
  String,
  Integer,
  Boolean,
  Number,       // float; integers accepted
  StringArray,  // ["a", "b"]; the string check applies to each element
  StringMap,    // { NAME = "value" }; key_check on names, string check on values
  TableArray,   // [[name]] — its element keys are "name.key"
};

struct KeySpec {
  std::string path;          // "orthanc.dicom_port"; element keys of a table array: "web.users.name"
  KeyType type;
  std::string default_toml;  // the default as a TOML literal ("" for sections, arrays of tables, required keys)
  std::string doc;           // one or two sentences for docs/configuration.md
  std::function<std::string(std::string_view)> check_string = {};  // "" = fine, else "expected …"
  std::function<std::string(int64_t)> check_integer = {};
  std::function<std::string(std::string_view)> check_key = {};  // StringMap names
  bool required = false;     // only for keys inside a table array element
  double min_number = 0, max_number = 0;  // Number range when max_number > min_number
};

const std::vector<KeySpec>& schema();

// The spec at `path`, or nullptr.
const KeySpec* find_key(std::string_view path);

// Keys directly below `prefix` ("" = top-level sections), for suggestions.
std::vector<std::string> child_names(std::string_view prefix);

// Type name used in messages and docs: "an integer", "a list of strings" …
std::string describe(KeyType type);

}  // namespace radflare
