#!/usr/bin/env bash
# tests/integration/test_nodemcu_fleet.sh — issue 15's fleet: scenarios/nodemcu.toml, 500 NodeMCU
# devices each running scenarios/nodemcu/init.lua (written as NodeMCU's mqtt and tls docs write a
# client: tls.cert.verify with the broker's CA, a secure mqtt connect whose failure callback retries,
# telemetry on a timer) against the embedded Mosquitto, in realtime. An independent mosquitto_sub
# on the embedded broker's plain listener sees every device's retained Online and its telemetry;
# every device verified the broker and none crashed.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
N=500
"$ESPFLEET" run "$ROOT/scenarios/nodemcu.toml" --devices "$N" --duration 22s --set fleet.connect_spread=8s --no-tapes --out "$WORK/run" \
  > "$WORK/out.txt" 2> "$WORK/err.txt" &
RUN=$!
PIDS+=("$RUN")
plain="$(embedded_plain_port "$WORK/err.txt")"
mosquitto_sub -h 127.0.0.1 -p "$plain" -t 'nodemcu/+/LWT' -t 'nodemcu/+/tele' -v > "$WORK/seen.txt" 2>&1 &
SUB=$!
PIDS+=("$SUB")
wait "$RUN" || fail "the run: $(tail -5 "$WORK/err.txt")"
kill "$SUB" 2>/dev/null || true

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" "$N" <<'PY' || fail "the NodeMCU fleet"
import json, os, re, sys
from itcheck import check, finish
w, n = sys.argv[1], int(sys.argv[2])
online, tele = set(), {}
for line in open(os.path.join(w, "seen.txt")):
    topic, _, payload = line.rstrip("\n").partition(" ")
    m = re.match(r"nodemcu/(nodemcu-\d+)/(LWT|tele)$", topic)
    if not m:
        continue
    if m.group(2) == "LWT" and payload == "Online":
        online.add(m.group(1))
    elif m.group(2) == "tele":
        tele.setdefault(m.group(1), []).append(json.loads(payload))
check(len(online) == n, "mosquitto_sub saw %d of %d devices Online" % (len(online), n))
check(len(tele) == n, "mosquitto_sub saw telemetry from %d of %d devices" % (len(tele), n))
check(all([t["n"] for t in ts] == list(range(1, len(ts) + 1)) for ts in tele.values()), "each device counts from 1")
log = open(os.path.join(w, "run", "devices.log")).read()
check(log.count("client handshake ok!") >= n, "every device's handshake (%d)" % log.count("client handshake ok!"))
check("client handshake failed" not in log and "PANIC" not in log, "no failed handshake, no panic")
s = json.load(open(os.path.join(w, "run", "summary.json")))
check(s["connected"] == n and s["crashes"] == 0, "connected %s, crashes %s" % (s["connected"], s["crashes"]))
check(s["firmware"]["nodemcu"]["devices"] == n, s["firmware"])
finish("nodemcu fleet: %d devices, handshake p50 %s ms" % (n, s["handshake_ms"]["p50"]))
PY
