// sim/sketch/sketch_build.cpp — a sketch folder through arduino-builder on espfleet's own board
// (sketch_build.h): the platform files, the cache key, the builder's run.
#include "sketch_build.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "input_file.h"
#include "output_file.h"
#include "sketch_error.h"
#include "sketch_image.h"
#include "sketch_link.h"
#include "subprocess.h"

#ifndef ESPFLEET_SHIMS_DIR
#error "the build gives ESPFLEET_SHIMS_DIR: the ESP8266 platform headers sketches compile against"
#endif

namespace espfleet {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFqbn = "espfleet:esp8266:host";

std::string boards_txt() {
  return "# espfleet: the board a sketch is built for to run in the simulator\n"
         "host.name=espfleet host (ESP8266)\n"
         "host.build.core=espfleet\n"
         "host.build.board=ESP8266_GENERIC\n"
         "host.build.f_cpu=80000000L\n";
}

// The host's compiler on espfleet's ESP8266 headers; the link is espfleet's own.
std::string platform_txt(const fs::path& espfleet_exe) {
  const std::string shims = ESPFLEET_SHIMS_DIR;
  return "# espfleet: sketches compiled for the simulator (docs/sketches.md)\n"
         "name=espfleet host\nversion=1.0.0\n"
         "tools.ctags.path=/usr/bin\n"
         "tools.ctags.cmd.path={path}/arduino-ctags\n"
         "tools.ctags.pattern=\"{cmd.path}\" -u --language-force=c++ -f - --c++-kinds=svpf --fields=KSTtzns "
         "--line-directives \"{source_file}\"\n"
         "compiler.defines=-DF_CPU={build.f_cpu} -DARDUINO={runtime.ide.version} -DARDUINO_{build.board} "
         "-DARDUINO_ARCH_ESP8266 -DESP8266 -DESPFLEET_SKETCH\n"
         "compiler.flags=-O2 -g0 -fPIC -fno-common -fno-gnu-unique -w \"-I" +
         shims +
         "\"\n"
         "preproc.macros.flags=-w -x c++ -E -CC\n"
         "recipe.preproc.macros=g++ -std=gnu++17 {preproc.macros.flags} {compiler.defines} \"-I" +
         shims +
         "\" {includes} \"{source_file}\" -o \"{preprocessed_file_path}\"\n"
         "recipe.c.o.pattern=gcc -std=gnu11 -c {compiler.defines} {compiler.flags} {includes} \"{source_file}\" -o "
         "\"{object_file}\"\n"
         "recipe.cpp.o.pattern=g++ -std=gnu++17 -c {compiler.defines} {compiler.flags} {includes} \"{source_file}\" "
         "-o \"{object_file}\"\n"
         "recipe.S.o.pattern=gcc -c {compiler.defines} {compiler.flags} {includes} \"{source_file}\" -o "
         "\"{object_file}\"\n"
         "recipe.ar.pattern=ar rcs \"{archive_file_path}\" \"{object_file}\"\n"
         "recipe.c.combine.pattern=\"" +
         espfleet_exe.string() +
         "\" sketch link --script \"{runtime.platform.path}/gather.ld\" --out \"{build.path}/sketch.so\" "
         "{object_files}\n"
         "recipe.objcopy.hex.pattern=true\n"
         "recipe.size.pattern=true\n";
}

void write_file(const fs::path& p, const std::string& text) {
  make_directory(p.parent_path());
  write_file_atomically(p, text);
}

// SHA-256 over every regular file below each root (path relative to its root, then content),
// sorted, and the extra texts: the build's identity.
std::string content_key(const std::vector<fs::path>& roots, const std::vector<std::string>& extra) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  auto feed = [&](const std::string& s) {
    const uint64_t n = s.size();
    EVP_DigestUpdate(md, &n, sizeof n);
    EVP_DigestUpdate(md, s.data(), s.size());
  };
  for (const fs::path& root : roots) {
    std::vector<fs::path> files;
    if (fs::is_regular_file(root))
      files.push_back(root);
    else
      for (const auto& e : fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    feed(root.string());
    for (const fs::path& f : files) {
      feed(fs::relative(f, root).string());
      feed(read_whole_file(f));
    }
  }
  for (const std::string& s : extra) feed(s);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md, digest, &len);
  EVP_MD_CTX_free(md);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 8; ++i) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return out;
}

