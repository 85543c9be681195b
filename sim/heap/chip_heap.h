// sim/heap/chip_heap.h — a device's heap allocator as the rest of the simulator sees it, whichever
// chip's it models: umm_malloc on the ESP8266 (heap_umm.h), ESP-IDF's multi_heap on TLSF on the
// ESP32-C3 (heap_tlsf.h), or the ESP8266 SDK's own heap that NodeMCU uses (heap_sdk.h). Both work in place on caller-owned memory holding the chip's image of
// the heap; both take each request charged the chip's size with room for the host's (64-bit
// objects are larger than the chip's), report the figures the chip's API does, name each live
// chunk by a key (its number in the model), walk their chunks in address order for heap maps,
// and keep the last request as the model took it and a digest of the whole history.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "enum_names.h"

namespace espfleet {

// Which allocator a chip's heap is.
enum class HeapKind : uint8_t {
  umm,   // the ESP8266 Arduino core's umm_malloc: 8-byte blocks, best fit
  tlsf,  // ESP-IDF's multi_heap on TLSF (ESP32-C3): 4-byte alignment, good fit
  sdk,   // the ESP8266 non-OS SDK's own heap (NodeMCU): FreeRTOS heap_5, first fit, 8-byte alignment
};
inline constexpr EnumName<HeapKind> kHeapKindNames[] = {
    {HeapKind::umm, "umm"}, {HeapKind::tlsf, "tlsf"}, {HeapKind::sdk, "sdk"}};

class ChipHeap {
 public:
  // The last request as the model took it: op 'm' malloc, 'f' free, 'r' realloc (0: none — a
  // free of NULL or of a pointer that is no chunk); charge as the heap took it; chunks (keys):
  // the old one (free, realloc) and the result (0: none or failed).
  struct Op {
    char op = 0;
    size_t charge = 0;
    uint32_t from = 0, to = 0;
  };
  // One chunk of the heap for a map, in the heap's units (unit_bytes()): the span it takes, header
  // included, whether it is in use, and its key when it is.
  struct Chunk {
    uint32_t first, units;
    bool used;
    uint32_t key;
  };

  virtual ~ChipHeap() = default;
  ChipHeap(const ChipHeap&) = delete;
  ChipHeap& operator=(const ChipHeap&) = delete;

  virtual HeapKind kind() const = 0;

  // The chip's calls, charging `charge` bytes (the model's blocks, figures, failures) while
  // handing out room for `host_bytes` bytes (in place when they fit the chunk, else beside it).
  virtual void* malloc(size_t charge, size_t host_bytes) = 0;
  virtual void* zalloc(size_t charge, size_t host_bytes) = 0;  // malloc, then host_bytes zero bytes
  virtual void* realloc(void* p, size_t charge, size_t host_bytes) = 0;
  virtual void free(void* p) = 0;  // NULL: nothing; a pointer that is no live chunk: bad_frees()
  void* malloc(size_t n) { return malloc(n, n); }
  void* realloc(void* p, size_t n) { return realloc(p, n, n); }
  virtual void* calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) total = SIZE_MAX;
    return zalloc(total, total);  // a zero product gives NULL
  }

  // The figures: free bytes (ESP.getFreeHeap), the largest allocatable block (getMaxFreeBlockSize
  // on the ESP8266, heap_caps_get_largest_free_block on the ESP32), the chip core's
  // fragmentation figure (getHeapFragmentation; Tasmota's ESP32 formula), the lowest free bytes
  // since boot as the chip tracks it (0 where the chip keeps no such figure).
  virtual uint32_t free_bytes() const = 0;
  virtual uint32_t max_free_block() const = 0;
  virtual uint8_t fragmentation() const = 0;
  virtual uint32_t minimum_free_bytes() const = 0;

  // Whether p lies in this heap's memory (the image or where host bytes are kept beside it).
  virtual bool contains(const void* p) const = 0;
  // The chip's offset from the heap start of a chunk p points to (its data), wherever its host
  // bytes are; p - base() for other pointers into the image; SIZE_MAX for anything else.
  virtual size_t offset_of(const void* p) const = 0;
  // Host bytes the caller may use at p, a pointer this heap handed out (0 if it is not one).
  virtual size_t room_at(const void* p) const = 0;
  // The key of the live chunk p points to (0: null or not a chunk).
  virtual uint32_t key_of(const void* p) const = 0;
  virtual uint8_t* base() = 0;  // the chip's heap image
  virtual const uint8_t* base() const = 0;
  virtual size_t size() const = 0;          // its bytes (the chip's)
  virtual uint32_t unit_bytes() const = 0;  // the granule of its chunks (8 umm, 4 TLSF)
  // f(chunk) for every chunk in address order (the allocator's own structures excluded).
  virtual void for_each(const std::function<void(const Chunk&)>& f) const = 0;
  // "" when the allocator's structures are consistent, else what is wrong.
  virtual std::string check_integrity() const = 0;

  size_t last_failed_size() const { return last_failed_; }
  size_t bad_frees() const { return bad_frees_; }
  const Op& last_op() const { return last_op_; }
  // A digest of the heap's whole history (every request, its result, and the clock's value then).
  uint64_t digest() const { return digest_; }
  void set_clock(const uint64_t* cycles) { clock_ = cycles; }  // folded into the digest (may be null)

 protected:
  ChipHeap() = default;
  // Every request is recorded once, from the chunk keys the operation itself found: the history
  // digest — the request, its outcome and the owner's clock when one is set, so two heaps that
  // saw the same requests at the same device times in the same order and answered them alike
  // have the same digest — and last_op().
  void record(char op, size_t charge, uint32_t from, uint32_t to);
  void clear_op() { last_op_ = Op{}; }

  size_t last_failed_ = 0;
  size_t bad_frees_ = 0;

 private:
  uint64_t digest_ = 0;
  const uint64_t* clock_ = nullptr;
  Op last_op_;
};

// A heap of `kind` over mem (chip_heap_arena_bytes(kind, bytes) bytes); throws
// std::invalid_argument when chip_heap_size_problem is not "".
std::unique_ptr<ChipHeap> make_chip_heap(HeapKind kind, void* mem, size_t bytes);
size_t chip_heap_arena_bytes(HeapKind kind, size_t bytes);
std::string chip_heap_size_problem(HeapKind kind, size_t bytes);

}  // namespace espfleet
