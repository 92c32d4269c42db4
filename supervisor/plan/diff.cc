#include "plan/diff.h"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "plan/write.h"

namespace radflare {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct Edit {
  char op;  // ' ', '-', '+'
  std::string line;
};

// Longest common subsequence: O(n*m), fine for config files.
std::vector<Edit> edit_script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<Edit> out;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out.push_back({' ', a[i++]});
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push_back({'-', a[i++]});  // removals first, as diff -u prints them
    } else {
      out.push_back({'+', b[j++]});
    }
  }
  return out;
}

}  // namespace

std::string unified_diff(const std::string& old_text, const std::string& new_text, const std::string& old_label,
                         const std::string& new_label) {
  const auto edits = edit_script(lines_of(old_text), lines_of(new_text));
  constexpr size_t kContext = 3;
  std::ostringstream out;
  out << "--- " << old_label << "\n+++ " << new_label << "\n";
  // Group changes closer than 2*kContext lines into one hunk.
  std::vector<size_t> changes;
  for (size_t t = 0; t < edits.size(); ++t)
    if (edits[t].op != ' ') changes.push_back(t);
  for (size_t c = 0; c < changes.size();) {
    size_t last = c;
    while (last + 1 < changes.size() && changes[last + 1] - changes[last] <= 2 * kContext) ++last;
    const size_t start = changes[c] >= kContext ? changes[c] - kContext : 0;
    const size_t end = std::min(edits.size(), changes[last] + kContext + 1);
    size_t old_start = 1, new_start = 1, old_len = 0, new_len = 0;
    for (size_t t = 0; t < start; ++t) {
      if (edits[t].op != '+') ++old_start;
      if (edits[t].op != '-') ++new_start;
    }
    for (size_t t = start; t < end; ++t) {
      if (edits[t].op != '+') ++old_len;
      if (edits[t].op != '-') ++new_len;
    }
    out << "@@ -" << (old_len ? old_start : old_start - 1) << "," << old_len << " +"
        << (new_len ? new_start : new_start - 1) << "," << new_len << " @@\n";
    for (size_t t = start; t < end; ++t) out << edits[t].op << edits[t].line << "\n";
    c = last + 1;
  }
  return out.str();
}

std::vector<FileChange> diff_plan(const Plan& plan, const std::string& root) {
  std::vector<FileChange> out;
  for (const auto& f : plan.files) {
    const std::string live = under_root(root, f.path);
    std::string current;
    if (!read_file(live, current)) {
      out.push_back({f.path, FileChange::Kind::Added,
                     f.secret ? "" : unified_diff("", f.bytes, "/dev/null", f.path)});
      continue;
    }
    if (current != f.bytes) {
      out.push_back({f.path, FileChange::Kind::Changed,
                     f.secret ? "" : unified_diff(current, f.bytes, f.path, f.path)});
      continue;
    }
    struct stat st {};
    if (::stat(live.c_str(), &st) == 0 && (st.st_mode & 07777) != f.mode)
      out.push_back({f.path, FileChange::Kind::ModeChanged, ""});
  }
  return out;
}

}  // namespace radflare
