// Typed read access to the checked TOML: the operator's value when it was
// given and passed the walk, else the default from the schema table.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace radflare {

class Values {
 public:
  // `spec_prefix` is the schema path of `root` ("" for the document,
  // "orthanc.modalities" for one [[orthanc.modalities]] element).
  Values(const toml::table& root, std::string spec_prefix, const std::set<const toml::node*>& rejected)
      : root_(root), prefix_(std::move(spec_prefix)), rejected_(rejected) {}

  std::string str(const std::string& path) const;
  int64_t integer(const std::string& path) const;
  bool boolean(const std::string& path) const;
  double number(const std::string& path) const;
  std::vector<std::string> strings(const std::string& path) const;
  std::map<std::string, std::string> string_map(const std::string& path) const;
  // Valid elements of an array of tables.
  std::vector<Values> tables(const std::string& path) const;

  // The operator's node for `path` (also when rejected), else nullptr.
  const toml::node* given(const std::string& path) const;
  // Where to point a message about `path`: the key's node, else the nearest
  // enclosing table that was written, else the table this Values reads.
  toml::source_region where(const std::string& path) const;

 private:
  const toml::node* valid(const std::string& path) const;
  const toml::node& fallback(const std::string& path) const;

  const toml::table& root_;
  std::string prefix_;
  const std::set<const toml::node*>& rejected_;
};

}  // namespace radflare
