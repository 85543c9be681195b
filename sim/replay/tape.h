// sim/replay/tape.h — a device's tape: everything that came to it from outside, in the order and at the
// points of its own execution where it came, so that `espfleet replay` can run the device again
// with no broker and reach the same end (docs/replay.md).
//
// A device's own randomness comes from its seed; what the tape holds is the rest: the results of
// its TCP connects, the bytes it received with the device time they became visible, peer closes,
// write completions, and the host's pacing (the points where the engine held the device while
// its real peer had not answered yet). Each event carries the device's slice count — how many
// times its fiber had suspended — when it happened: network events arrive while the device is
// parked, so "after suspension n" places them exactly in its execution.
//
// Two kinds are checkpoints written by the device itself: `write` (a hash of the bytes it sent)
// and `host_park`. Replay consumes them where the device makes the same call; a checkpoint the
// device does not reach at the same slice means it diverged from its tape, which replay reports.
//
// Files: ID.flash, the flash image the device first booted with (written when the device is
// provisioned, so the run does not hold it in memory), and ID.tape: "ESPFLEET-TAPE 1\n", one
// JSON header line (tape.cpp: device, seeds, …), then the events in a compact binary form.
#pragma once
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net_event.h"
#include "sim_time.h"

namespace espfleet {

class Tape final : public NetRecorder {
 public:
  void record(const NetEvent& e) override;
  // Reading (replay): the next event not yet consumed, or nullptr at the end — or where the
  // tape cannot be decoded, which error() then says (replay runs on fibers: no exceptions).
  const NetEvent* peek();
  const std::string& error() const { return error_; }
  void pop() { have_next_ = false; }
  size_t events() const { return events_; }
  size_t size_bytes() const { return rec_.size() + buf_.size(); }
  void write_to(std::ostream& out) const;  // the encoded events
  void assign(std::vector<uint8_t> data, size_t events);

 private:
  bool decode(NetEvent& e);
  std::deque<uint8_t> rec_;   // recording: grows in 512-byte nodes, not by doubling (bytes per device count)
  std::vector<uint8_t> buf_;  // replay: the events read from the file
  size_t events_ = 0;
  size_t read_ = 0;
  size_t decoded_ = 0;  // replay: events decoded so far
  bool have_next_ = false;
  NetEvent next_;
  std::string error_;
};

// What replay needs besides the events: who the device is and what it booted with.
struct TapeHeader {
  uint32_t device = 0;
  uint64_t master_seed = 0;
  VTime boot_at{};
  bool realtime = false;       // the mode of the recorded run
  VTime duration{};            // of the recorded run
  std::vector<uint8_t> flash;  // the flash image the device first booted with (ID.flash beside the tape)
  uint64_t end_slices = 0;     // the device's suspensions when the run ended
  std::string end_reason;      // why the run ended ("duration", "interrupted")
};

// The tape file (h.flash is not written: see write_boot_flash).
void write_tape_file(const std::string& path, const TapeHeader& h, const Tape& t);
void write_boot_flash(const std::string& path, const std::vector<uint8_t>& flash);
// Reads the tape and, into h.flash, the flash file `flash_path`. Throws std::runtime_error naming
// the file and what is wrong with it.
Tape read_tape_file(const std::string& path, const std::string& flash_path, TapeHeader& h);
// The tape itself (magic, header, events) from a seekable stream; `path` names it in errors.
// Reading its events (Tape::peek) says in Tape::error() where they cannot be decoded.
Tape read_tape(std::istream& in, const std::string& path, TapeHeader& h);

}  // namespace espfleet
