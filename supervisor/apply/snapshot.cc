#include "apply/snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "plan/write.h"

namespace radflare {

namespace fs = std::filesystem;

Snapshot Snapshot::capture(const std::string& root, const std::vector<std::string>& paths) {
  Snapshot s;
  for (const auto& path : paths) {
    const std::string live = under_root(root, path);
    struct stat st {};
    FileState state;
    if (::stat(live.c_str(), &st) != 0 || !read_file(live, state.bytes)) {
      s.files_[path] = std::nullopt;
      continue;
    }
    state.mode = st.st_mode & 07777;
    state.uid = st.st_uid;
    state.gid = st.st_gid;
    s.files_[path] = std::move(state);
  }
  return s;
}

void Snapshot::restore(const std::string& root) const {
  for (const auto& [path, state] : files_) {
    const std::string live = under_root(root, path);
    if (!state) {
      if (::unlink(live.c_str()) != 0 && errno != ENOENT)
        throw std::system_error(errno, std::generic_category(), "cannot remove " + live);
      continue;
    }
    write_file_atomically(live, state->bytes, state->mode, static_cast<int>(state->uid),
                          static_cast<int>(state->gid));
  }
}

void Snapshot::save_journal(const std::string& dir) const {
  clear_journal(dir);
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0700);  // it holds copies of secret files
  nlohmann::json index = nlohmann::json::array();
  size_t n = 0;
  for (const auto& [path, state] : files_) {
    nlohmann::json entry = {{"path", path}, {"exists", state.has_value()}};
    if (state) {
      const std::string data = dir + "/" + std::to_string(n++);
      write_file_atomically(data, state->bytes, 0600);
      entry["data"] = data;
      entry["mode"] = state->mode;
      entry["uid"] = state->uid;
      entry["gid"] = state->gid;
    }
    index.push_back(entry);
  }
  write_file_atomically(dir + "/index.json", index.dump() + "\n", 0600);
}

std::optional<Snapshot> Snapshot::load_journal(const std::string& dir) {
  std::string text;
  if (!read_file(dir + "/index.json", text)) return std::nullopt;
  Snapshot s;
  for (const auto& entry : nlohmann::json::parse(text)) {
    const std::string path = entry["path"];
    if (!entry["exists"].get<bool>()) {
      s.files_[path] = std::nullopt;
      continue;
    }
    FileState state;
    if (!read_file(entry["data"].get<std::string>(), state.bytes)) return std::nullopt;
    state.mode = entry["mode"];
    state.uid = entry["uid"];
    state.gid = entry["gid"];
    s.files_[path] = std::move(state);
  }
  return s;
}

void Snapshot::clear_journal(const std::string& dir) {
  // The index goes first: from then on the journal no longer counts.
  ::unlink((dir + "/index.json").c_str());
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace radflare
