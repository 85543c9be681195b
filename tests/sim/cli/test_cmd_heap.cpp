// tests/sim/cli/test_cmd_heap.cpp — the `espfleet heap` trace replayer: JSON lines with hand-derived
// offsets and metrics, the C-caller rules for binding IDs, and the errors for malformed lines and
// bad heap sizes.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "chip.h"
#include "cmd_heap.h"

using namespace espfleet;

namespace {

struct Replay {
  int rc;
  std::string out, err;
};

Replay replay(const std::string& trace, size_t heap_bytes = 4096, Chip chip = Chip::esp8266) {
  std::istringstream in(trace);
  std::ostringstream out, err;
  int rc = run_heap_trace(in, "t.trace", chip, chip_model(chip).heap, heap_bytes, out, err);
  return {rc, out.str(), err.str()};
}

std::string line(int op, bool ok, long offset, unsigned free, unsigned max_block, unsigned frag,
                 const std::string& warning = "") {
  std::ostringstream s;
  s << "{\"op\": " << op << ", \"ok\": " << (ok ? "true" : "false") << ", \"offset\": ";
  if (offset < 0)
    s << "null";
  else
    s << offset;
  s << ", \"free\": " << free << ", \"max_block\": " << max_block << ", \"frag\": " << frag;
  if (!warning.empty()) s << ", \"warning\": \"" << warning << "\"";
  s << "}\n";
  return s.str();
}

}  // namespace

TEST_CASE("heap trace: one JSON line per op, numbered by trace line, comments and blanks skipped") {
  Replay r = replay(
      "# a small trace\n"
      "malloc a 10\n"  // 2 blocks at 1..2
      "malloc b 20\n"  // 3 blocks at 3..5
      "free a\n"       // free chunks 2 and 505: isqrt(255029) = 505, 50500/507 = 99
      "\n"
      "calloc c 2 3\n"           // 6 bytes, 2 blocks: best fit is a's old chunk
      "realloc b 100  # grow\n"  // 13 blocks: grows into the rest, tail 16..510 freed
  );
  CHECK(r.rc == 0);
  CHECK(r.err == "");
  CHECK(r.out == line(2, true, 12, 4064, 4064, 0) +      //
                     line(3, true, 28, 4040, 4040, 0) +  //
                     line(4, true, -1, 4056, 4040, 1) +  //
                     line(6, true, 12, 4040, 4040, 0) +  //
                     line(7, true, 28, 3960, 3960, 0));
}

TEST_CASE("heap trace: malloc on a bound ID leaks the old block; free unbinds; a double free is said") {
  Replay r = replay(
      "malloc a 10\n"
      "malloc a 10\n"  // the block at 12 is leaked
      "free a\n"       // frees the block at 28, which merges with the rest
      "free a\n");     // a is unbound: free(NULL), legal, and a double free all the same
  CHECK(r.rc == 0);
  CHECK(r.out == line(1, true, 12, 4064, 4064, 0) +      //
                     line(2, true, 28, 4048, 4048, 0) +  //
                     line(3, true, -1, 4064, 4064, 0) +  //
                     line(4, true, -1, 4064, 4064, 0, "double free: a was freed on line 3 (free(NULL) here)"));
}

TEST_CASE("heap trace: a failed malloc unbinds the ID, leaking its old block; freeing it then is said") {
  Replay r = replay(
      "malloc a 10\n"
      "malloc a 5000\n"
      "free a\n");
  CHECK(r.out ==
        line(1, true, 12, 4064, 4064, 0) +       //
            line(2, false, -1, 4064, 4064, 0) +  //
            line(3, true, -1, 4064, 4064, 0, "free of a, which is NULL: its allocation on line 2 failed (free(NULL))"));
}

TEST_CASE("heap trace: realloc to size 0 frees, reports ok false and unbinds") {
  Replay r = replay(
      "malloc a 10\n"
      "realloc a 0\n"
      "malloc b 10\n"  // reuses offset 12
      "free a\n");     // must not free b's block
  CHECK(r.out ==
        line(1, true, 12, 4064, 4064, 0) +       //
            line(2, false, -1, 4080, 4080, 0) +  //
            line(3, true, 12, 4064, 4064, 0) +   //
            line(4, true, -1, 4064, 4064, 0, "double free: a was freed by realloc on line 2 (free(NULL) here)"));
}

