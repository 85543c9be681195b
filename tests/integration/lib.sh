# tests/integration/lib.sh — shared helpers for the integration tests: a scratch dir, a free
# loopback port, a PKI made with the openssl CLI (independent of espfleet's own), and a
# Mosquitto started by the test and stopped by its own pid.
set -euo pipefail

WORK="$(mktemp -d /tmp/espfleet-it.XXXXXX)"
PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || true
  done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# refused NAME TOML PATTERN WHAT: `espfleet run` of scenario TOML (written to $WORK/NAME.toml) must
# fail, and its error (in $WORK/NAME.err) match the grep pattern PATTERN; WHAT says what it is.
refused() {
  printf '%b' "$2" > "$WORK/$1.toml"
  "$ESPFLEET" run "$WORK/$1.toml" --quiet --out "$WORK/$1.run" > /dev/null 2> "$WORK/$1.err" && fail "$4 ran"
  grep -q -- "$3" "$WORK/$1.err" || fail "$4: no reason: $(cat "$WORK/$1.err")"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# make_pki DIR: ca.crt/ca.key (RSA-2048), server.crt/key (RSA-2048, SAN localhost/127.0.0.1),
# client.crt/key (P-256, CN=checker) for the independent mosquitto_sub.
make_pki() {
  local d="$1"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 30 \
    -subj "/CN=integration test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/client.key" -out "$d/client.csr" \
    -subj "/CN=checker" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' > "$d/client.ext"
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/client.ext" -out "$d/client.crt" 2>/dev/null
  chmod 600 "$d"/*.key
}

# make_server_cert DIR NAME CA DAYS SAN [KEYOPT...]: DIR/NAME.crt/.key signed by DIR/CA.crt/.key
# (CA=self for a self-signed certificate); DAYS may be -1 (already expired); KEYOPT default
# rsa:2048 (e.g. "rsa:4096" or "ec -pkeyopt ec_paramgen_curve:P-256").
make_server_cert() {
  local d="$1" name="$2" ca="$3" days="$4" san="$5"; shift 5
  local key=("$@")
  [ ${#key[@]} -gt 0 ] || key=(rsa:2048)
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$d/$name.ext"
  openssl req -newkey "${key[@]}" -nodes -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$name" 2>/dev/null
  if [ "$ca" = self ]; then
    openssl x509 -req -in "$d/$name.csr" -signkey "$d/$name.key" -days "$days" \
      -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
  else
    openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" -CAcreateserial -days "$days" \
      -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
  fi
  chmod 600 "$d/$name.key"
}

# make_ca DIR NAME: another CA (RSA-2048) DIR/NAME.crt/.key
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/$2.key" -out "$1/$2.crt" -days 30 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# start_mosquitto DIR PORT REQUIRE_CERT(true|false) [CERTNAME]: a TLS listener with DIR/CERTNAME.crt
# (default: server) — or CERTNAME=plain for a plain MQTT listener; sets MOSQ_PID.
start_mosquitto() {
  local d="$1" port="$2" req="$3" cert="${4:-server}"
  local conf="$d/mosquitto-$port.conf" log="$d/mosquitto-$port.log"
  if [ "$cert" = plain ]; then
    printf 'user root\nallow_anonymous true\npersistence false\nlog_dest file %s\nlistener %s 127.0.0.1\n' \
      "$log" "$port" > "$conf"
  else
  cat > "$conf" <<CONF
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest file $log
log_type error
log_type warning
log_type notice
listener $port 127.0.0.1
cafile $d/ca.crt
certfile $d/$cert.crt
keyfile $d/$cert.key
require_certificate $req
use_identity_as_username $req
CONF
  fi
  ( ulimit -n "$(ulimit -Hn)"; exec mosquitto -c "$conf" ) &
  MOSQ_PID=$!
  PIDS+=("$MOSQ_PID")
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
      return 0
    fi
    kill -0 "$MOSQ_PID" 2>/dev/null || { cat "$log" >&2 || true; fail "mosquitto exited at start"; }
    sleep 0.1
  done
  fail "mosquitto did not listen on $port within 10 s"
}

# embedded_plain_port ERRFILE: the port of the plain listener of the embedded Mosquitto that a run
# started in the background reports on its stderr (ERRFILE), printed once it has said it; fails
# the test after 10 s.
embedded_plain_port() {
  local port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/.*embedded mosquitto pid [0-9]* on localhost:[0-9]* (TLS), plain \([0-9]*\).*/\1/p' "$1")"
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  fail "the run did not say where its broker listens: $(cat "$1")"
}

# start_checker_sub PKI PORT OUT SECONDS TOPIC...: the independent mosquitto_sub, with make_pki's
# client certificate, on the TLS listener at PORT, lines "topic payload" into OUT; sets SUB_PID.
start_checker_sub() {
  local p="$1" port="$2" out="$3" secs="$4"; shift 4
  local topics=()
  for t in "$@"; do topics+=(-t "$t"); done
  mosquitto_sub -h localhost -p "$port" --cafile "$p/ca.crt" --cert "$p/client.crt" --key "$p/client.key" \
    "${topics[@]}" -v -W "$secs" > "$out" 2> "$out.err" &
  SUB_PID=$!
  PIDS+=("$SUB_PID")
  sleep 0.5
  kill -0 "$SUB_PID" || { cat "$out.err"; fail "mosquitto_sub did not start"; }
}

# fp_openssl CERT: Tasmota's v2 fingerprint (SHA-1 over "ssh-rsa", e, n) of an RSA certificate's
# key, computed from openssl's view of it, independently of espfleet.
fp_openssl() {
  local mod exp
  mod=$(openssl x509 -noout -modulus -in "$1" | cut -d= -f2)
  exp=$(openssl x509 -noout -text -in "$1" | sed -n 's/.*Exponent: \([0-9]*\).*/\1/p' | head -1)
  python3 - "$mod" "$exp" <<'PY'
import hashlib, struct, sys
n = bytes.fromhex(sys.argv[1]).lstrip(b"\0")
ev = int(sys.argv[2]); e = ev.to_bytes((ev.bit_length() + 7) // 8, "big")
h = hashlib.sha1()
for item in (b"ssh-rsa", e, n):
    h.update(struct.pack(">I", len(item)) + item)
print(" ".join("%02X" % b for b in h.digest()))
PY
}

json_get() {  # json_get FILE KEY  (top-level or dotted)
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}
