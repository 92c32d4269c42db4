#include "secrets/store.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

using namespace radflare;

TEST_CASE("generated passwords are 32 alphanumerics and differ every time") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string p = generate_password();
    CHECK(p.size() == 32);
    for (char c : p) CHECK(std::isalnum(static_cast<unsigned char>(c)));
    seen.insert(p);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("a persistent store creates a secret once, 0600, and returns it after") {
  auto dir = std::filesystem::temp_directory_path() / ("radflare-store-" + generate_password());
  SecretStore store(dir.string(), true);
  std::string first = store.get("admin-password");
  CHECK(store.get("admin-password") == first);
  CHECK(SecretStore(dir.string(), true).get("admin-password") == first);
  struct stat st {};
  REQUIRE(::stat((dir / "admin-password").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an ephemeral store writes nothing") {
  auto dir = std::filesystem::temp_directory_path() / ("radflare-store-" + generate_password());
  SecretStore store(dir.string(), false);
  std::string a = store.get("db-password");
  CHECK(store.get("db-password") == a);
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("commit writes the secrets an ephemeral store generated") {
  auto dir = std::filesystem::temp_directory_path() / ("radflare-store-" + generate_password());
  SecretStore store(dir.string(), false);
  std::string a = store.get("proxy-password");
  store.commit();
  CHECK(SecretStore(dir.string(), false).get("proxy-password") == a);
  std::filesystem::remove_all(dir);
}
