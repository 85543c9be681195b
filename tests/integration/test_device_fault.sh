#!/usr/bin/env bash
# tests/integration/test_device_fault.sh — a contained device crash in a live fleet: 51 devices on
# plain MQTT against the test's own Mosquitto, realtime. Once all are online, `mosquitto_pub` sends
# one device "Crash 1" (a store through NULL). That device dies with the core's Exception (29)
# post-mortem in devices.log, leaves a heap map, reboots and comes back; an independent
# mosquitto_sub sees every one of the other 50 publish telemetry after the crash; devices.jsonl
# and summary.json count exactly that one crash, as exception_29. Then, with the broker stopped,
# `espfleet replay` of that device gives the same record, log and digest.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

N=51
VICTIM=17
SEED=1
PORT="$(free_port)"
start_mosquitto "$WORK" "$PORT" false plain

cat > "$WORK/fleet.toml" <<TOML
[fleet]
devices = $N
duration = "35s"
seed = $SEED
mode = "realtime"
connect_spread = "2s"

[tls]
enabled = false

[app]
tele_period = "10s"
TOML

# The device's topic, as sim/device/device.cpp chip_id_for/topic_for make it.
topic_of() { python3 -c 'import sys; i, s = int(sys.argv[1]), int(sys.argv[2])
print("tasmota_%06X" % ((i * 0x9E3779 + (s & 0xFFFFFF)) & 0xFFFFFF))' "$1" "$SEED"; }
VTOPIC="$(topic_of "$VICTIM")"

# Independent observers: telemetry with a receive timestamp, and the LWT messages.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'tele/+/STATE' -F '%U %t' > "$WORK/state.txt" 2> "$WORK/sub_state.err" &
PIDS+=("$!")
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'tele/+/LWT' -F '%U %t %p' > "$WORK/lwt.txt" 2> "$WORK/sub_lwt.err" &
PIDS+=("$!")
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t "stat/$VTOPIC/RESULT" -F '%U %t %p' > "$WORK/result.txt" 2>/dev/null &
PIDS+=("$!")
sleep 0.5

"$ESPFLEET" run "$WORK/fleet.toml" --broker "127.0.0.1:$PORT" --out "$WORK/run" > "$WORK/run.out" 2> "$WORK/run.err" &
RUN_PID=$!
PIDS+=("$RUN_PID")

# Wait until every device is online (one "Online" LWT each).
online() { grep -c ' Online$' "$WORK/lwt.txt" 2>/dev/null || true; }
for _ in $(seq 1 150); do
  [ "$(online)" -ge "$N" ] && break
  kill -0 "$RUN_PID" 2>/dev/null || { cat "$WORK/run.err"; fail "espfleet exited before the fleet was online"; }
  sleep 0.1
done
[ "$(online)" -ge "$N" ] || fail "only $(online) of $N devices came online within 15 s"
grep -q "tele/$VTOPIC/LWT Online" "$WORK/lwt.txt" || fail "device $VICTIM ($VTOPIC) never came online"

CRASH_AT="$(date +%s.%N)"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "cmnd/$VTOPIC/Crash" -m 1 || fail "mosquitto_pub failed"
echo "sent cmnd/$VTOPIC/Crash 1 at $CRASH_AT"

wait "$RUN_PID" || { cat "$WORK/run.err"; fail "espfleet run exited non-zero"; }
cat "$WORK/run.out"
sleep 0.3

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" "$CRASH_AT" "$VICTIM" "$VTOPIC" <<'PY' || fail "the crash was not contained"
import json, os, sys
from itcheck import check, finish
work, crash_at, victim, vtopic = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
run = os.path.join(work, "run")
devs = {d["id"]: d for d in map(json.loads, open(os.path.join(run, "devices.jsonl")))}
check(len(devs) == 51, "51 device records")

# The broker saw every other device publish telemetry after the crash.
after = {}
for line in open(os.path.join(work, "state.txt")):
    ts, topic = line.split()[:2]
    if float(ts) > crash_at:
        after[topic.split("/")[1]] = after.get(topic.split("/")[1], 0) + 1
others = [d["topic"] for i, d in devs.items() if i != victim]
missing = [t for t in others if t not in after]
check(not missing, "every other device published STATE after the crash (missing: %s)" % missing[:5])
check(vtopic in after, "the crashed device came back and published STATE after its reboot")
check(any(l.split()[1] == "stat/%s/RESULT" % vtopic and '"Crash":1' in l for l in open(os.path.join(work, "result.txt"))),
      "the Crash command was answered on stat/%s/RESULT" % vtopic)
lwt = [l.split() for l in open(os.path.join(work, "lwt.txt"))]
check(any(t == "tele/%s/LWT" % vtopic and p == "Offline" and float(ts) > crash_at for ts, t, p in lwt),
      "the broker published the crashed device's will (Offline)")

# devices.jsonl: the victim crashed once with Exception 29 and booted twice; nobody else crashed.
v = devs[victim]
print("  victim:", v["topic"], "boots", v["boots"], "crash_reasons", v["crash_reasons"], "crash_codes", v["crash_codes"])
check(v["topic"] == vtopic, "the victim's topic is the one computed from its id")
check(v["boots"] == 2 and v["crashes"] == 1, "the victim booted twice and crashed once")
check(len(v["crash_reasons"]) == 1 and v["crash_reasons"][0].startswith("Exception 29 (StoreProhibited) excvaddr=0x00000000"),
      "its crash reason names Exception 29")
check(v["crash_codes"] == [2], "its reset reason is 2 (REASON_EXCEPTION_RST)")
check(v["state"] == "connected", "it is connected again at the end")
for i, d in devs.items():
    if i != victim:
        check(d["boots"] == 1 and d["crashes"] == 0 and d["state"] == "connected", "dev %d: one boot, no crash, connected" % i)

s = json.load(open(os.path.join(run, "summary.json")))
check(s["crashes"] == 1, "summary: one crash")
check(s["crashes_by_reason"] == {"exception_29": 1}, "summary: crashes_by_reason %s" % s["crashes_by_reason"])
check(os.path.isfile(os.path.join(run, "heap", "%d-crash-1.svg" % victim)), "the crash's heap map exists")
check(sorted(os.listdir(os.path.join(run, "heap"))) == ["%d-crash-1.svg" % victim, "%d-crash-1.txt" % victim],
      "no other heap map; the post-mortem beside it")
finish()
PY

# The post-mortem in the device log, as the ESP8266 core prints it, and espfleet's host note.
log="$WORK/run/devices.log"
for line in "CUT HERE FOR EXCEPTION DECODER" "Exception (29):" "epc1=0x402[0-9a-f]\{5\} epc2=0x00000000 epc3=0x00000000 excvaddr=0x00000000 depc=0x00000000" \
            ">>>stack>>>" "ctx: cont" "offset: 0190" "<<<stack<<<" "rst cause:2, boot mode:(3,6)" \
            "espfleet: host SIGSEGV: write at 0x0 by " "reset reason 2: Exception 29" "APP: Crash 1"; do
  grep -q "dev $VICTIM $line\|dev $VICTIM .*$line" "$log" || fail "dev $VICTIM's log lacks: $line"
done
if grep -v "dev $VICTIM " "$log" | grep "Exception (" > /dev/null; then fail "another device logged an exception"; fi
grep -q "crashes by reason  exception_29: 1" "$WORK/run.out" || fail "the summary table lacks the crashes-by-reason line"

# A realtime run replays too: the victim from its tape (the Crash command came over MQTT and is on
# it), with this test's broker gone, to the same Exception (29) record and digest.
kill -TERM "$MOSQ_PID"; wait "$MOSQ_PID" 2>/dev/null || true
"$ESPFLEET" replay "$WORK/run" --device "$VICTIM" --log "$WORK/replay.log" > "$WORK/replay.out" ||
  { cat "$WORK/replay.out"; fail "replay of the victim failed or differs from the recording"; }
grep -q "^crash: Exception 29 (StoreProhibited) excvaddr=0x00000000" "$WORK/replay.out" || fail "replay: no Exception 29"
grep -q "^recorded: same as recorded$" "$WORK/replay.out" || fail "replay: digest differs from the run's"
cmp -s <(grep "dev $VICTIM " "$log" | grep -v "espfleet: host SIGSEGV") <(grep "dev $VICTIM " "$WORK/replay.log" | grep -v "espfleet: host SIGSEGV") ||
  fail "replay: the victim's log (crash record included) differs from the run's"
echo PASS
