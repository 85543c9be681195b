#!/usr/bin/env bash
# tests/integration/test_nodemcu_tls.sh — seed 002's TLS behaviour of NodeMCU devices, each against
# a real Mosquitto started here with its own certificate, checked in the devices' console lines and
# by an independent mosquitto_sub. tests/nodemcu/tls_cases: devices with an even chip id verify the
# broker against the run's CA (tls.cert.verify), the others do not verify at all.
#   - a server whose Certificate message is over one 4 KiB record: every handshake fails
#     (mbed TLS without handshake-message reassembly: -0x7080), nobody publishes;
#   - an expired certificate from the trusted CA: accepted (NodeMCU checks no dates);
#   - a certificate for another name from the trusted CA: accepted (no host-name check);
#   - a certificate from a CA the devices do not trust: the verifying devices fail (-0x2700,
#     CONN_FAIL_SERVER_NOT_FOUND), the others connect and publish;
#   - an SNI-only endpoint (nomfln_front.go -require-sni before a plain Mosquitto): NodeMCU sends no
#     server_name, so every handshake gets the front's fatal alert (-0x7780), while mosquitto_pub,
#     which names the host, gets through the same front.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
P="$WORK/pki"
make_pki "$P"
make_ca "$P" other
make_server_cert "$P" expired ca -1 "DNS:localhost,IP:127.0.0.1"
make_server_cert "$P" wrongname ca 30 "DNS:wrong.example.org"
make_server_cert "$P" untrusted other 30 "DNS:localhost,IP:127.0.0.1"
make_server_cert "$P" big ca 30 \
  "DNS:localhost,IP:127.0.0.1,$(python3 -c 'print(",".join("DNS:host%03d.fleet.example.com" % i for i in range(160)))')"
N=8

tasmota_run() {  # NAME PORT: 2 devices of the built-in firmware (CA mode, no client certificate) for contrast
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 2 --duration 8s --quiet --no-tapes \
    --set fleet.mode=fast --set tls.client_cert=false --broker "localhost:$2" --ca "$P/ca.crt" \
    --out "$WORK/$1-tasmota" > "$WORK/$1-tasmota.out" 2>&1 || fail "the $1 Tasmota run: $(cat "$WORK/$1-tasmota.out")"
}

tls_case() {  # NAME CERT [REQUIRE [RUN ARGS...]]: a broker with P/CERT.crt on its TLS listener (asking
  # for client certificates when REQUIRE is true), a fleet against it, and the independent
  # mosquitto_sub on the same broker's plain listener (it need not trust CERT).
  local name="$1" cert="$2" req="${3:-false}" port plain sub mosq
  shift 2; [ $# -gt 0 ] && shift
  port="$(free_port)"
  plain="$(free_port)"
  printf 'user root\nper_listener_settings false\nallow_anonymous true\npersistence false\nlog_dest file %s\n' \
    "$WORK/$name.mosquitto.log" > "$WORK/$name.conf"
  printf 'listener %s 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate %s\n' \
    "$port" "$P/ca.crt" "$P/$cert.crt" "$P/$cert.key" "$req" >> "$WORK/$name.conf"
  printf 'use_identity_as_username %s\nlistener %s 127.0.0.1\n' "$req" "$plain" >> "$WORK/$name.conf"
  mosquitto -c "$WORK/$name.conf" &
  mosq=$!
  PIDS+=("$mosq")
  for _ in $(seq 1 50); do
    python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$plain)))" && break
    sleep 0.1
  done
  mosquitto_sub -h 127.0.0.1 -p "$plain" -t 'nodemcu/#' -v -W 30 > "$WORK/$name.seen" 2>&1 &
  sub=$!
  PIDS+=("$sub")
  sleep 0.3
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$N" --duration 8s --quiet --no-tapes \
    --set fleet.connect_spread=1s --set fleet.mode=fast --set tls.client_cert=false --broker "localhost:$port" \
    --ca "$P/ca.crt" --firmware "$ROOT/tests/nodemcu/tls_cases" --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1 ||
    fail "the $name run: $(cat "$WORK/$name.out")"
  [ "$name" = big ] && tasmota_run big "$port"
  sleep 0.3
  kill "$sub" "$mosq" 2>/dev/null || true
  wait "$sub" "$mosq" 2>/dev/null || true
}
for c in big expired wrongname untrusted; do tls_case "$c" "$c"; done
# A broker that asks for client certificates: devices given their own (tls.client_cert, issued by
# the broker's CA) present them with tls.cert.auth and get in; devices without are refused.
tls_case mutual server true --set tls.client_cert=true --device-ca-cert "$P/ca.crt" --device-ca-key "$P/ca.key"
tls_case nocert server true

# The SNI-only endpoint: the Go front before a plain Mosquitto.
GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" go build -o "$WORK/front" "$ROOT/tests/integration/nomfln_front.go" ||
  fail "could not build nomfln_front.go"
UP="$(free_port)"
FRONT="$(free_port)"
start_mosquitto "$P" "$UP" false plain
"$WORK/front" -listen "127.0.0.1:$FRONT" -upstream "127.0.0.1:$UP" -cert "$P/server.crt" -key "$P/server.key" \
  -require-sni -lifetime 60s > "$WORK/front.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 50); do grep -q listening "$WORK/front.log" && break; sleep 0.1; done
