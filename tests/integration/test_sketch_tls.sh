#!/usr/bin/env bash
# tests/integration/test_sketch_tls.sh — a TLS sketch as a fleet: tests/sketches/SecureCounter
# (BearSSL::WiFiClientSecure the way the core's examples use it: SNTP, CA trust anchors, its own
# EC client certificate and key read from its file system, an MFLN probe, 1024/1024 buffers) as
# 200 devices against a Mosquitto that requires client certificates from its CA. An independent
# mosquitto_sub (with a certificate of its own) sees every device count from 1, and the broker's
# log shows each device logged in with its own certificate (use_identity_as_username: CN =
# the device's DVES_ id, of the chip id the sketch puts in its client id). Then the same sketch
# without setBufferSizes on a heap too small for the core's 16 KB default buffers: every connect
# fails with getLastSSLError -1000, and with the broker stopped `replay` runs one such device
# again from its tape to the same digest and the same failures.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
export XDG_CACHE_HOME="$WORK/cache"
N=200
P="$WORK/pki"
make_pki "$P"
PORT="$(free_port)"
start_mosquitto "$P" "$PORT" true server
LOG="$P/mosquitto-$PORT.log"
SKETCHES="$ROOT/tests/sketches"

mosquitto_sub -h localhost -p "$PORT" --cafile "$P/ca.crt" --cert "$P/client.crt" --key "$P/client.key" \
  -t 'secure/#' -v > "$WORK/counters.txt" 2>&1 &
SUB=$!
PIDS+=("$SUB")
sleep 0.3

tls_run() {  # tls_run NAME SKETCH DEVICES DURATION [args...]
  local name="$1" sketch="$2" n="$3" dur="$4"; shift 4
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$n" --duration "$dur" --quiet \
    --set fleet.connect_spread=5s --broker "localhost:$PORT" --ca "$P/ca.crt" \
    --device-ca-cert "$P/ca.crt" --device-ca-key "$P/ca.key" \
    --firmware "$sketch" --library "$SKETCHES/libraries" --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1 \
    || fail "$name: $(cat "$WORK/$name.out")"
}
tls_run fleet "$SKETCHES/SecureCounter" "$N" 20s --no-tapes
sleep 0.5
kill "$SUB" 2>/dev/null || true

python3 - "$WORK/counters.txt" "$WORK/fleet" "$LOG" "$N" <<'PY' || fail "TLS sketch fleet"
import json, re, sys
counters, run, log, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = {}
for line in open(counters):
    topic, value = line.split()
    seen.setdefault(topic.split("/", 1)[1], []).append(int(value))
assert len(seen) == n, f"{len(seen)} of {n} devices seen publishing over TLS"
for chip, values in seen.items():
    assert values == list(range(1, len(values) + 1)), (chip, values[:10])
    assert len(values) >= 3, (chip, len(values))
# The broker's account: each client id secure-<chip> logged in as the CN of its own certificate.
logins = dict(re.findall(r"New client connected from \S+ as secure-([0-9a-f]+) \(.*?u'([^']+)'\)", open(log).read()))
assert {int(c, 16) for c in logins} == {int(c, 16) for c in seen}, (len(logins), len(seen))
for chip, user in logins.items():
    assert user == "DVES_%06X" % int(chip, 16), (chip, user)
devlog = open(run + "/devices.log").read()
assert devlog.count("MFLN supported: yes") == n, devlog.count("MFLN supported: yes")
assert len(re.findall(r"connected, MFLN 1", devlog)) >= n, "not every device's server took the 1024-byte fragments"
assert "failed, SSL error" not in devlog, [l for l in devlog.splitlines() if "SSL error" in l][:3]
s = json.load(open(run + "/summary.json"))
assert s["sketch"]["devices"] == n and s["crashes"] == 0, s
assert s["connected"] == n and s["ever_connected"] == n, (s["connected"], s["ever_connected"])
print("TLS sketch fleet: ok,", n, "devices, each with its own certificate; heap free min", s["heap_free_min"])
PY

