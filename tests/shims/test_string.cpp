// tests/shims/test_string.cpp — shims/WString: the Arduino String as the ESP8266 core 3.x
// behaves (numbers, search, replace, conversion, comparison, move), its heap requests (inline
// up to 10 chars, (n + 16) & ~15 byte buffers) and its refusal to crash when the heap fails.
#include <doctest/doctest.h>

#include <math.h>

#include <string>
#include <vector>

#include "Arduino.h"
#include "stub_platform.h"

namespace {

// A device heap that records every request and can be told to fail. Backed by the host's
// libc (the parenthesised names bypass Arduino.h's malloc/free macros).
struct RecordingHeap : espfleet::test::StubPlatform {
  std::vector<size_t> requests;  // sizes asked of malloc/realloc
  bool fail = false;

  void* heap_malloc(size_t size, const char*, int) override {
    requests.push_back(size);
    return fail || size == 0 ? nullptr : (malloc)(size);
  }
  void* heap_calloc(size_t n, size_t size, const char*, int) override {
    requests.push_back(n * size);
    return fail ? nullptr : (calloc)(n, size);
  }
  void* heap_realloc(void* p, size_t size, const char*, int) override {
    requests.push_back(size);
    return fail ? nullptr : (realloc)(p, size);
  }
};
using espfleet::test::Installed;

std::string str(const String& s) { return std::string(s.c_str(), s.length()); }

}  // namespace

