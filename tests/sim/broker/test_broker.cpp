// tests/sim/broker/test_broker.cpp — the embedded Mosquitto against real clients: a message over
// TLS with device certificates (mosquitto_sub/mosquitto_pub), refusal of clients without a
// certificate or with one from another CA, restart on the same ports, stop by pid.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "broker.h"
#include "loopback_peer.h"
#include "output_file.h"
#include "pki.h"
#include "subprocess.h"

using namespace espfleet;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/espfleet-broker-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string unique_topic(const char* what) {
  static std::atomic<int> n{0};
  return std::string("espfleet/test/") + std::to_string(::getpid()) + "/" + what + "/" + std::to_string(n++);
}

struct ClientCreds {
  fs::path cert, key;
};

ClientCreds write_device(CertificateAuthority& ca, const fs::path& dir, const std::string& cn) {
  DeviceCert d = ca.issue_device(cn);
  ClientCreds c{dir / (cn + ".crt"), dir / (cn + ".key")};
  write_pem_files(d, c.cert, c.key);
  return c;
}

std::vector<std::string> tls_args(const EmbeddedBroker& b, const std::string& host, const fs::path& cafile,
                                  const ClientCreds* creds) {
  std::vector<std::string> a = {"-h", host, "-p", std::to_string(b.tls_port()), "--cafile", cafile.string()};
  if (creds) a.insert(a.end(), {"--cert", creds->cert.string(), "--key", creds->key.string()});
  return a;
}

RunResult publish(const std::vector<std::string>& conn, const std::string& topic, const std::string& msg) {
  std::vector<std::string> argv = {"mosquitto_pub"};
  argv.insert(argv.end(), conn.begin(), conn.end());
  argv.insert(argv.end(), {"-t", topic, "-m", msg, "-q", "1"});
  return run_capture(argv, 15s);
}

// Starts mosquitto_sub (-C 1 -W 10) and publishes until the subscriber has its message
// (its SUBACK cannot be watched: its stdout is a pipe, block-buffered). Returns what the
// subscriber printed ("topic payload").
std::string round_trip(const std::vector<std::string>& sub_conn, const std::vector<std::string>& pub_conn,
                       const std::string& topic, const std::string& payload) {
  SpawnSpec spec;
  spec.argv = {"mosquitto_sub"};
  spec.argv.insert(spec.argv.end(), sub_conn.begin(), sub_conn.end());
  spec.argv.insert(spec.argv.end(), {"-t", topic, "-C", "1", "-W", "10", "-F", "%t %p"});
  spec.capture = true;
  Subprocess sub = Subprocess::spawn(spec);
  auto deadline = std::chrono::steady_clock::now() + 12s;
  std::optional<ExitStatus> st;
  int published = 0;
  while (!st && std::chrono::steady_clock::now() < deadline) {
    RunResult pub = publish(pub_conn, topic, payload);
    CHECK_MESSAGE(pub.status.ok(), "mosquitto_pub: " << pub.status.describe() << " " << pub.err);
    if (!pub.status.ok()) break;
    ++published;
    st = sub.wait_for(300ms);
  }
  if (!st) st = sub.wait_for(2s);
  CHECK_MESSAGE(st.has_value(), "mosquitto_sub did not exit in time");
  if (st) CHECK_MESSAGE(st->ok(), "mosquitto_sub: " << st->describe() << " " << sub.err());
  if (!st) sub.terminate(0ms);
  MESSAGE("round trip on " << topic << ": " << published << " publish(es) until the subscriber had it");
  return sub.out();
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "Max open files" soft and hard limits of a process.
std::pair<std::string, std::string> nofile_limits(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream ss(line.substr(14));
      std::string soft, hard;
      ss >> soft >> hard;
      return {soft, hard};
    }
  }
  return {};
}