grep -q listening "$WORK/front.log" || fail "the front did not start: $(cat "$WORK/front.log")"
mosquitto_sub -h 127.0.0.1 -p "$UP" -t 'nodemcu/#' -v -W 30 > "$WORK/sni.seen" 2>&1 &
PIDS+=("$!")
sleep 0.3
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$N" --duration 8s --quiet --no-tapes \
  --set fleet.connect_spread=1s --set fleet.mode=fast --set tls.client_cert=false --broker "localhost:$FRONT" \
  --ca "$P/ca.crt" --firmware "$ROOT/tests/nodemcu/tls_cases" --out "$WORK/sni" > "$WORK/sni.out" 2>&1 ||
  fail "the sni run: $(cat "$WORK/sni.out")"
tasmota_run sni "$FRONT"
mosquitto_pub -h localhost -p "$FRONT" --cafile "$P/ca.crt" -t nodemcu/sni/named -m named -q 1 ||
  fail "mosquitto_pub, which sends the host's name, did not get through the SNI-only front: $(tail -3 "$WORK/front.log")"
sleep 0.3
openssl x509 -in "$P/big.crt" -outform der > "$WORK/big.der"

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" "$N" <<'PY' || fail "NodeMCU's TLS behaviour"
import os, re, sys
from itcheck import check, finish
w, n = sys.argv[1], int(sys.argv[2])

def devices(case):
    out = {}
    for l in open(os.path.join(w, case, "devices.log")):
        m = re.match(r"\[\s*([\d.]+)\] dev (\d+) (?:> )?(.*)", l.rstrip("\n"))
        if m:
            out.setdefault(int(m.group(2)), []).append(m.group(3))
    return out

def seen(case):
    return [l.split() for l in open(os.path.join(w, case + ".seen")) if l.startswith("nodemcu/")]

check(os.path.getsize(os.path.join(w, "big.der")) > 4096, "the big certificate is over 4 KiB")
modes = set()
for case in ["big", "expired", "wrongname", "untrusted", "sni", "mutual", "nocert"]:
    devs = devices(case)
    check(len(devs) == n, "%s: %d devices logged" % (case, len(devs)))
    for d, text in devs.items():
        verify = "verify on" in text
        modes.add(verify)
        ok = any(t.startswith("connected, heap ") for t in text)
        if case == "big":
            check(not ok and "connect failed, reason -5" in text and "Reason:[-0x7080]" in text,
                  "big chain, dev %d: the handshake fails: %s" % (d, text[-4:]))
        elif case == "nocert":
            check(not ok and "connect failed, reason -5" in text and "client certificate presented" not in text,
                  "a broker that wants a certificate, dev %d without one: refused: %s" % (d, text[-4:]))
        elif case == "mutual":
            check(ok and "client certificate presented" in text and "hello acknowledged" in text,
                  "mutual TLS, dev %d (verify %s): its certificate accepted: %s" % (d, verify, text[-4:]))
        elif case == "sni":
            check(not ok and "Reason:[-0x7780]" in text and "connect failed, reason -5" in text,
                  "SNI-only endpoint, dev %d: the front's alert: %s" % (d, text[-4:]))
        elif case == "untrusted" and verify:
            check(not ok and "Reason:[-0x2700]" in text and "connect failed, reason -5" in text,
                  "untrusted CA, dev %d verifying: refused: %s" % (d, text[-4:]))
        else:
            check(ok and "hello acknowledged" in text, "%s, dev %d (verify %s): connected: %s" % (case, d, verify, text[-4:]))
    hellos = seen(case)
    want = {"big": 0, "expired": n, "wrongname": n, "sni": 1, "mutual": n, "nocert": 0}.get(case)
    if want is not None:
        check(len(hellos) == want, "%s: mosquitto_sub saw %d hellos, want %d" % (case, len(hellos), want))
    else:
        unverified = sum("verify off" in t for t in devs.values())
        check(len(hellos) == unverified and all(p == "unverified" for _, p in hellos),
              "untrusted: only the %d devices that do not verify published: %s" % (unverified, hellos))
check(modes == {True, False}, "both kinds of device took part")
# The broker logged each mutual-TLS device under its certificate's CN (use_identity_as_username).
mlog = open(os.path.join(w, "mutual.mosquitto.log")).read()
check(len(set(re.findall(r"u'(DVES_[0-9A-F]{6})'", mlog))) == n, "the broker saw %d certificate names" % n)
front = open(os.path.join(w, "front.log")).read()
check(front.count("no server_name") >= n, "the front refused %d nameless ClientHellos" % front.count("no server_name"))
check(seen("sni") == [["nodemcu/sni/named", "named"]], "only the named client got through: %s" % seen("sni"))
# Tasmota, for contrast: it streams the big certificate through BearSSL's X.509 decoder, and names
# its MqttHost in the ClientHello.
import json
for case in ["big", "sni"]:
    t = json.load(open(os.path.join(w, case + "-tasmota", "summary.json")))
    check(t["connected"] == 2 and t["connect_failures"] == 0, "%s: Tasmota connects: %s" % (case, t.get("tls_errors")))
finish("nodemcu tls: 4 cases x %d devices" % n)
PY