TEST_CASE("heap trace: freeing an ID no line allocated is said (free(NULL))") {
  Replay r = replay("free zz\n");
  CHECK(r.rc == 0);
  CHECK(r.out == line(1, true, -1, 4080, 4080, 0, "free of zz, which no line allocated (free(NULL))"));
}

TEST_CASE("heap trace: a failed realloc keeps the old binding") {
  Replay r = replay(
      "malloc a 10\n"
      "realloc a 5000\n"
      "free a\n");
  CHECK(r.out == line(1, true, 12, 4064, 4064, 0) +       //
                     line(2, false, -1, 4064, 4064, 0) +  //
                     line(3, true, -1, 4080, 4080, 0));
}

TEST_CASE("heap trace: realloc of an unbound ID allocates; zero-sized requests fail") {
  Replay r = replay(
      "realloc z 10\n"
      "calloc c 0 4\n"
      "malloc m 0\n"
      "malloc big 4294967295\n");
  CHECK(r.rc == 0);
  CHECK(r.out == line(1, true, 12, 4064, 4064, 0) +       //
                     line(2, false, -1, 4064, 4064, 0) +  //
                     line(3, false, -1, 4064, 4064, 0) +  //
                     line(4, false, -1, 4064, 4064, 0));
}

TEST_CASE("heap trace: trailing comments, tabs and CRLF line ends are accepted") {
  Replay r = replay("malloc\ta 10 # note\r\nfree a#x\r\n");
  CHECK(r.rc == 0);
  CHECK(r.out == line(1, true, 12, 4064, 4064, 0) + line(2, true, -1, 4080, 4080, 0));
}

TEST_CASE("heap trace: a malformed line names name:LINE, says what was expected and returns 2") {
  auto bad = [](const std::string& text, const std::string& wanted) {
    Replay r = replay("malloc a 10\n# comment\n" + text + "\nmalloc b 10\n");
    CHECK(r.rc == 2);
    CHECK(r.out == line(1, true, 12, 4064, 4064, 0));  // printed before the error, nothing after
    CHECK(r.err.find("t.trace:3:") != std::string::npos);
    CHECK_MESSAGE(r.err.find(wanted) != std::string::npos, r.err);
  };
  bad("mallok a 1", "unknown op 'mallok'");
  bad("malloc a", "malloc ID SIZE");
  bad("malloc a 10 extra", "malloc ID SIZE");
  bad("malloc a -5", "'-5'");
  bad("malloc a +5", "'+5'");
  bad("malloc a ten", "'ten'");
  bad("malloc a 4294967296", "0..4294967295");
  bad("realloc a", "realloc ID SIZE");
  bad("calloc a 2", "calloc ID COUNT SIZE");
  bad("calloc a 2 x", "'x'");
  bad("free", "free ID");
  bad("free a b", "free ID");
}

TEST_CASE("heap trace: a heap size that is not a multiple of 8 is a clear error") {
  Replay r = replay("malloc a 10\n", 4095);
  CHECK(r.rc == 2);
  CHECK(r.out == "");
  CHECK(r.err.find("--heap-bytes 4095") != std::string::npos);
  CHECK(r.err.find("multiple of 8") != std::string::npos);
  CHECK(replay("", 32).rc == 2);
  CHECK(replay("", 0).rc == 2);
  CHECK(replay("", 1u << 20).rc == 2);
  CHECK(replay("", 64).rc == 0);
}

// fuzz_heap_trace found it: an ID that is not UTF-8 went into a warning's JSON, whose dump threw.
TEST_CASE("heap trace: a line that is not UTF-8 is refused by its number") {
  Replay r = replay("malloc a 100\nfree a\xd8\n");
  CHECK(r.rc == 2);
  CHECK(r.err == "t.trace:2: not UTF-8 text\n");
  CHECK(r.out.find("\"op\": 1") != std::string::npos);  // what came before stays printed
}
