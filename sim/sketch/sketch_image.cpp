// sim/sketch/sketch_image.cpp — opening a built sketch (sketch_image.h).
#include "sketch_image.h"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include "sketch_error.h"

namespace espfleet {

namespace {

std::string demangled(const std::string& sym) {
  int status = 0;
  char* d = abi::__cxa_demangle(sym.c_str(), nullptr, nullptr, &status);
  std::string out = status == 0 && d ? std::string(d) : sym;
  std::free(d);
  return out;
}

// dlopen's complaint, with a missing symbol named as the sketch's code spells it.
std::string why_not_loaded(const std::string& err) {
  const std::string key = "undefined symbol: ";
  const size_t at = err.find(key);
  if (at == std::string::npos) return err;
  std::string sym = err.substr(at + key.size());
  if (size_t end = sym.find_first_of(" \t\n("); end != std::string::npos) sym.resize(end);
  return "the sketch calls " + demangled(sym) +
         ", which espfleet's ESP8266 platform does not provide (docs/sketches.md lists what it does)";
}

}  // namespace

std::unique_ptr<SketchImage> SketchImage::load(const std::filesystem::path& so, std::string name) {
  std::unique_ptr<SketchImage> s(new SketchImage());
  s->name_ = std::move(name);
  s->handle_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!s->handle_) {
    const char* e = dlerror();
    throw SketchError(so.string() + ": " + why_not_loaded(e ? e : "cannot be opened"));
  }
  auto sym = [&](const char* n) { return dlsym(s->handle_, n); };
  auto* begin = static_cast<uint8_t*>(sym("espfleet_state_begin"));
  auto* end = static_cast<uint8_t*>(sym("espfleet_state_end"));
  auto* ctors = reinterpret_cast<void (**)()>(sym("espfleet_ctors_begin"));
  auto* ctors_end = reinterpret_cast<void (**)()>(sym("espfleet_ctors_end"));
  if (!begin || !end || end < begin || !ctors || !ctors_end || ctors_end < ctors)
    throw SketchError(so.string() +
                      ": not a sketch built by espfleet (no state region): rebuild it with espfleet sketch build");
  s->image_.setup = reinterpret_cast<void (*)()>(sym("_Z5setupv"));
  s->image_.loop = reinterpret_cast<void (*)()>(sym("_Z4loopv"));
  if (!s->image_.setup || !s->image_.loop)
    throw SketchError(s->name_ + ": the sketch defines no " + (s->image_.setup ? "loop()" : "setup()"));
  s->pristine_.assign(begin, end);
  s->image_.state = begin;
  s->image_.state_bytes = size_t(end - begin);
  s->image_.pristine = s->pristine_.data();
  s->image_.ctors = ctors;
  s->image_.ctor_count = size_t(ctors_end - ctors);
  return s;
}

SketchImage::~SketchImage() {
  if (handle_) dlclose(handle_);
}

}  // namespace espfleet
