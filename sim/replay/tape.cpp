// sim/replay/tape.cpp — tape events in a compact binary form (varints), and tape files.
#include "tape.h"

#include "output_file.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace espfleet {

namespace {

constexpr const char* kMagic = "ESPFLEET-TAPE 1\n";

void put_varint(std::deque<uint8_t>& b, uint64_t v) {
  while (v >= 0x80) {
    b.push_back(uint8_t(v) | 0x80);
    v >>= 7;
  }
  b.push_back(uint8_t(v));
}

uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t unzigzag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }

struct Reader {
  const std::vector<uint8_t>& b;
  size_t& at;
  bool ok = true;
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= b.size()) return ok = false, 0;
      uint8_t c = b[at++];
      v |= uint64_t(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    return ok = false, 0;
  }
};

}  // namespace

void Tape::record(const NetEvent& e) {
  rec_.push_back(uint8_t(e.kind));
  put_varint(rec_, e.slice);
  put_varint(rec_, e.handle);
  put_varint(rec_, zigzag(e.status));
  put_varint(rec_, zigzag(e.stamp.ns));
  if (e.kind == NetEventKind::write) {
    put_varint(rec_, e.hash);
    put_varint(rec_, e.length);
  } else if (e.kind == NetEventKind::data) {
    put_varint(rec_, e.bytes.size());
    rec_.insert(rec_.end(), e.bytes.begin(), e.bytes.end());
  }
  ++events_;
}

void Tape::write_to(std::ostream& out) const {
  char chunk[4096];
  size_t n = 0;
  for (uint8_t c : rec_) {
    chunk[n++] = char(c);
    if (n == sizeof chunk) out.write(chunk, std::streamsize(n)), n = 0;
  }
  out.write(chunk, std::streamsize(n));
  out.write(reinterpret_cast<const char*>(buf_.data()), std::streamsize(buf_.size()));
}

void Tape::assign(std::vector<uint8_t> data, size_t events) {
  rec_.clear();
  buf_ = std::move(data);
  events_ = events;
  read_ = 0;
  decoded_ = 0;
  have_next_ = false;
}

bool Tape::decode(NetEvent& e) {
  // The header says how many events the bytes hold: fewer, or bytes after the last, is a tape
  // that was damaged, not a device that diverged.
  if (read_ >= buf_.size() || decoded_ == events_) {
    if (decoded_ < events_)
      throw std::runtime_error("tape: the header announces " + std::to_string(events_) + " events, the bytes hold " +
                               std::to_string(decoded_));
    if (read_ < buf_.size())
      throw std::runtime_error("tape: " + std::to_string(buf_.size() - read_) + " bytes after the last of its " +
                               std::to_string(events_) + " events");
    return false;
  }
  size_t start = read_;
  e = NetEvent{};
  uint8_t k = buf_[read_++];
  if (k < uint8_t(NetEventKind::connect) || k > uint8_t(NetEventKind::host_park))
    throw std::runtime_error("tape: unknown event kind " + std::to_string(k) + " at byte " + std::to_string(start));
  e.kind = NetEventKind(k);
  Reader r{buf_, read_};
  e.slice = r.varint();
  e.handle = uint32_t(r.varint());
  e.status = int32_t(unzigzag(r.varint()));
  e.stamp = VTime::from_ns(unzigzag(r.varint()));
  if (e.kind == NetEventKind::write) {
    e.hash = r.varint();
    e.length = uint32_t(r.varint());
  } else if (e.kind == NetEventKind::data) {
    uint64_t n = r.varint();
    if (!r.ok || n > buf_.size() - read_)
      throw std::runtime_error("tape: data event at byte " + std::to_string(start) + " runs past the end");
    e.bytes.assign(reinterpret_cast<const char*>(buf_.data() + read_), size_t(n));
    read_ += size_t(n);
  }
  if (!r.ok) throw std::runtime_error("tape: event at byte " + std::to_string(start) + " is cut short");
  decoded_++;
  return true;
}

