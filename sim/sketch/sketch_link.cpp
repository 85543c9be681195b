// sim/sketch/sketch_link.cpp — gathering a sketch's state with the linker (sketch_link.h): `ld -r`
// with the gather script, a check of the sections left, `objcopy` to keep only the entry points
// and the region's bounds global and to send libc's allocation and exit hooks to the device, and
// `g++ -shared`.
#include "sketch_link.h"

#include <elf.h>

#include <cstring>

#include "input_file.h"
#include "sketch_error.h"
#include "subprocess.h"

namespace espfleet {

namespace fs = std::filesystem;

std::string sketch_gather_script() {
  // First match wins: relocated constants stay read-only and shared, writable data is gathered.
  return R"(/* espfleet: one region for a sketch's writable state, one for its constructors. */
SECTIONS {
  .data.rel.ro : { *(.data.rel.ro .data.rel.ro.*) }
  espfleet_state : {
    espfleet_state_begin = .;
    *(.data .data.* .gnu.linkonce.d.*)
    *(.bss .bss.* .gnu.linkonce.b.*)
    *(COMMON)
    espfleet_state_end = .;
    QUAD(0) /* never empty: an empty section would be dropped with its bounds */
  }
  espfleet_ctors : {
    espfleet_ctors_begin = .;
    KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*)))
    KEEP(*(.init_array .ctors))
    espfleet_ctors_end = .;
    QUAD(0)
  }
  /DISCARD/ : { *(.fini_array .fini_array.* .dtors) }
}
)";
}

namespace {

// The symbols a sketch's code would take from the host's C library, and the device's versions.
constexpr const char* kRedirects[][2] = {
    {"malloc", "espfleet_sketch_malloc"},
    {"calloc", "espfleet_sketch_calloc"},
    {"realloc", "espfleet_sketch_realloc"},
    {"free", "espfleet_sketch_free"},
    {"strdup", "espfleet_sketch_strdup"},
    {"__cxa_atexit", "espfleet_sketch_atexit"},
    {"atexit", "espfleet_sketch_c_atexit"},
    {"abort", "espfleet_sketch_abort"},
    {"time", "esp_device_time"},
    {"gettimeofday", "esp_device_gettimeofday"},
    {"rand", "espfleet_sketch_rand"},
    {"srand", "espfleet_sketch_srand"},
};
// What stays global: the entry points and the regions' bounds.
constexpr const char* kKeep[] = {
    "_Z5setupv",         "_Z4loopv", "espfleet_state_begin", "espfleet_state_end", "espfleet_ctors_begin",
    "espfleet_ctors_end"};

void run_step(const std::vector<std::string>& argv, const char* what) {
  RunResult r = run_capture(argv, std::chrono::milliseconds(120000));
  if (r.timed_out || !r.status.ok())
    throw SketchError(std::string(what) + " failed (" + (r.timed_out ? "timed out" : r.status.describe()) + "):\n" +
                      r.err + r.out);
}

bool allowed_writable(const std::string& name) {
  // DW.ref.*: the pointer to the C++ exception personality routine, a COMDAT the dynamic linker
  // fills and nothing writes after it: the same for every device.
  return name == "espfleet_state" || name == "espfleet_ctors" || name.rfind(".data.rel.ro", 0) == 0 ||
         name.find(".DW.ref.") != std::string::npos;
}

// The writable, allocated sections of a relocatable ELF object that the gather left outside the
// per-device region.
std::vector<std::string> ungathered_writable_sections(const fs::path& object) {
  const std::string bytes = read_whole_file(object);
  if (bytes.size() < sizeof(Elf64_Ehdr) || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0 ||
      bytes[EI_CLASS] != ELFCLASS64)
    throw SketchError(object.string() + ": not a 64-bit ELF object");
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  auto section = [&](size_t i) {
    Elf64_Shdr sh{};
    const size_t at = eh.e_shoff + i * sizeof(Elf64_Shdr);
    if (at + sizeof sh > bytes.size()) throw SketchError(object.string() + ": truncated section table");
    std::memcpy(&sh, bytes.data() + at, sizeof sh);
    return sh;
  };
  const Elf64_Shdr names = section(eh.e_shstrndx);
  std::vector<std::string> out;
  for (size_t i = 1; i < eh.e_shnum; ++i) {
    const Elf64_Shdr sh = section(i);
    if (!(sh.sh_flags & SHF_ALLOC)) continue;
    if (names.sh_offset + sh.sh_name >= bytes.size()) throw SketchError(object.string() + ": bad section name");
    const std::string name(bytes.data() + names.sh_offset + sh.sh_name);
    if (sh.sh_flags & SHF_TLS)
      out.push_back(name + " (thread-local)");
    else if ((sh.sh_flags & SHF_WRITE) && !allowed_writable(name))
      out.push_back(name);
  }
  return out;
}

}  // namespace

void link_sketch(const std::vector<fs::path>& objects, const fs::path& script, const fs::path& out) {
  if (objects.empty()) throw SketchError("sketch link: no objects");
  const fs::path gathered = out.parent_path() / "sketch.gathered.o", final_o = out.parent_path() / "sketch.final.o";
  std::vector<std::string> ld = {"ld", "-r", "-T", script.string(), "-o", gathered.string()};
  for (const fs::path& o : objects) ld.push_back(o.string());
  run_step(ld, "ld -r (gathering the sketch's state)");

  const std::vector<std::string> left = ungathered_writable_sections(gathered);
  if (!left.empty()) {
    std::string list;
    for (const std::string& s : left) list += (list.empty() ? "" : ", ") + s;
    throw SketchError("the sketch keeps writable state a device cannot be given its own copy of: " + list +
                      " (thread_local variables, or data in a section of its own; every global must be ordinary data: "
                      "docs/sketches.md)");
  }

  std::vector<std::string> objcopy = {"objcopy"};
  for (const char* k : kKeep) objcopy.push_back(std::string("--keep-global-symbol=") + k);
  for (const auto& r : kRedirects) objcopy.push_back(std::string("--redefine-sym=") + r[0] + "=" + r[1]);
  objcopy.push_back(gathered.string());
  objcopy.push_back(final_o.string());
  run_step(objcopy, "objcopy (the sketch's symbols)");
  run_step({"g++", "-shared", "-o", out.string(), final_o.string()}, "g++ -shared (the sketch's shared object)");
}

}  // namespace espfleet
