// tests/sim/device/test_serial_lines.cpp — a device's UART output made into its own console
// lines: CRLF stripped, long lines cut, a partial line kept until its end or a flush, and two
// devices' partial lines never joined.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "serial_console.h"

using namespace espfleet;

namespace {
struct Collect {
  std::vector<std::string>* out;
  void operator()(std::string_view l) const { out->emplace_back(l); }
};
void feed(SerialLines& s, const std::string& bytes, std::vector<std::string>& out) {
  s.write(bytes.data(), bytes.size(), Collect{&out});
}
}  // namespace

TEST_CASE("serial lines: each complete line without CRLF; a partial one waits") {
  SerialLines s;
  std::vector<std::string> out;
  feed(s, "MQT: 42", out);
  CHECK(out.empty());
  CHECK(s.partial());
  feed(s, " done\r\na\nb\n\n", out);
  CHECK(out == std::vector<std::string>{"MQT: 42 done", "a", "b", ""});
  CHECK(!s.partial());
}

TEST_CASE("serial lines: a line longer than the buffer in pieces, and flush hands a partial over") {
  SerialLines s;
  std::vector<std::string> out;
  feed(s, std::string(600, 'z') + "\r\n", out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].size() == SerialLines::kMaxLine);
  CHECK(out[0].size() + out[1].size() == 600);
  feed(s, "partial", out);
  s.flush(Collect{&out});
  CHECK(out.back() == "partial");
  s.flush(Collect{&out});  // nothing more
  CHECK(out.size() == 3);
}

TEST_CASE("serial lines: two devices printing dots in turn keep their own lines") {
  SerialLines a, b;
  std::vector<std::string> la, lb;
  for (int i = 0; i < 3; ++i) {
    feed(a, ".", la);  // then the device yields, and the other one prints
    feed(b, "*", lb);
  }
  feed(a, " connected\n", la);
  feed(b, " failed\n", lb);
  CHECK(la == std::vector<std::string>{"... connected"});
  CHECK(lb == std::vector<std::string>{"*** failed"});
}
