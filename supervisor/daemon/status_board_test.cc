#include "daemon/status_board.h"

#include <doctest/doctest.h>

using namespace radflare;

TEST_CASE("status board: sections are replaced whole and listeners hear each publish") {
  StatusBoard board;
  int heard = 0;
  board.on_change([&] { ++heard; });
  CHECK(board.section("tls").is_null());
  board.publish("tls", {{"mode", "off"}});
  board.publish("tls", {{"mode", "acme"}});
  board.publish("admin", {{"user", "admin"}});
  CHECK(heard == 3);
  CHECK(board.section("tls") == nlohmann::json{{"mode", "acme"}});
  CHECK(board.snapshot().size() == 2);
}
