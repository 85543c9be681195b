#!/usr/bin/env bash
# tests/integration/test_sketch_mqtt.sh — a user's MQTT sketch as a fleet: tests/sketches/CounterPub
# with the TinyMqtt library (written here in the manner of the published Arduino MQTT libraries),
# 40 devices against a Mosquitto started here. An independent mosquitto_sub sees every device's
# own counter count up from 1; a mosquitto_pub to one device's led/<chip id> reaches that device's
# callback only, and its LED pin changes.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
export XDG_CACHE_HOME="$WORK/cache"
N=40
mkdir -p "$WORK/pki"
PORT="$(free_port)"
start_mosquitto "$WORK/pki" "$PORT" false plain

mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'counter/#' -v > "$WORK/counters.txt" 2>&1 &
SUB=$!
PIDS+=("$SUB")
sleep 0.3

"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$N" --duration 14s --quiet --no-tapes \
  --set tls.enabled=false --set fleet.connect_spread=2s --broker "127.0.0.1:$PORT" \
  --firmware "$ROOT/tests/sketches/CounterPub" --library "$ROOT/tests/sketches/libraries" \
  --out "$WORK/run" > "$WORK/run.out" 2>&1 &
RUN=$!
PIDS+=("$RUN")

# Once two devices are publishing, switch the LED of the first one seen, then of no other.
target=""
for _ in $(seq 1 100); do
  target="$(awk '{print $1}' "$WORK/counters.txt" | sort -u | head -1 | sed 's|counter/||')"
  [ -n "$target" ] && [ "$(awk '{print $1}' "$WORK/counters.txt" | sort -u | wc -l)" -ge 2 ] && break
  sleep 0.1
done
[ -n "$target" ] || fail "no device published: $(cat "$WORK/run.out")"
sleep 1
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "led/$target" -m 1 || fail "mosquitto_pub"

wait "$RUN" || fail "run: $(cat "$WORK/run.out")"
sleep 0.3
kill "$SUB" 2>/dev/null || true

python3 - "$WORK/counters.txt" "$WORK/run/devices.jsonl" "$WORK/run/devices.log" "$target" "$N" <<'PY' || fail "sketch fleet"
import json, re, sys
counters, jsonl, log, target, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
seen = {}
for line in open(counters):
    topic, value = line.split()
    seen.setdefault(topic.split("/", 1)[1], []).append(int(value))
assert len(seen) == n, f"{len(seen)} of {n} devices seen publishing"
for chip, values in seen.items():
    # each device's own counter: 1, 2, 3, ... (another device's values never interleave)
    assert values == list(range(1, len(values) + 1)), (chip, values[:10])
    assert len(values) >= 5, (chip, len(values))
devices = [json.loads(l) for l in open(jsonl)]
assert len(devices) == n
by_chip = {"%06x" % d["chip_id"]: d for d in devices}
assert set(by_chip) == set(seen), "chip ids differ from the topics"
for chip, d in by_chip.items():
    assert d["firmware"] == "CounterPub" and d["wifi_joins"] == 1 and d["tcp_connects"] >= 1, d
    led = d["gpio_outputs"]["2"]
    assert led == (0 if chip == target else 1), (chip, target, led)  # LOW = on, for the target only
got = [l for l in open(log) if "message [led/" in l]
assert len(got) == 1 and ("led/" + target) in got[0], got
dev = by_chip[target]["id"]
assert re.search(r"dev %d message \[led/%s\] 1 bytes" % (dev, target), got[0]), got[0]
summary = json.load(open(jsonl.replace("devices.jsonl", "summary.json")))
sk = summary["sketch"]
assert sk["devices"] == n and sk["wifi_joined"] == n, sk
# A sketch device is connected while it has a connection open to the broker.
assert summary["connected"] == n and summary["ever_connected"] == n, (summary["connected"], summary["ever_connected"])
assert sk["tcp_connects"] == sum(d["tcp_connects"] for d in devices), sk
# The idle polling passes are skipped (sim/device/loop_passes.cpp): far more than are run.
assert sk["loop_passes_skipped"] > 20 * sk["loop_passes_run"], sk
print("sketch fleet: ok", n, "devices, target", target, "passes run", sk["loop_passes_run"],
      "skipped", sk["loop_passes_skipped"])
PY

# The access point goes away for 3 s at 6 s (sketch.wifi_drops): every device loses its
# connection, fails to reconnect while the station is away, joins again and reconnects; its
# counter goes on from where it was (its globals are its own: the sketch's loop waits in
# reconnect(), so no value is skipped).
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'counter/#' -v -F '%U %t %p' > "$WORK/drop.txt" 2>&1 &
SUB=$!
PIDS+=("$SUB")
sleep 0.3
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 10 --duration 16s --quiet --no-tapes --mode fast \
  --set tls.enabled=false --set fleet.connect_spread=1s --set 'sketch.wifi_drops=["at=6s for=3s"]' \
  --broker "127.0.0.1:$PORT" --firmware "$ROOT/tests/sketches/CounterPub" --library "$ROOT/tests/sketches/libraries" \
  --out "$WORK/drop" > "$WORK/drop.out" 2>&1 || fail "drop run: $(cat "$WORK/drop.out")"
sleep 0.3
kill "$SUB" 2>/dev/null || true
python3 - "$WORK/drop.txt" "$WORK/drop/devices.jsonl" "$WORK/drop/devices.log" <<'PY' || fail "Wi-Fi drop"
import json, re, sys
seen = {}
for line in open(sys.argv[1]):
    _, topic, value = line.split()
    seen.setdefault(topic.split("/", 1)[1], []).append(int(value))
devices = [json.loads(l) for l in open(sys.argv[2])]
assert len(devices) == 10 and len(seen) == 10, (len(devices), len(seen))
for d in devices:
    assert d["wifi_joins"] == 1 and d["tcp_connects"] == 2, d  # the first connect, and one after the drop
for chip, values in seen.items():
    assert values == list(range(1, len(values) + 1)) and len(values) >= 5, (chip, values)
log = open(sys.argv[3]).read()
for d in devices:
    fails = [float(t) for t in re.findall(r"\[\s*([0-9.]+)\] dev %d Attempting MQTT connection\.\.\.failed" % d["id"], log)]
    assert fails and all(6.0 <= t < 12.1 for t in fails), (d["id"], fails)  # while the station was away
print("Wi-Fi drop: all 10 devices lost the broker at 6 s and reconnected once; counters went on, e.g.",
      seen[chip])
PY
echo "PASS"