TEST_SUITE("String") {
  TEST_CASE("numbers become text in any base, lowercase, two's complement outside base 10") {
    CHECK(str(String(255, HEX)) == "ff");
    CHECK(str(String(255, BIN)) == "11111111");
    CHECK(str(String(8u, OCT)) == "10");
    CHECK(str(String(35, 36)) == "z");
    CHECK(str(String(-255)) == "-255");
    CHECK(str(String(-1, HEX)) == "ffffffff");
    CHECK(str(String(-1L, HEX)) == "ffffffff");  // the chip's long is 32 bits
    CHECK(str(String(-1LL, HEX)) == "ffffffffffffffff");
    CHECK(str(String(18446744073709551615ull)) == "18446744073709551615");
    CHECK(str(String(-9223372036854775807LL - 1)) == "-9223372036854775808");
    CHECK(str(String((unsigned char)200)) == "200");
    CHECK(str(String(10, 1)) == "");  // invalid base: empty, as the core's itoa
    CHECK(str(String('x')) == "x");
  }

  TEST_CASE("floats use dtostrf(value, decimals + 2, decimals) like the core") {
    CHECK(str(String(1.5f)) == "1.50");
    CHECK(str(String(3.14159, 3)) == "3.142");
    CHECK(str(String(-0.5, 1)) == "-0.5");
    CHECK(str(String(2.0, 0)) == " 2");  // padded to width 2
    CHECK(str(String(NAN)) == " nan");
    CHECK(str(String(-INFINITY)) == "-inf");
    CHECK(str(String(1e300)) == "ovf");  // longer than dtostrf's 64-byte limit
  }

  TEST_CASE("concat appends numbers in decimal, floats with two decimals") {
    String s("v=");
    s += 42;
    s += ',';
    s += -7L;
    s += ',';
    s += 3.14159;
    s += ',';
    s += (unsigned char)200;
    s += ',';
    s += 1234567890123LL;
    s += F(",f");
    s.concat("xyz", 2);
    CHECK(str(s) == "v=42,-7,3.14,200,1234567890123,fxy");
    CHECK(s.concat("") == true);
    CHECK(s.concat((const char*)nullptr) == false);
  }

  TEST_CASE("operator+ chains any mix of String, C string, char, number and F()") {
    String b("b");
    CHECK(str("a" + b + 'c' + 1 + F("d") + 2.5) == "abc1d2.50");
    CHECK(str(b + b) == "bb");
    CHECK(str('x' + b) == "xb");
    CHECK(str(F("f") + b) == "fb");
    CHECK(str(String("long enough to be on the heap ") + "and more") == "long enough to be on the heap and more");
  }

  TEST_CASE("concat of itself, whole or part, survives the buffer moving") {
    String s("0123456789");  // inline, full
    s += s;
    CHECK(str(s) == "01234567890123456789");
    s.concat(s.c_str() + 15);
    CHECK(str(s) == "0123456789012345678956789");
  }

  TEST_CASE("substring swaps reversed bounds and clips to the length") {
    String s("hello");
    CHECK(str(s.substring(1, 3)) == "el");
    CHECK(str(s.substring(3, 1)) == "el");
    CHECK(str(s.substring(2)) == "llo");
    CHECK(str(s.substring(2, 100)) == "llo");
    CHECK(str(s.substring(5)) == "");
    CHECK(str(s.substring(10, 20)) == "");
    CHECK(str(s.substring(0, 0)) == "");
  }

  TEST_CASE("indexOf and lastIndexOf at the edges") {
    String s("hello");
    CHECK(s.indexOf('l') == 2);
    CHECK(s.indexOf('l', 3) == 3);
    CHECK(s.indexOf('l', 4) == -1);
    CHECK(s.indexOf('l', 5) == -1);
    CHECK(s.indexOf('z') == -1);
    CHECK(s.indexOf("lo") == 3);
    CHECK(s.indexOf(String("hel")) == 0);
    CHECK(s.indexOf("hello!") == -1);
    CHECK(s.indexOf("") == 0);
    CHECK(s.indexOf("l", 10) == -1);
    CHECK(s.indexOf(F("o")) == 4);
    CHECK(s.lastIndexOf('l') == 3);
    CHECK(s.lastIndexOf('l', 2) == 2);
    CHECK(s.lastIndexOf('l', 1) == -1);
    CHECK(s.lastIndexOf('h', 0) == 0);
    CHECK(s.lastIndexOf('o', 99) == -1);
    CHECK(s.lastIndexOf("l") == 3);
    CHECK(s.lastIndexOf("ll", 1) == -1);
    CHECK(s.lastIndexOf("ll", 2) == 2);
    CHECK(s.lastIndexOf("lo", 99) == 3);  // fromIndex past the end means "from the end"
    CHECK(s.lastIndexOf("") == -1);
    CHECK(s.lastIndexOf(String("hello world")) == -1);
    String empty;
    CHECK(empty.indexOf('a') == -1);
    CHECK(empty.indexOf("") == -1);
    CHECK(empty.lastIndexOf('a') == -1);
    CHECK(empty.lastIndexOf("a") == -1);
  }

  TEST_CASE("replace grows and shrinks, left to right without overlap") {
    String s("a-b-c");
    s.replace("-", "--");
    CHECK(str(s) == "a--b--c");
    s.replace("--", "");
    CHECK(str(s) == "abc");

    String grow("x.y.z.w");  // inline, grows onto the heap
    grow.replace(".", "<=>");
    CHECK(str(grow) == "x<=>y<=>z<=>w");
    grow.replace(String("<=>"), String("."));
    CHECK(str(grow) == "x.y.z.w");

    String aaa("aaa");
    aaa.replace("aa", "b");
    CHECK(str(aaa) == "ba");
    String aaaa("aaaa");
    aaaa.replace("aa", "bbb");
    CHECK(str(aaaa) == "bbbbbb");

    std::string expect;
    String big;
    for (int i = 0; i < 100; ++i) {
      big += "ab";
      expect += "xyzb";
    }
    big.replace(F("a"), "xyz");
    CHECK(str(big) == expect);

    String same("same");
    same.replace("zz", "yy");
    same.replace("", "yy");
    CHECK(str(same) == "same");
    same.replace(same, "X");  // the pattern is the String itself
    CHECK(str(same) == "X");
    String chars("banana");
    chars.replace('a', 'o');
    CHECK(str(chars) == "bonono");
  }

  TEST_CASE("remove, case and character access") {
    String s("Hello World");
    s.remove(5);
    CHECK(str(s) == "Hello");
    s.remove(1, 2);
    CHECK(str(s) == "Hlo");
    s.remove(10, 1);
    CHECK(str(s) == "Hlo");
    s.toUpperCase();
    CHECK(str(s) == "HLO");
    s.toLowerCase();
    CHECK(str(s) == "hlo");
    CHECK(s.charAt(1) == 'l');
    CHECK(s[5] == 0);
    s.setCharAt(0, 'H');
    s.setCharAt(9, 'X');  // out of range: ignored
    s[1] = 'L';
    s[7] = 'Q';  // out of range: goes nowhere
    CHECK(str(s) == "HLo");
    char buf[3];
    s.toCharArray(buf, sizeof buf);
    CHECK(std::string(buf) == "HL");
    unsigned char bytes[8];
    s.getBytes(bytes, sizeof bytes, 1);
    CHECK(std::string((const char*)bytes) == "Lo");
    s.toCharArray(buf, sizeof buf, 9);
    CHECK(buf[0] == 0);
    s.clear();
    CHECK(s.isEmpty());
    CHECK(emptyString.length() == 0);
  }

  TEST_CASE("toInt of garbage is 0, of a prefix is the prefix, and saturates at 32 bits") {
    CHECK(String("42").toInt() == 42);
    CHECK(String("  -17xyz").toInt() == -17);
    CHECK(String("3.9").toInt() == 3);
    CHECK(String("abc").toInt() == 0);
    CHECK(String("").toInt() == 0);
    CHECK(String("99999999999").toInt() == 2147483647L);
    CHECK(String("-99999999999").toInt() == -2147483647L - 1);
    CHECK(String("3.25").toFloat() == 3.25f);
    CHECK(String("1e3").toDouble() == 1000.0);
    CHECK(String("x1").toFloat() == 0.0f);
  }

  TEST_CASE("trim drops whitespace at both ends only") {
    String s("  \t hi there \r\n");
    s.trim();
    CHECK(str(s) == "hi there");
    String blank("   ");
    blank.trim();
    CHECK(str(blank) == "");
    String none;
    none.trim();
    CHECK(str(none) == "");
    String one("x");
    one.trim();
    CHECK(str(one) == "x");
  }

  TEST_CASE("comparison with String, C string and F(), in both orders") {
    String abc("abc");
    CHECK(abc == "abc");
    CHECK("abc" == abc);
    CHECK(abc == F("abc"));
    CHECK(abc == String("abc"));
    CHECK(abc != "abd");
    CHECK(abc != F("ab"));
    CHECK(abc < "abd");
    CHECK(abc < String("b"));
    CHECK(String("b") > abc);
    CHECK(abc <= "abc");
    CHECK(abc >= "abc");
    CHECK(abc.compareTo("abd") < 0);
    CHECK(abc.compareTo(String("ab")) > 0);
    CHECK(abc.compareTo(F("abc")) == 0);
    CHECK(abc.equalsIgnoreCase("ABC"));
    CHECK(abc.equalsIgnoreCase(String("aBc")));
    CHECK_FALSE(abc.equalsIgnoreCase("ABCD"));
    CHECK(String() == (const char*)nullptr);
    CHECK(String() == "");
    CHECK(abc.startsWith("ab"));
    CHECK(abc.startsWith(""));
    CHECK_FALSE(abc.startsWith("abcd"));
    CHECK(abc.startsWith("bc", 1));
    CHECK_FALSE(abc.startsWith("c", 3));
    CHECK(abc.endsWith("bc"));
    CHECK(abc.endsWith(F("")));
    CHECK_FALSE(abc.endsWith("xabc"));
  }

  TEST_CASE("move takes the buffer and leaves the source empty") {
    String a("a string long enough to live on the heap");
    const char* buf = a.c_str();
    String b(static_cast<String&&>(a));
    CHECK(b.c_str() == buf);
    CHECK(a.length() == 0);
    CHECK(a.c_str()[0] == 0);

    String c("another heap string, to be freed on move");
    c = static_cast<String&&>(b);
    CHECK(c.c_str() == buf);
    CHECK(b.length() == 0);

    String small("inline");
    String d(static_cast<String&&>(small));
    CHECK(str(d) == "inline");
    CHECK(small.isEmpty());
    d = static_cast<String&&>(d);  // self-move keeps the value
    CHECK(str(d) == "inline");

    String e("copy me, I am longer than ten");
    String f(e);
    CHECK(f.c_str() != e.c_str());
    CHECK(f == e);
    f = f;  // self-assignment
    CHECK(f == e);
  }

  TEST_CASE("up to 10 characters stay inline; buffers are (n + 16) & ~15 bytes") {
    RecordingHeap heap;
    Installed on(heap);
    {
      String ten("0123456789");
      CHECK(heap.requests.empty());
      String eleven("0123456789A");
      CHECK(heap.requests == std::vector<size_t>{16});
      eleven.reserve(15);  // fits the 16-byte buffer
      CHECK(heap.requests.size() == 1);
      eleven.reserve(16);
      CHECK(heap.requests.back() == 32);
      String copy(eleven);
      CHECK(heap.requests.back() == 16);
    }
    CHECK(heap.requests.size() == 3);
  }

  TEST_CASE("allocation failure leaves the String unchanged or empty, never crashes") {
    RecordingHeap heap;
    Installed on(heap);
    String small("short");
    String onHeap("this one already lives on the heap");
    heap.fail = true;

    CHECK_FALSE(small.concat("this needs the heap to fit"));
    CHECK(str(small) == "short");
    CHECK_FALSE(small.reserve(100));
    small += 123456789;  // 14 characters: needs the heap
    CHECK(str(small) == "short");
    small.replace("o", "oooooooooooo");
    CHECK(str(small) == "short");

    small = "a string longer than ten characters";
    CHECK(small.length() == 0);
    CHECK(small.c_str()[0] == 0);
    CHECK(static_cast<bool>(small));  // "invalid" is simply empty, as core 3.x

    String copied(onHeap);
    CHECK(copied.isEmpty());
    String sub = onHeap.substring(0, 20);
    CHECK(sub.isEmpty());
    CHECK(str(onHeap.substring(0, 4)) == "this");  // inline: no allocation needed
    String sum = onHeap + " and more than ten characters";
    CHECK(sum.isEmpty());
    heap.fail = false;
  }

  TEST_CASE("lengths past the core's 16-bit capacity are refused") {
    String s("abc");
    CHECK_FALSE(s.reserve(70000));
    std::string huge(70000, 'x');
    CHECK_FALSE(s.concat(huge.c_str()));
    CHECK(str(s) == "abc");
    String t(huge.c_str());
    CHECK(t.isEmpty());
  }

}  // TEST_SUITE
