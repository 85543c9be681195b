#!/usr/bin/env bash
# tests/integration/test_false_handshakes.sh — a handshake counts only when the TLS engine
# reached the application-data state. A peer that closes mid-handshake is an error of its own
# (31, BR_ERR_IO, as Tasmota's table lists it), counted in tls_errors, never a handshake:
#   (a) TLS devices pointed at a plain MQTT port (Mosquitto closes on the ClientHello);
#   (b) devices without a client certificate against a broker that requires one: Mosquitto
#       sends alert 40 and hangs up while the device is still writing its side of the
#       handshake; the alert is what the device reports (296), never "connected".
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
P="$WORK/pki"
make_pki "$P"
PLAIN="$(free_port)"
start_mosquitto "$P" "$PLAIN" false plain
STRICT="$(free_port)"
start_mosquitto "$P" "$STRICT" true server

run() {  # run NAME PORT DEVICES MODE [args]
  local name="$1" port="$2" n="$3" mode="$4"; shift 4
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$n" --duration 6s --mode "$mode" --quiet \
    --set fleet.connect_spread=0s --set tls.client_cert=false --broker "localhost:$port" --ca "$P/ca.crt" \
    --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1 || { cat "$WORK/$name.out"; fail "$name: espfleet run failed"; }
}
run plain "$PLAIN" 5 realtime & R1=$!
run strict "$STRICT" 20 realtime & R2=$!
run strict_fast "$STRICT" 20 fast & R3=$!
for r in "$R1" "$R2" "$R3"; do wait "$r" || fail "a run failed (see above)"; done

check() {  # check NAME EXPECTED_CODE
  python3 - "$WORK/$1" "$2" <<'PY' || fail "$1: a failed handshake was counted, or its error lost"
import json, sys
d, want = sys.argv[1], int(sys.argv[2])
s = json.load(open(d + "/summary.json"))
devs = [json.loads(l) for l in open(d + "/devices.jsonl")]
assert s["handshakes"] == 0, ("handshakes counted", s["handshakes"], s["handshake_ms"])
assert s["ever_connected"] == 0, s["ever_connected"]
for dev in devs:
    assert dev["handshakes_ms"] == [], (dev["client_id"], dev["handshakes_ms"])
    assert dev["connect_failures"] >= 1, dev
    assert dev["tls_error"] == want, (dev["client_id"], "tls_error", dev["tls_error"], "want", want)
    assert dev["tls_errors"].get(str(want), 0) == dev["connect_failures"], (dev["client_id"], dev["tls_errors"])
    assert "0" not in dev["tls_errors"], dev["tls_errors"]
name = {31: "31 IO", 296: "296 RECEIVED_ALERT_40"}[want]
assert s["tls_errors"] == {name: len(devs)}, s["tls_errors"]
print(sys.argv[1].rsplit("/", 1)[1], ":", len(devs), "devices, 0 handshakes, tls_errors", s["tls_errors"])
PY
}
check plain 31
check strict 296
check strict_fast 296
echo PASS