const NetEvent* Tape::peek() {
  if (!have_next_ && error_.empty()) {
    try {
      have_next_ = decode(next_);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  return have_next_ ? &next_ : nullptr;
}

void write_tape_file(const std::string& path, const TapeHeader& h, const Tape& t) {
  nlohmann::json j;
  j["device"] = h.device;
  j["master_seed"] = h.master_seed;
  j["boot_at_ns"] = h.boot_at.ns;
  j["mode"] = h.realtime ? "realtime" : "fast";
  j["duration_ns"] = h.duration.ns;
  j["end_slices"] = h.end_slices;
  j["end_reason"] = h.end_reason;
  j["events"] = t.events();
  j["event_bytes"] = t.size_bytes();
  std::ostringstream f(std::ios::binary);
  f << kMagic << j.dump() << "\n";
  t.write_to(f);
  write_file_atomically(path, f.str(), 0600);
}

void write_boot_flash(const std::string& path, const std::vector<uint8_t>& flash) {
  // The flash holds the device's private key (TLSKey1): for the owner only.
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(flash.data()), flash.size()), 0600);
}

Tape read_tape_file(const std::string& path, const std::string& flash_path, TapeHeader& h) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open the tape (was the run recorded with tapes?)");
  Tape t = read_tape(f, path, h);
  std::ifstream ff(flash_path, std::ios::binary);
  if (!ff) throw std::runtime_error(flash_path + ": cannot open the device's boot flash");
  h.flash.assign(std::istreambuf_iterator<char>(ff), std::istreambuf_iterator<char>());
  if (h.flash.empty()) throw std::runtime_error(flash_path + ": empty");
  return t;
}

Tape read_tape(std::istream& f, const std::string& path, TapeHeader& h) {
  std::string magic(std::strlen(kMagic), '\0');
  f.read(magic.data(), std::streamsize(magic.size()));
  if (magic != kMagic) throw std::runtime_error(path + ": not an espfleet tape (bad magic)");
  std::string line;
  std::getline(f, line);
  nlohmann::json j;
  size_t events = 0, bytes = 0;
  // A whole number in range: nlohmann's get<> would cast a float or a negative number as it is.
  auto whole = [&j](const char* key, int64_t lo, uint64_t hi) -> uint64_t {
    const nlohmann::json& v = j.at(key);
    if (v.is_number_unsigned() && v.get<uint64_t>() <= hi) return v.get<uint64_t>();
    if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() >= lo && v.get<int64_t>() <= int64_t(hi))
      return uint64_t(v.get<int64_t>());
    throw std::runtime_error(std::string(key) + " is not a whole number in range");
  };
  try {
    j = nlohmann::json::parse(line);
    h.device = uint32_t(whole("device", 0, UINT32_MAX));
    h.master_seed = whole("master_seed", 0, UINT64_MAX);
    h.boot_at = VTime::from_ns(int64_t(whole("boot_at_ns", 0, INT64_MAX)));
    h.realtime = j.at("mode").get<std::string>() == "realtime";
    h.duration = VTime::from_ns(int64_t(whole("duration_ns", 0, INT64_MAX)));
    h.end_slices = whole("end_slices", 0, UINT64_MAX);
    h.end_reason = j.value("end_reason", "");
    events = size_t(whole("events", 0, SIZE_MAX));
    bytes = size_t(whole("event_bytes", 0, SIZE_MAX));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": bad tape header: " + e.what());
  }
  // The header's sizes are checked against the file before anything is allocated for them.
  std::streamoff here = f.tellg();
  f.seekg(0, std::ios::end);
  std::streamoff end = f.tellg();
  f.seekg(here);
  if (here < 0 || end < here || bytes > uint64_t(end - here))
    throw std::runtime_error(path + ": the tape is cut short (its header announces " + std::to_string(bytes) +
                             " event bytes, the file holds " + std::to_string(end > here ? end - here : 0) + ")");
  if (events > bytes)
    throw std::runtime_error(path + ": bad tape header: " + std::to_string(events) + " events in " +
                             std::to_string(bytes) + " bytes");
  std::vector<uint8_t> data(bytes);
  f.read(reinterpret_cast<char*>(data.data()), std::streamsize(bytes));
  if (!f)
    throw std::runtime_error(path + ": the tape is cut short (expected " + std::to_string(bytes) + " event bytes)");
  Tape t;
  t.assign(std::move(data), events);
  return t;
}

}  // namespace espfleet
