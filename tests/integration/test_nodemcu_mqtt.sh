#!/usr/bin/env bash
# tests/integration/test_nodemcu_mqtt.sh — NodeMCU's wifi, mqtt and tmr modules against a Mosquitto
# started here: tests/nodemcu/mqtt_plain (an init.lua in the manner of NodeMCU's mqtt docs) on 30
# devices. An independent mosquitto_sub sees each device's own telemetry count up from 1 every
# 2 s; a mosquitto_pub "ping" to one device's command topic gets a QoS 1 "pong" from that device
# only. Then the broker is stopped and started again during a run: every device reports
# "offline", its 10 s retimer reconnects it from the failure callback's path, and it publishes again.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
N=30
mkdir -p "$WORK/pki"
PORT="$(free_port)"
start_mosquitto "$WORK/pki" "$PORT" false plain
BROKER_PID="$MOSQ_PID"

mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'nodemcu/#' -v > "$WORK/seen.txt" 2>&1 &
PIDS+=("$!")
SUB=$!
sleep 0.3

"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$N" --duration 12s --quiet --no-tapes \
  --set tls.enabled=false --set fleet.connect_spread=2s --broker "127.0.0.1:$PORT" \
  --firmware "$ROOT/tests/nodemcu/mqtt_plain" --out "$WORK/run" > "$WORK/run.out" 2>&1 &
RUN=$!
PIDS+=("$RUN")

target=""
for _ in $(seq 1 100); do
  target="$(grep -o 'nodemcu/node-[0-9]*/tele' "$WORK/seen.txt" | head -1 | cut -d/ -f2 || true)"
  [ -n "$target" ] && break
  sleep 0.1
done
[ -n "$target" ] || fail "no device published: $(cat "$WORK/run.out")"
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "nodemcu/$target/cmd" -m ping || fail "mosquitto_pub"
wait "$RUN" || fail "run: $(cat "$WORK/run.out")"
sleep 0.3
kill "$SUB" 2>/dev/null || true

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" "$target" "$N" <<'PY' || fail "the NodeMCU MQTT fleet"
import json, os, re, sys
from itcheck import check, finish
w, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
tele, pongs = {}, []
for line in open(os.path.join(w, "seen.txt")):
    topic, _, payload = line.rstrip("\n").partition(" ")
    m = re.match(r"nodemcu/(node-\d+)/(\w+)$", topic)
    if not m:
        continue
    if m.group(2) == "tele":
        tele.setdefault(m.group(1), []).append(json.loads(payload))
    elif m.group(2) == "pong":
        pongs.append((m.group(1), payload))
check(len(tele) == n, "all %d devices seen publishing (%d)" % (n, len(tele)))
for dev, msgs in tele.items():
    counts = [m["count"] for m in msgs]
    check(counts == list(range(1, len(counts) + 1)), "%s: its own count from 1: %s" % (dev, counts))
    check(len(counts) >= 3, "%s: every 2 s (%d)" % (dev, len(counts)))
    check(all(10000 < m["heap"] < 49152 for m in msgs), "%s: node.heap() is its heap: %s" % (dev, msgs[:2]))
check(len(pongs) == 1 and pongs[0][0] == target, "one pong, from %s only: %s" % (target, pongs))
log = open(os.path.join(w, "run", "devices.log")).read()
check(len(re.findall(r"dev \d+ (> )?got ip 10\.", log)) == n, "every device got its address from the station")
check(log.count(" message nodemcu/%s/cmd ping" % target) == 1, "the command reached the target's callback")
s = json.load(open(os.path.join(w, "run", "summary.json")))
check(s["connected"] == n and s["ever_connected"] == n, "connected %s ever %s" % (s["connected"], s["ever_connected"]))
check(s["nodemcu"]["devices"] == n and s["nodemcu"]["wifi_joined"] == n, s["nodemcu"])
finish("nodemcu mqtt: %d devices, target %s" % (n, target))
PY

# The broker goes away at about 4 s and comes back 3 s later.
: > "$WORK/seen2.txt"
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 10 --duration 19s --quiet --no-tapes \
  --set tls.enabled=false --set fleet.connect_spread=1s --broker "127.0.0.1:$PORT" \
  --firmware "$ROOT/tests/nodemcu/mqtt_plain" --out "$WORK/run2" > "$WORK/run2.out" 2>&1 &
RUN=$!
PIDS+=("$RUN")
sleep 4
kill "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
sleep 3
start_mosquitto "$WORK/pki" "$PORT" false plain
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'nodemcu/#' -v > "$WORK/seen2.txt" 2>&1 &
PIDS+=("$!")
SUB=$!
wait "$RUN" || fail "run2: $(cat "$WORK/run2.out")"
kill "$SUB" 2>/dev/null || true

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "the NodeMCU reconnect"
import os, re, sys
from itcheck import check, finish
w = sys.argv[1]
lines = {}
for l in open(os.path.join(w, "run2", "devices.log")):
    m = re.match(r"\[\s*([\d.]+)\] dev (\d+) (.*)", l.rstrip("\n"))
    if m:
        lines.setdefault(int(m.group(2)), []).append((float(m.group(1)), m.group(3)))
check(len(lines) == 10, "10 devices logged")
for dev, ls in lines.items():
    text = [s for _, s in ls]
    check(text.count("connected") >= 2, "dev %d: connected, then again: %s" % (dev, text))
    off = [t for t, s in ls if s == "offline"]
    check(len(off) >= 1, "dev %d: the lost broker is 'offline'" % dev)
    again = [t for t, s in ls if s == "connected" and off and t > off[0]]
    check(again and again[0] >= off[0] + 10.0, "dev %d: reconnected by its 10 s timer: %s %s" % (dev, off, again))
seen = {m.group(1) for m in re.finditer(r"nodemcu/(node-\d+)/tele", open(os.path.join(w, "seen2.txt")).read())}
check(len(seen) == 10, "after the restart mosquitto_sub sees all 10 publishing again (%d)" % len(seen))
finish("nodemcu reconnect")
PY
