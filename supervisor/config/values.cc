#include "config/values.h"

#include <stdexcept>

#include "config/schema.h"

namespace radflare {

namespace {

// Defaults are TOML literals in the schema table; parse each once.
const toml::node& default_node(const std::string& spec_path) {
  static std::map<std::string, toml::table> parsed;
  auto it = parsed.find(spec_path);
  if (it == parsed.end()) {
    const KeySpec* spec = find_key(spec_path);
    if (!spec || spec->default_toml.empty())
      throw std::logic_error("schema has no default for " + spec_path);
    it = parsed.emplace(spec_path, toml::parse("v = " + spec->default_toml)).first;
  }
  return *it->second.get("v");
}

}  // namespace

const toml::node* Values::given(const std::string& path) const {
  std::string relative = prefix_.empty() ? path : path.substr(prefix_.size() + 1);
  const toml::node* n = &root_;
  size_t start = 0;
  while (n) {
    size_t dot = relative.find('.', start);
    auto* t = n->as_table();
    if (!t) return nullptr;
    n = t->get(relative.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return n;
    start = dot + 1;
  }
  return nullptr;
}

const toml::node* Values::valid(const std::string& path) const {
  const toml::node* n = given(path);
  return n && !rejected_.count(n) ? n : nullptr;
}

toml::source_region Values::where(const std::string& path) const {
  for (std::string p = path;;) {
    if (const toml::node* n = given(p)) return n->source();
    auto dot = p.rfind('.');
    if (dot == std::string::npos || p.size() <= prefix_.size() || (!prefix_.empty() && dot <= prefix_.size()))
      return root_.source();
    p.resize(dot);
  }
}

const toml::node& Values::fallback(const std::string& path) const {
  if (const toml::node* n = valid(path)) return *n;
  return default_node(path);
}

std::string Values::str(const std::string& path) const { return *fallback(path).value<std::string>(); }
int64_t Values::integer(const std::string& path) const { return *fallback(path).value<int64_t>(); }
bool Values::boolean(const std::string& path) const { return *fallback(path).value<bool>(); }
double Values::number(const std::string& path) const { return *fallback(path).value<double>(); }

std::vector<std::string> Values::strings(const std::string& path) const {
  std::vector<std::string> out;
  for (const auto& e : *fallback(path).as_array())
    if (!rejected_.count(&e) && e.is_string()) out.push_back(*e.value<std::string>());
  return out;
}

std::map<std::string, std::string> Values::string_map(const std::string& path) const {
  std::map<std::string, std::string> out;
  for (auto&& [k, e] : *fallback(path).as_table())
    if (!rejected_.count(&e) && e.is_string()) out.emplace(std::string(k.str()), *e.value<std::string>());
  return out;
}

std::vector<Values> Values::tables(const std::string& path) const {
  std::vector<Values> out;
  if (const toml::node* n = valid(path))
    if (auto* a = n->as_array())
      for (const auto& e : *a)
        if (auto* t = e.as_table(); t && !rejected_.count(&e)) out.emplace_back(*t, path, rejected_);
  return out;
}

}  // namespace radflare
