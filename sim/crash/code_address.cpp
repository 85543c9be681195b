// sim/crash/code_address.cpp — pseudo code addresses and host code locations (see code_address.h).
#include "code_address.h"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace espfleet {

uint32_t pseudo_code_address(const void* pc) {
  auto a = reinterpret_cast<uintptr_t>(pc);
  Dl_info info{};
  if (dladdr(pc, &info) && info.dli_fbase)
    return kPseudoCodeBase + uint32_t((a - reinterpret_cast<uintptr_t>(info.dli_fbase)) & 0xFFFFF);
  if (a < 0x10000) return uint32_t(a);
  return kPseudoCodeBase + uint32_t(a & 0xFFF);
}

std::string host_code_location(const void* pc) {
  auto a = reinterpret_cast<uintptr_t>(pc);
  char buf[512];
  Dl_info info{};
  if (!dladdr(pc, &info) || !info.dli_fbase) {
    snprintf(buf, sizeof buf, "0x%lx (in no loaded object)", (unsigned long)a);
    return buf;
  }
  const char* obj = info.dli_fname ? info.dli_fname : "?";
  auto off = (unsigned long)(a - reinterpret_cast<uintptr_t>(info.dli_fbase));
  std::string out;
  if (info.dli_sname) {
    int status = 0;
    char* demangled = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    out = status == 0 && demangled ? demangled : info.dli_sname;
    std::free(demangled);
    snprintf(buf, sizeof buf, "+0x%lx in ", (unsigned long)(a - reinterpret_cast<uintptr_t>(info.dli_saddr)));
    out += buf;
  }
  snprintf(buf, sizeof buf, "%s+0x%lx (addr2line -Cfe %s 0x%lx)", obj, off, obj, off);
  return out + buf;
}

uint32_t call_site_address(const char* file, int line) {
  const char* base = file ? std::strrchr(file, '/') : nullptr;
  base = base ? base + 1 : (file ? file : "?");
  char key[256];
  snprintf(key, sizeof key, "%s:%d", base, line);
  uint32_t h = 2166136261u;  // FNV-1a
  for (const char* p = key; *p; ++p) h = (h ^ uint8_t(*p)) * 16777619u;
  return kPseudoCodeBase + (h & 0xFFFFC);
}

std::string call_site_text(const char* file, int line) {
  return std::string(file ? file : "?") + ":" + std::to_string(line);
}

}  // namespace espfleet