bool can_bind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("broker: TLS with client certificates against the embedded Mosquitto") {
  TempDir tmp;
  CertificateAuthority ca = CertificateAuthority::create(KeyType::rsa2048, "espfleet broker test CA", 30);
  BrokerOptions opts = prepare_broker_pki(tmp.path / "broker", ca);
  opts.plain_listener = true;
  const fs::path cafile = opts.cafile;
  ClientCreds dev1 = write_device(ca, tmp.path, "dev-001");
  ClientCreds dev2 = write_device(ca, tmp.path, "dev-002");
  CertificateAuthority rogue_ca = CertificateAuthority::create(KeyType::rsa2048, "rogue CA", 30);
  ClientCreds rogue = write_device(rogue_ca, tmp.path, "rogue-001");

  // Lower our own soft RLIMIT_NOFILE so that the raise for the child is visible, and check
  // that ours is left as it was.
  struct rlimit orig {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &orig) == 0);
  struct RestoreLimit {
    rlimit lim;
    ~RestoreLimit() { ::setrlimit(RLIMIT_NOFILE, &lim); }
  } restore{orig};
  struct rlimit lowered = orig;
  if (lowered.rlim_max == RLIM_INFINITY || lowered.rlim_max > 512) lowered.rlim_cur = 512;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);

  EmbeddedBroker broker;
  broker.start(opts);
  struct rlimit after {};
  ::getrlimit(RLIMIT_NOFILE, &after);
  CHECK(after.rlim_cur == lowered.rlim_cur);
  MESSAGE("embedded broker ready in " << broker.last_start_duration().count() << " ms (pid " << broker.pid() << ", tls "
                                      << broker.tls_port() << ", plain " << broker.plain_port() << ")");
  REQUIRE(broker.running());
  const pid_t pid1 = broker.pid();
  const uint16_t tls_port = broker.tls_port();
  const uint16_t plain_port = broker.plain_port();
  CHECK(pid1 > 0);
  CHECK(tls_port != 0);
  CHECK(plain_port != 0);
  CHECK(tls_port != plain_port);
  CHECK(broker.host() == "127.0.0.1");
  CHECK(process_alive(pid1));

  std::string conf = slurp(broker.config_path());
  CHECK(contains(conf, "require_certificate true"));
  CHECK(contains(conf, "use_identity_as_username true"));
  CHECK(contains(conf, "listener " + std::to_string(tls_port) + " 127.0.0.1"));
  CHECK(contains(conf, "persistence false"));

  auto [soft, hard] = nofile_limits(pid1);
  CHECK(!soft.empty());
  CHECK(soft == hard);  // the broker got soft RLIMIT_NOFILE raised to the hard limit
  if (orig.rlim_max != RLIM_INFINITY) CHECK(soft == std::to_string(orig.rlim_max));

  SUBCASE("a message goes through over TLS, the CN is the user name") {
    std::string topic = unique_topic("tls");
    std::string out = round_trip(tls_args(broker, "localhost", cafile, &dev1),
                                 tls_args(broker, "127.0.0.1", cafile, &dev2), topic, "hello-over-tls");
    CHECK(contains(out, topic + " hello-over-tls"));
    std::string log = slurp(broker.log_path());
    CHECK(contains(log, "u'dev-001'"));
    CHECK(contains(log, "u'dev-002'"));
  }

  SUBCASE("a client without a certificate is refused") {
    std::string topic = unique_topic("nocert");
    RunResult r = publish(tls_args(broker, "127.0.0.1", cafile, nullptr), topic, "x");
    CHECK(!r.timed_out);
    CHECK_MESSAGE(!r.status.ok(), "mosquitto_pub without a cert was accepted: " << r.out << r.err);
    // The same client with a certificate is accepted (so the refusal is about the cert).
    RunResult ok = publish(tls_args(broker, "127.0.0.1", cafile, &dev1), topic, "x");
    CHECK_MESSAGE(ok.status.ok(), ok.status.describe() << " " << ok.err);
  }

  SUBCASE("a client with a certificate from another CA is refused") {
    RunResult r = publish(tls_args(broker, "127.0.0.1", cafile, &rogue), unique_topic("rogue"), "x");
    CHECK(!r.timed_out);
    CHECK_MESSAGE(!r.status.ok(), "mosquitto_pub with a rogue cert was accepted: " << r.out << r.err);
  }

  SUBCASE("the plain listener takes anonymous clients") {
    std::vector<std::string> plain = {"-h", "127.0.0.1", "-p", std::to_string(plain_port)};
    std::string topic = unique_topic("plain");
    std::string out = round_trip(plain, plain, topic, "hello-plain");
    CHECK(contains(out, topic + " hello-plain"));
  }

  SUBCASE("restart keeps the ports") {
    broker.restart();
    REQUIRE(broker.running());
    CHECK(broker.pid() != pid1);
    CHECK(!process_alive(pid1));
    CHECK(broker.tls_port() == tls_port);
    CHECK(broker.plain_port() == plain_port);
    MESSAGE("restart: ready in " << broker.last_start_duration().count() << " ms");
    std::string topic = unique_topic("restart");
    std::string out = round_trip(tls_args(broker, "localhost", cafile, &dev1),
                                 tls_args(broker, "localhost", cafile, &dev2), topic, "after-restart");
    CHECK(contains(out, topic + " after-restart"));
  }

  // stop(): the process is gone and the ports are free.
  const pid_t last_pid = broker.pid();
  broker.stop();
  CHECK(!broker.running());
  CHECK(broker.pid() == -1);
  CHECK(!process_alive(last_pid));
  REQUIRE(broker.last_exit().has_value());
  CHECK_MESSAGE(broker.last_exit()->ok(), "mosquitto ended with " << broker.last_exit()->describe());
  CHECK(!tcp_port_open("127.0.0.1", tls_port));
  CHECK(!tcp_port_open("127.0.0.1", plain_port));
  CHECK(can_bind(tls_port));
  CHECK(can_bind(plain_port));
  broker.stop();  // idempotent
}