# Without setBufferSizes: 16709 + 597 bytes of buffers do not fit a 30 KB heap.
mkdir -p "$WORK/SecureCounterNoBuf"
sed '/setBufferSizes/d' "$SKETCHES/SecureCounter/SecureCounter.ino" > "$WORK/SecureCounterNoBuf/SecureCounterNoBuf.ino"
grep -q setBufferSizes "$WORK/SecureCounterNoBuf/SecureCounterNoBuf.ino" && fail "setBufferSizes still in the variant"
tls_run oom "$WORK/SecureCounterNoBuf" 3 12s --set device.heap_bytes=30K
python3 - "$WORK/oom" <<'PY' || fail "OOM variant"
import json, re, sys
run = sys.argv[1]
log = open(run + "/devices.log").read()
for dev in range(3):
    mine = [l for l in log.splitlines() if f" dev {dev} " in l and "MQTT connect" in l]
    assert len(mine) >= 2, (dev, mine)
    for l in mine:
        assert "failed, SSL error -1000: Unable to allocate memory for SSL structures and buffers." in l, l
print("without setBufferSizes: every connect failed with -1000, e.g.", mine[0].split("dev 2 ")[1])
PY

kill "$MOSQ_PID"; wait "$MOSQ_PID" 2>/dev/null || true
"$ESPFLEET" replay "$WORK/oom" --device 1 > "$WORK/replay.out" 2>&1 || fail "replay: $(cat "$WORK/replay.out")"
grep -q "recorded: same as recorded" "$WORK/replay.out" || fail "replay differs: $(cat "$WORK/replay.out")"
n=$(grep -c "failed, SSL error -1000" "$WORK/oom/replay/1.log" || true)
want=$(grep " dev 1 " "$WORK/oom/devices.log" | grep -c "failed, SSL error -1000" || true)
[ "$n" -ge 2 ] && [ "$n" = "$want" ] || fail "replay shows $n -1000 failures, the run $want"
echo "replay with the broker stopped: same digest, $n connects failing with -1000"

# profile --firmware: the core's memory, as the sketch sets it and as it does not.
"$ESPFLEET" profile --firmware "$SKETCHES/SecureCounter" --library "$SKETCHES/libraries" --client-cert --json \
  > "$WORK/profile_1024.json" 2> "$WORK/profile_1024.err" || fail "profile: $(cat "$WORK/profile_1024.err")"
"$ESPFLEET" profile --firmware "$WORK/SecureCounterNoBuf" --library "$SKETCHES/libraries" --client-cert --json \
  > "$WORK/profile_default.json" 2> "$WORK/profile_default.err" || fail "profile: $(cat "$WORK/profile_default.err")"
python3 - "$WORK/profile_1024.json" "$WORK/profile_default.json" <<'PY' || fail "profile --firmware"
import json, sys
small, default = (json.load(open(f)) for f in sys.argv[1:3])
for p, rx, tx in ((small, 1349, 1109), (default, 16709, 597)):
    m = p["memory"]
    assert m["buffer_in"]["requested"] == rx and m["buffer_out"]["requested"] == tx, m
    assert rx < m["buffer_in"]["heap_drop"] <= rx + 16 and tx < m["buffer_out"]["heap_drop"] <= tx + 16, m
    assert m["thunk_stack"]["requested"] == 6200 and 6200 < m["thunk_stack"]["heap_drop"] <= 6216, m
    assert 0 < m["thunk_peak"] <= 6200, m
    assert m["client_context"]["requested"] > 3000 and m["x509_engine"]["requested"] > 2000, m
    assert m["certificates_and_keys"] > 1000, m  # the CA, the device's certificate and key, parsed
    t = p["time_ms"]
    assert t["tls_handshake"] > 100 and t["breakdown"]["ecdhe"] > 0, t
    print("profile: buffers %d + %d, thunk %d (peak %d), context %d, X.509 %d; handshake %.0f ms" % (
        rx, tx, m["thunk_stack"]["requested"], m["thunk_peak"], m["client_context"]["requested"],
        m["x509_engine"]["requested"], t["tls_handshake"]))
PY
echo "PASS"
