// tests/shims/test_print.cpp — shims/Print, Stream, HardwareSerial and IPAddress: number and
// float text, printf (short on the stack, long on the device heap), timed reads, Serial's
// line-at-a-time log, and strict dotted-quad parsing.
#include <doctest/doctest.h>

#include <math.h>

#include <string>
#include <utility>
#include <vector>

#include "Arduino.h"
#include "IPAddress.h"
#include "stub_platform.h"

namespace {

// A device platform that keeps the serial output and the heap requests.
struct RecordingPlatform : espfleet::test::StubPlatform {
  std::vector<size_t> requests;
  int live = 0;  // allocations not yet freed
  bool fail = false;

  void serial_write(const char* bytes, size_t len) override { serial.append(bytes, len); }
  void serial_flush() override { flushes++; }
  std::string serial;
  int flushes = 0;
  void* heap_malloc(size_t size, const char*, int) override {
    requests.push_back(size);
    if (fail || size == 0) return nullptr;
    ++live;
    return (malloc)(size);
  }
  void* heap_calloc(size_t n, size_t size, const char* f, int l) override { return heap_malloc(n * size, f, l); }
  void* heap_realloc(void* p, size_t size, const char*, int) override {
    requests.push_back(size);
    return fail ? nullptr : (realloc)(p, size);
  }
  void heap_free(void* p, const char*, int) override {
    if (p) --live;
    (free)(p);
  }

  void yield() override { cyc += 80000; }  // each yield lets a simulated millisecond pass
};
using espfleet::test::Installed;

struct Sink : Print {
  std::string out;
  size_t room = size_t(-1);
  size_t write(uint8_t b) override {
    if (out.size() >= room) {
      setWriteError();
      return 0;
    }
    out.push_back(char(b));
    return 1;
  }
  using Print::write;
};

// A Stream over fixed input; read() returns -1 once it is used up (a stalled peer).
struct ScriptedStream : Stream {
  std::string in;
  size_t pos = 0;
  explicit ScriptedStream(std::string s) : in(std::move(s)) { setTimeout(5); }
  int available() override { return int(in.size() - pos); }
  int read() override { return pos < in.size() ? (unsigned char)in[pos++] : -1; }
  int peek() override { return pos < in.size() ? (unsigned char)in[pos] : -1; }
  size_t write(uint8_t) override { return 0; }
  using Stream::read;
  std::string rest() const { return in.substr(pos); }
  int timedReadForTest() { return timedRead(); }
};

std::string str(const String& s) { return std::string(s.c_str(), s.length()); }

}  // namespace

TEST_SUITE("Print") {
  TEST_CASE("println prints numbers in a base with uppercase digits and ends with CRLF") {
    Sink s;
    CHECK(s.println(42) == 4);
    CHECK(s.out == "42\r\n");
    s.out.clear();
    s.print(255, HEX);
    s.print(' ');
    s.print(-1, HEX);  // 32-bit two's complement, as on the chip
    s.print(' ');
    s.print(-5);
    s.print(' ');
    s.print(5, BIN);
    s.print(' ');
    s.print(8u, OCT);
    s.print(' ');
    s.print(65, 0);  // base 0: the raw byte
    s.print(' ');
    s.print((unsigned char)200);
    s.print(' ');
    s.print(-1LL, HEX);
    s.print(' ');
    s.print(18446744073709551615ull);
    s.print(' ');
    s.print(-9223372036854775807LL - 1);
    s.print(' ');
    s.print(4000000000UL);
    CHECK(s.out == "FF FFFFFFFF -5 101 10 A 200 FFFFFFFFFFFFFFFF 18446744073709551615 -9223372036854775808 4000000000");
  }

  TEST_CASE("doubles print with the given number of decimals") {
    Sink s;
    s.print(2.5);
    s.print(' ');
    s.print(1.0 / 3, 4);
    s.print(' ');
    s.print(-0.125, 3);
    s.print(' ');
    s.print(7.9, 0);
    s.print(' ');
    s.print(NAN);
    s.print(' ');
    s.print(INFINITY);
    s.print(' ');
    s.print(1e300);
    s.print(' ');
    s.println(1.5f, -1);
    CHECK(s.out == "2.50 0.3333 -0.125 8 nan inf ovf 2\r\n");
  }

  TEST_CASE("text, String, F() and Printable") {
    Sink s;
    s.print("a");
    s.print(String("b"));
    s.print(F("c"));
    s.print('d');
    s.println(IPAddress(10, 0, 0, 1));
    s.println();
    s.println(F("x"));
    CHECK(s.out == "abcd10.0.0.1\r\n\r\nx\r\n");
    CHECK(s.write((const char*)nullptr) == 0);
    CHECK(s.write("xyz", 2) == 2);
  }

  TEST_CASE("a refused byte stops write() and sets the write error") {
    Sink s;
    s.room = 3;
    CHECK(s.getWriteError() == 0);
    CHECK(s.print("hello") == 3);
    CHECK(s.out == "hel");
    CHECK(s.getWriteError() != 0);
    s.clearWriteError();
    CHECK(s.getWriteError() == 0);
  }

  TEST_CASE("printf of short output uses no heap") {
    RecordingPlatform plat;
    Installed on(plat);
    Sink s;
    CHECK(s.printf("%s=%d", "heap", 42) == 7);
    CHECK(s.out == "heap=42");
    CHECK(s.printf_P(PSTR("%05.1f"), 2.5) == 5);
    CHECK(s.out == "heap=42002.5");
    CHECK(plat.requests.empty());
  }

  TEST_CASE("printf of long output borrows one heap buffer and returns it") {
    RecordingPlatform plat;
    Installed on(plat);
    Sink s;
    std::string longText(300, 'q');
    CHECK(s.printf("[%s]", longText.c_str()) == 302);
    CHECK(s.out == "[" + longText + "]");
    CHECK(plat.requests == std::vector<size_t>{303});
    CHECK(plat.live == 0);

    plat.fail = true;  // out of memory: nothing written, 0 returned, no crash
    s.out.clear();
    CHECK(s.printf("%s", longText.c_str()) == 0);
    CHECK(s.out.empty());
    CHECK(s.printf("%d", 7) == 1);  // short output still works
  }

}  // TEST_SUITE