TEST_CASE("broker: startup failures are reported with context") {
  TempDir tmp;
  CertificateAuthority ca = CertificateAuthority::create(KeyType::ec256, "failure CA", 30);
  BrokerOptions opts = prepare_broker_pki(tmp.path / "broker", ca, KeyType::ec256);

  SUBCASE("a port that is taken, no retries allowed") {
    int fd = espfleet::test::listen_loopback(&opts.tls_port);
    opts.bind_attempts = 1;
    EmbeddedBroker b;
    std::string msg;
    try {
      b.start(opts);
    } catch (const BrokerError& e) {
      msg = e.what();
    }
    ::close(fd);
    CHECK(contains(msg, "exited during startup"));
    CHECK(contains(msg, "in use"));
    CHECK(b.pid() == -1);
  }

  SUBCASE("an unreadable server key: mosquitto's own error comes back") {
    write_file_atomically(opts.keyfile, "not a key\n", 0600);
    EmbeddedBroker b;
    std::string msg;
    try {
      b.start(opts);
    } catch (const BrokerError& e) {
      msg = e.what();
    }
    CHECK(contains(msg, "exited during startup"));
    CHECK_MESSAGE(contains(msg, "Unable to load server key"), msg);
    CHECK(b.pid() == -1);
  }

  SUBCASE("missing files and executables") {
    BrokerOptions o = opts;
    o.certfile = tmp.path / "missing.crt";
    EmbeddedBroker b;
    CHECK_THROWS_WITH_AS(b.start(o), doctest::Contains("missing.crt"), BrokerError);
    o = opts;
    o.mosquitto = "/nonexistent/mosquitto";
    CHECK_THROWS_WITH_AS(b.start(o), doctest::Contains("/nonexistent/mosquitto"), BrokerError);
  }

  SUBCASE("readiness without sd_notify: the probe connection") {
    BrokerOptions o = opts;
    o.use_sd_notify = false;
    EmbeddedBroker b;
    b.start(o);
    CHECK(b.running());
    std::string log = slurp(b.log_path());
    CHECK(contains(log, "on port " + std::to_string(b.tls_port()) + "."));  // the probe was accepted
    MESSAGE("ready by probe in " << b.last_start_duration().count() << " ms");
    RunResult r = run_capture({"mosquitto_pub", "-h", "localhost", "-p", std::to_string(b.tls_port()), "--cafile",
                               o.cafile.string(), "-t", "x", "-m", "y"},
                              15s);
    CHECK(!r.status.ok());  // still requires a client certificate
    pid_t p = b.pid();
    b.stop();
    CHECK(!process_alive(p));
  }

  SUBCASE("an unreadable server key is caught by the probe path too") {
    write_file_atomically(opts.keyfile, "not a key\n", 0600);
    BrokerOptions o = opts;
    o.use_sd_notify = false;
    EmbeddedBroker b;
    CHECK_THROWS_WITH_AS(b.start(o), doctest::Contains("Unable to load server key"), BrokerError);
    CHECK(b.pid() == -1);
  }

  SUBCASE("two brokers side by side get different ports") {
    EmbeddedBroker a, b;
    BrokerOptions oa = opts, ob = opts;
    oa.dir = tmp.path / "a";
    ob.dir = tmp.path / "b";
    a.start(oa);
    b.start(ob);
    CHECK(a.tls_port() != b.tls_port());
    CHECK(a.running());
    CHECK(b.running());
    pid_t pa = a.pid(), pb = b.pid();
    a.stop();
    b.stop();
    CHECK(!process_alive(pa));
    CHECK(!process_alive(pb));
  }
}

TEST_CASE("subprocess: run, capture, timeout, terminate") {
  RunResult r = run_capture({"sh", "-c", "echo out; echo err >&2; exit 3"}, 5s);
  CHECK(r.status.code == 3);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK(!r.timed_out);

  auto t0 = std::chrono::steady_clock::now();
  RunResult slow = run_capture({"sleep", "30"}, 200ms);
  CHECK(slow.timed_out);
  CHECK(slow.status.signal == SIGKILL);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);

  SpawnSpec spec;
  spec.argv = {"sleep", "30"};
  Subprocess p = Subprocess::spawn(spec);
  pid_t pid = p.pid();
  CHECK(process_alive(pid));
  ExitStatus st = p.terminate(3s);
  CHECK(st.signal == SIGTERM);
  CHECK(!process_alive(pid));
  CHECK(p.pid() == -1);

  SpawnSpec missing;
  missing.argv = {"definitely-not-a-program-xyz"};
  CHECK_THROWS_WITH_AS(Subprocess::spawn(missing), doctest::Contains("definitely-not-a-program-xyz"), SubprocessError);
}
