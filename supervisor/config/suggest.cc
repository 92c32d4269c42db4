#include "config/suggest.h"

#include <algorithm>
#include <cctype>

namespace radflare {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

int edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: Levenshtein plus adjacent swaps,
  // because "dicom_prot" is a typo of "dicom_port", not two edits.
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  std::optional<std::string> best;
  int best_distance = 0;
  for (const auto& c : candidates) {
    int distance = edit_distance(w, lower(c));
    if (!best || distance < best_distance) {
      best = c;
      best_distance = distance;
    }
  }
  // Allow about one typo per four characters, at least one, at most three.
  const int allowed = std::clamp(static_cast<int>(w.size()) / 4, 1, 3);
  if (best && best_distance <= allowed) return best;
  return std::nullopt;
}

}  // namespace radflare