// One library (a library.properties, a src/ folder, or headers at its top), or a folder of them.
bool is_library(const fs::path& dir) {
  if (fs::exists(dir / "library.properties") || fs::is_directory(dir / "src")) return true;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && (e.path().extension() == ".h" || e.path().extension() == ".hpp")) return true;
  return false;
}

}  // namespace

fs::path default_sketch_cache() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "espfleet" / "sketches";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "espfleet" / "sketches";
  return fs::temp_directory_path() / "espfleet-sketches";
}

SketchBuild build_sketch(const SketchSource& src, const fs::path& espfleet_exe) {
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(src.dir, ec);
  if (!fs::is_directory(dir)) throw SketchError(src.dir.string() + ": not a sketch folder");
  SketchBuild b;
  b.name = dir.filename().string();
  const fs::path main_ino = dir / (b.name + ".ino");
  if (!fs::is_regular_file(main_ino))
    throw SketchError(
        dir.string() + ": no " + b.name +
        ".ino (an Arduino sketch folder NAME holds NAME.ino) and no init.lua (a NodeMCU project holds init.lua)");
  std::vector<fs::path> roots = {dir, fs::path(ESPFLEET_SHIMS_DIR)};
  std::vector<fs::path> libs;
  for (const fs::path& l : src.libraries) {
    const fs::path p = fs::weakly_canonical(l, ec);
    if (!fs::is_directory(p)) throw SketchError(l.string() + ": not a library folder");
    libs.push_back(p);
    roots.push_back(p);
  }
  const std::string platform = platform_txt(espfleet_exe);
  b.dir = src.cache / (b.name + "-" + content_key(roots, {boards_txt(), platform, sketch_gather_script()}));
  b.so = b.dir / "sketch.so";
  if (fs::is_regular_file(b.so)) {
    b.cached = true;
    return b;
  }

  const fs::path hw = b.dir / "hardware", plat = hw / "espfleet" / "esp8266";
  write_file(plat / "boards.txt", boards_txt());
  write_file(plat / "platform.txt", platform);
  write_file(plat / "gather.ld", sketch_gather_script());
  fs::create_directories(plat / "cores" / "espfleet");  // the core is espfleet itself: nothing to compile
  const fs::path linked = b.dir / "libraries", build = b.dir / "build";
  fs::create_directories(linked);
  fs::create_directories(build);
  std::vector<std::string> argv = {"arduino-builder",
                                   "-compile",
                                   "-hardware",
                                   hw.string(),
                                   "-tools",
                                   hw.string(),
                                   "-fqbn",
                                   kFqbn,
                                   "-build-path",
                                   build.string(),
                                   "-warnings",
                                   "none",
                                   "-core-api-version",
                                   "10819",
                                   "-libraries",
                                   linked.string()};
  for (const fs::path& l : libs) {
    if (is_library(l)) {
      fs::create_directory_symlink(l, linked / l.filename(), ec);
      if (ec && !fs::exists(linked / l.filename()))
        throw SketchError((linked / l.filename()).string() + ": " + ec.message());
    } else {
      argv.push_back("-libraries");
      argv.push_back(l.string());
    }
  }
  argv.push_back(main_ino.string());
  if (!find_executable("arduino-builder"))
    throw SketchError(
        "arduino-builder is not installed (Debian packages arduino-builder and arduino-ctags: tools/deps)");
  RunResult r = run_capture(argv, std::chrono::milliseconds(600000));
  write_file(b.dir / "build.log", r.out + r.err);
  if (r.timed_out || !r.status.ok() || !fs::is_regular_file(build / "sketch.so")) {
    std::string out = r.err.empty() ? r.out : r.err + (r.out.empty() ? "" : "\n" + r.out);
    throw SketchError(b.name + ": the sketch does not build (" +
                      (r.timed_out ? std::string("timed out") : r.status.describe()) + "; " +
                      (b.dir / "build.log").string() + "):\n" + out);
  }
  fs::rename(build / "sketch.so", b.so);
  return b;
}

LoadedSketch::LoadedSketch() = default;
LoadedSketch::LoadedSketch(LoadedSketch&&) noexcept = default;
LoadedSketch& LoadedSketch::operator=(LoadedSketch&&) noexcept = default;
LoadedSketch::~LoadedSketch() = default;

LoadedSketch load_sketch(const SketchSource& src) {
  LoadedSketch s;
  s.build = build_sketch(src, fs::read_symlink("/proc/self/exe"));
  s.image = SketchImage::load(s.build.so, s.build.name);
  return s;
}

}  // namespace espfleet
