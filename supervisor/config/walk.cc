#include "config/walk.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "config/schema.h"
#include "config/suggest.h"
#include "config/validators.h"

namespace radflare {

namespace {

// Orthanc's and the seed's own names for settings, so an operator who pastes
// them is told where the setting lives here.
const std::map<std::string, std::string>& foreign_names() {
  static const std::map<std::string, std::string> names = {
      {"Name", "site.name"},
      {"DicomAet", "orthanc.aet"},
      {"DicomPort", "orthanc.dicom_port"},
      {"HttpPort", "orthanc.http_port"},
      {"StableAge", "orthanc.stable_age"},
      {"StorageDirectory", "orthanc.storage_dir"},
      {"HttpThreadsCount", "orthanc.http_threads"},
      {"ConcurrentJobs", "orthanc.concurrent_jobs"},
      {"DicomAlwaysAllowStore", "orthanc.allow_unknown_modalities"},
      {"DicomModalities", "orthanc.modalities"},
      {"DicomWeb", "orthanc.dicomweb_root"},
      {"Root", "orthanc.dicomweb_root"},
      {"WadoRoot", "orthanc.wado_root"},
      {"QidoCaseSensitive", "orthanc.qido_case_sensitive"},
      {"RegisteredUsers", "web.users"},
      {"AuthenticationEnabled", "web.users (nginx always authenticates people)"},
      {"CorsOrigins", "web.cors_origins"},
      {"PostgreSQL", "database"},
      {"EnableStorage", "database.files"},
      {"ConnectionUri", "database.host, database.port, database.name, database.user, database.password_file"},
      {"RDS_HOST", "database.host"},
      {"RDS_DB", "database.name"},
      {"RDS_USER", "database.user"},
      {"RDS_PASSWORD", "database.password_file"},
      {"ORTHANC_PLUGIN_RADFLARE_API_URL", "webhook.url"},
      {"ORTHANC_PLUGIN_API_KEY", "webhook.api_key_file"},
      {"ORTHANC_PLUGIN_QUEUE_TYPE", "webhook.queue"},
      {"ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH", "webhook.queue_path"},
      {"ORTHANC_PLUGIN_MAX_RETRIES", "webhook.max_retries"},
      {"ORTHANC_PLUGIN_INITIAL_RETRY_DELAY", "webhook.initial_retry_delay"},
      {"ORTHANC_PLUGIN_MAX_RETRY_DELAY", "webhook.max_retry_delay"},
      {"ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR", "webhook.backoff_factor"},
      {"PythonScript", "python.script"},
  };
  return names;
}

bool looks_like_inline_secret(const std::string& name) {
  for (const char* word : {"password", "api_key", "apikey", "secret", "token"})
    if (name.find(word) != std::string::npos && !name.ends_with("_file")) return true;
  return false;
}

std::string found_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "the string " + validate::quoted(*n.value<std::string>());
    case toml::node_type::integer: return "the integer " + std::to_string(*n.value<int64_t>());
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return *n.value<bool>() ? "true" : "false";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date/time";
    case toml::node_type::array: return "a list";
    case toml::node_type::table: return "a table";
    default: return "nothing";
  }
}