TEST_SUITE("Stream") {
  TEST_CASE("readBytesUntil stops at the terminator without storing it") {
    ScriptedStream st("key=value\nnext");
    char buf[32];
    size_t n = st.readBytesUntil('=', buf, sizeof buf);
    CHECK(std::string(buf, n) == "key");
    n = st.readBytesUntil('\n', buf, 3);  // stops at the length too
    CHECK(std::string(buf, n) == "val");
    CHECK(str(st.readStringUntil('\n')) == "ue");
    CHECK(str(st.readString()) == "next");  // until the timeout
    CHECK(st.readBytes(buf, 4) == 0);
  }

  TEST_CASE("find handles a target whose prefix repeats; findUntil gives up at the terminator") {
    ScriptedStream st("xaaab rest");
    CHECK(st.find("aab"));
    CHECK(st.rest() == " rest");
    ScriptedStream st2("abc;OK");
    CHECK_FALSE(st2.findUntil("OK", ";"));
    CHECK(st2.rest() == "OK");
    CHECK(st2.find('K'));
    CHECK_FALSE(st2.find("more"));  // times out
  }

  TEST_CASE("parseInt skips junk, reads a sign and digits, and is 0 on timeout") {
    ScriptedStream st("abc -123x 4,567 ");
    CHECK(st.parseInt() == -123);
    CHECK(st.read() == 'x');
    CHECK(st.parseInt(',') == 4567);
    CHECK(st.parseInt() == 0);
    ScriptedStream fl("t=-2.75;");
    CHECK(fl.parseFloat() == -2.75f);
  }

  TEST_CASE("timed reads wait on the device clock and yield while waiting") {
    RecordingPlatform plat;
    Installed on(plat);
    ScriptedStream st("");
    st.setTimeout(50);
    CHECK(st.getTimeout() == 50);
    CHECK(st.timedReadForTest() == -1);
    CHECK(plat.cyc >= 50u * 80000u);  // at least the timeout passed in simulated time
    CHECK(plat.cyc < 60u * 80000u);
  }

}  // TEST_SUITE

TEST_SUITE("IPAddress") {
  TEST_CASE("fromString and toString round trip") {
    IPAddress ip;
    CHECK_FALSE(ip.isSet());
    REQUIRE(ip.fromString("192.168.1.20"));
    CHECK(ip.isSet());
    CHECK(ip[0] == 192);
    CHECK(ip[3] == 20);
    CHECK(str(ip.toString()) == "192.168.1.20");
    IPAddress back;
    REQUIRE(back.fromString(ip.toString()));
    CHECK(back == ip);
    CHECK(ip.fromString("0.0.0.0"));
    CHECK(ip.fromString("255.255.255.255"));
    CHECK(str(ip.toString()) == "255.255.255.255");
    CHECK(ip.fromString("010.1.1.1"));  // leading zeros are decimal
    CHECK(ip[0] == 10);
  }

  TEST_CASE("fromString rejects anything but four fields 0..255 and leaves the address alone") {
    IPAddress ip(1, 2, 3, 4);
    for (const char* bad : {"1.2.3", "256.1.1.1", "1.2.3.4.5", "1..2.3", "", ".1.2.3", "1.2.3.", "a.b.c.d", "1.2.3.4 ",
                            " 1.2.3.4", "-1.2.3.4", "1234.1.1.1", "1.2.3.0004", "1,2,3,4"}) {
      CAPTURE(bad);
      CHECK_FALSE(ip.fromString(bad));
    }
    CHECK_FALSE(ip.fromString((const char*)nullptr));
    CHECK(ip == IPAddress(1, 2, 3, 4));
  }

  TEST_CASE("the uint32_t form is the bytes in memory (network) order") {
    IPAddress lo(127, 0, 0, 1);
    uint32_t v = lo;
    const uint8_t* b = reinterpret_cast<const uint8_t*>(&v);
    CHECK(b[0] == 127);
    CHECK(b[3] == 1);
    CHECK(IPAddress(v) == lo);
    CHECK(lo == v);
    const uint8_t raw[4] = {10, 1, 2, 3};
    IPAddress fromBytes(raw);
    CHECK(fromBytes == raw);
    CHECK(fromBytes != lo);
    IPAddress zero(0);
    CHECK_FALSE(zero.isSet());
    fromBytes[3] = 9;
    CHECK(str(fromBytes.toString()) == "10.1.2.9");
  }

}  // TEST_SUITE

TEST_SUITE("HardwareSerial") {
  TEST_CASE("Serial hands every byte to the device, and flush() to the device's flush") {
    RecordingPlatform plat;
    Installed on(plat);
    Serial.begin(115200);
    Serial.print("MQT: ");
    Serial.print(42);
    Serial.println(" done");
    Serial.printf("a\nb\n");
    Serial.write('\n');
    CHECK(plat.serial == "MQT: 42 done\r\na\nb\n\n");
    Serial.flush();
    CHECK(plat.flushes == 1);
    CHECK(Serial.available() == 0);
    CHECK(Serial.read() == -1);
  }

}  // TEST_SUITE