// 2.5 -> "2.5", 1.0 -> "1": numbers as a person writes them.
std::string shortest(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

std::string section_label(const std::string& shown_prefix) {
  return shown_prefix.empty() ? "at the top level" : "in [" + shown_prefix + "]";
}

class Walker {
 public:
  Walker(const std::string& file, Diagnostics& out) : file_(file), out_(out) {}

  void table(const toml::table& t, const std::string& spec_prefix, const std::string& shown_prefix) {
    for (auto&& [key, node] : t) {
      const std::string name(key.str());
      const std::string spec_path = spec_prefix.empty() ? name : spec_prefix + "." + name;
      const std::string shown = shown_prefix.empty() ? name : shown_prefix + "." + name;
      if (const KeySpec* spec = find_key(spec_path))
        value(*spec, node, shown);
      else
        unknown(name, key.source(), spec_prefix, shown_prefix, shown);
    }
  }

  WalkResult result() { return std::move(result_); }

 private:
  void error(const toml::source_region& where, const std::string& key, std::string message) {
    Diagnostic d;
    d.file = file_;
    d.key = key;
    d.message = std::move(message);
    place(d, where);
    out_.push_back(std::move(d));
  }

  void reject(const toml::node& n, const std::string& key, std::string message) {
    result_.rejected.insert(&n);
    error(n.source(), key, std::move(message));
  }

  void unknown(const std::string& name, const toml::source_region& where, const std::string& spec_prefix,
               const std::string& shown_prefix, const std::string& shown) {
    const auto siblings = child_names(spec_prefix);
    std::string message = "unknown key \"" + name + "\" " + section_label(shown_prefix);
    const std::string as_file = name + "_file";
    if (looks_like_inline_secret(name)) {
      bool has_file_key = std::find(siblings.begin(), siblings.end(), as_file) != siblings.end();
      message += "; secrets are never written in radflare.toml: put the value in a file readable only by root "
                 "(chmod 600) and name that file with " +
                 (has_file_key ? "\"" + as_file + "\"" : std::string("a *_file key"));
    } else if (auto it = foreign_names().find(name); it != foreign_names().end()) {
      message += "; \"" + name + "\" is the Orthanc/seed name, in radflare.toml it is " + it->second;
    } else if (auto guess = closest_match(name, siblings)) {
      message += "; did you mean \"" + *guess + "\"?";
    } else if (!siblings.empty()) {
      message += "; expected one of: ";
      for (size_t i = 0; i < siblings.size(); ++i) message += (i ? ", " : "") + siblings[i];
    }
    error(where, shown, message);
  }

  void value(const KeySpec& spec, const toml::node& n, const std::string& shown) {
    switch (spec.type) {
      case KeyType::Section:
        if (auto* t = n.as_table()) return table(*t, spec.path, shown);
        return reject(n, shown, "expected a table ([" + spec.path + "]), found " + found_type(n));
      case KeyType::TableArray: return table_array(spec, n, shown);
      case KeyType::String:
        if (!n.is_string()) return reject(n, shown, "expected a string, found " + found_type(n));
        return check_string(spec, n, shown);
      case KeyType::Integer:
        if (!n.is_integer()) return reject(n, shown, "expected an integer, found " + found_type(n));
        if (spec.check_integer)
          if (auto problem = spec.check_integer(*n.value<int64_t>()); !problem.empty()) reject(n, shown, problem);
        return;
      case KeyType::Boolean:
        if (!n.is_boolean()) return reject(n, shown, "expected true or false, found " + found_type(n));
        return;
      case KeyType::Number: {
        if (!n.is_number()) return reject(n, shown, "expected a number, found " + found_type(n));
        double x = *n.value<double>();
        if (spec.max_number > spec.min_number && (x < spec.min_number || x > spec.max_number))
          reject(n, shown, "expected a number from " + shortest(spec.min_number) + " to " +
                               shortest(spec.max_number) + ", found " + shortest(x));
        return;
      }
      case KeyType::StringArray: {
        auto* a = n.as_array();
        if (!a) return reject(n, shown, "expected a list of strings, found " + found_type(n));
        for (size_t i = 0; i < a->size(); ++i) {
          const toml::node& e = *a->get(i);
          const std::string element = shown + "[" + std::to_string(i + 1) + "]";
          if (!e.is_string())
            reject(e, element, "expected a string, found " + found_type(e));
          else
            check_string(spec, e, element);
        }
        return;
      }
      case KeyType::StringMap: {
        auto* t = n.as_table();
        if (!t) return reject(n, shown, "expected a table of strings, found " + found_type(n));
        for (auto&& [key, e] : *t) {
          const std::string element = shown + "." + std::string(key.str());
          if (spec.check_key)
            if (auto problem = spec.check_key(key.str()); !problem.empty()) {
              result_.rejected.insert(&e);
              error(key.source(), element, problem);
              continue;
            }
          if (!e.is_string())
            reject(e, element, "expected a string, found " + found_type(e));
          else
            check_string(spec, e, element);
        }
        return;
      }
    }
  }

  void check_string(const KeySpec& spec, const toml::node& n, const std::string& shown) {
    if (!spec.check_string) return;
    if (auto problem = spec.check_string(*n.value<std::string>()); !problem.empty()) reject(n, shown, problem);
  }

  void table_array(const KeySpec& spec, const toml::node& n, const std::string& shown) {
    auto* a = n.as_array();
    if (!a) return reject(n, shown, "expected a list of tables ([[" + spec.path + "]]), found " + found_type(n));
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& e = *a->get(i);
      const std::string element = shown + "[" + std::to_string(i + 1) + "]";
      auto* t = e.as_table();
      if (!t) {
        reject(e, element, "expected a table, found " + found_type(e));
        continue;
      }
      table(*t, spec.path, element);
      for (const auto& child : child_names(spec.path)) {
        const KeySpec* c = find_key(spec.path + "." + child);
        if (c->required && !t->contains(child)) {
          result_.rejected.insert(&e);
          error(e.source(), element, "missing required key \"" + child + "\" (" + c->doc + ")");
        }
      }
    }
  }

  const std::string& file_;
  Diagnostics& out_;
  WalkResult result_;
};

}  // namespace

void place(Diagnostic& d, const toml::source_region& where) {
  d.line = static_cast<int>(where.begin.line);
  d.column = static_cast<int>(where.begin.column);
}

WalkResult walk_document(const toml::table& root, const std::string& file, Diagnostics& out) {
  Walker walker(file, out);
  walker.table(root, "", "");
  return walker.result();
}

}  // namespace radflare
