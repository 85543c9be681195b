#!/usr/bin/env bash
# tests/integration/test_heap_pressure.sh — scenarios/heap-pressure.toml against the embedded
# Mosquitto, which the run stops and restarts every 30 min of device time:
# (a) devices crash (OOM) and every crash has a consistent heap map;
# (b) with the run's broker gone, `espfleet replay` of 3 crashed devices, twice each, gives the
#     recorded crash digests and final digest, and the device's log (crash records included) is
#     line for line the one the run wrote;
# (c) a second run with the same seed gives every device the same digest;
# (d) replay --until-crash --trace-heap writes a trace `espfleet heap` replays to the same failed
#     allocation; --timeline marks the crash; --stop-at before the crash sees none.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

run_fleet() {  # DIR [ARGS]
  local dir="$1"; shift
  "$ESPFLEET" run "$ROOT/scenarios/heap-pressure.toml" --out "$dir" --quiet "$@" > "$dir.out" 2> "$dir.err" ||
    { cat "$dir.err"; fail "espfleet run $dir failed"; }
}
run_fleet "$WORK/a" --timeline all
grep -q "broker stops" "$WORK/a/devices.log" || fail "the broker was never restarted"
broker_pid=$(sed -n 's/.*embedded mosquitto pid \([0-9]*\).*/\1/p' "$WORK/a.err")
[ -n "$broker_pid" ] || fail "no broker pid in the run's output"
if kill -0 "$broker_pid" 2>/dev/null; then fail "the run's broker (pid $broker_pid) is still running"; fi

# (a) crashes, their counts, their maps.
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/a" > "$WORK/crashed.txt" <<'PY' || fail "crashes or heap maps not as expected"
import json, os, sys
from itcheck import check, check_heap_maps, finish
run = sys.argv[1]
devs = [json.loads(l) for l in open(os.path.join(run, "devices.jsonl"))]
summary = json.load(open(os.path.join(run, "summary.json")))
crashed = [d for d in devs if d["crashes"] > 0]
check(3 <= len(crashed) < len(devs), "a fraction of the fleet crashes (%d of %d)" % (len(crashed), len(devs)))
total = sum(d["crashes"] for d in devs)
check(summary.get("crashes_by_reason") == {"oom_254": total}, "summary counts %d OOM crashes: %s" % (total, summary.get("crashes_by_reason")))
check(summary.get("crashed_devices") == [d["id"] for d in crashed], "summary lists the crashed devices")
for d in crashed:
    check(d["boots"] == d["crashes"] + 1, "dev %d rebooted after each crash" % d["id"])
    check(len(d["crash_digests"]) == d["crashes"], "dev %d: a digest per crash" % d["id"])
    check(all(r.startswith("Unhandled C++ exception: OOM") for r in d["crash_reasons"]), "dev %d: OOM" % d["id"])
n = check_heap_maps(run)
check(n == total, "%d maps for %d crashes" % (n, total))
for d in devs:  # --timeline all: each device's timeline, its crashes marked
    svg = open(os.path.join(run, "heap", "%d-timeline.svg" % d["id"])).read()
    check(svg.count('class="mark crash') == d["crashes"], "dev %d: timeline marks %d crashes" % (d["id"], d["crashes"]))
    csv = open(os.path.join(run, "heap", "%d-timeline.csv" % d["id"])).read().splitlines()
    rows = [l.split(",") for l in csv[1:] if not l.startswith("#")]
    check(csv[0] == "t_s,free_min,max_block_min,frag_max" and len(rows) > 100, "dev %d: timeline CSV" % d["id"])
    check(min(int(r[1]) for r in rows) == d["heap_free_min"], "dev %d: the timeline's low is heap_free_min" % d["id"])
print(" ".join(str(d["id"]) for d in crashed[:3]))
finish()
PY
read -r -a picks < "$WORK/crashed.txt"
[ "${#picks[@]}" = 3 ] || fail "expected 3 crashed devices to replay, got: ${picks[*]}"

# (b) replay, twice each, broker gone.
for id in "${picks[@]}"; do
  for k in 1 2; do
    "$ESPFLEET" replay "$WORK/a" --device "$id" --log "$WORK/replay-$id-$k.log" > "$WORK/replay-$id-$k.out" ||
      { cat "$WORK/replay-$id-$k.out"; fail "replay of device $id (pass $k) failed or differs from the recording"; }
  done
  # Both passes alike, but for the log path they were given.
  cmp -s <(grep -v '^command:\|^end:' "$WORK/replay-$id-1.out") <(grep -v '^command:\|^end:' "$WORK/replay-$id-2.out") ||
    fail "device $id: two replays print different results"
  cmp -s "$WORK/replay-$id-1.log" "$WORK/replay-$id-2.log" || fail "device $id: two replays log differently"
  grep -q "^recorded: same as recorded$" "$WORK/replay-$id-1.out" || fail "device $id: replay not compared equal"
  grep -q "^crash: Unhandled C++ exception: OOM" "$WORK/replay-$id-1.out" || fail "device $id: replay shows no crash"
  grep -q "^seed: fleet 7, device 0x" "$WORK/replay-$id-1.out" || fail "device $id: replay prints no seed"
  grep -q "^command: espfleet replay .* --device $id" "$WORK/replay-$id-1.out" || fail "device $id: replay prints no command line"
  PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" "$id" <<'PY' || fail "device $id: replay does not match the run"
import json, os, re, sys
from itcheck import check, finish
work, dev = sys.argv[1], int(sys.argv[2])
rec = next(d for d in (json.loads(l) for l in open(os.path.join(work, "a", "devices.jsonl"))) if d["id"] == dev)
out = open(os.path.join(work, "replay-%d-1.out" % dev)).read()
check(re.findall(r"^digest: ([0-9a-f]{16})$", out, re.M) == [rec["digest"]], "final digest %s" % rec["digest"])
check(re.findall(r"^crash: .*digest ([0-9a-f]{16})\)$", out, re.M) == rec["crash_digests"], "crash digests %s" % rec["crash_digests"])
mine = lambda path: [l for l in open(path) if " dev %d " % dev in l]
live, again = mine(os.path.join(work, "a", "devices.log")), mine(os.path.join(work, "replay-%d-1.log" % dev))
check(len(live) > 50 and live == again, "the device's log, %d lines, is the run's %d lines" % (len(again), len(live)))
records = [l for l in live if "Unhandled C++ exception: OOM" in l and "reset reason" not in l]
check(len(records) >= rec["crashes"], "the log holds the crash records")
check(any("last failed alloc call:" in l for l in live), "the records name the last failed allocation")
finish()
PY
done

# (c) the same seed again: the same history for every device.
run_fleet "$WORK/b" --max-heap-maps 2 --no-tapes
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "the same seed gave different device histories"
import json, os, sys
from itcheck import check, finish
load = lambda r: [json.loads(l) for l in open(os.path.join(sys.argv[1], r, "devices.jsonl"))]
a, b = load("a"), load("b")
check(len(a) == len(b) == 30, "30 devices twice")
for x, y in zip(a, b):
    check(x["digest"] == y["digest"] and x["crash_digests"] == y["crash_digests"],
          "dev %d: digest %s vs %s" % (x["id"], x["digest"], y["digest"]))
check(len({x["digest"] for x in a}) == len(a), "every device has its own history")
sb = json.load(open(os.path.join(sys.argv[1], "b", "summary.json")))
crashes = sum(x["crashes"] for x in b)
maps = [f for f in os.listdir(os.path.join(sys.argv[1], "b", "heap")) if "-crash-" in f and f.endswith(".svg")]
check(sb["heap_maps_written"] == 2 == len(maps) and sb["heap_maps_skipped"] == crashes - 2,
      "--max-heap-maps 2: %d written, %d skipped of %d" % (len(maps), sb["heap_maps_skipped"], crashes))
check(sb["tapes"] == "" and not os.path.exists(os.path.join(sys.argv[1], "b", "tapes")), "--no-tapes keeps no tapes")
finish()
PY

# (d) the first crash, its allocation trace and timeline; a stop before it.
id="${picks[0]}"
"$ESPFLEET" replay "$WORK/a" --device "$id" --until-crash --trace-heap "$WORK/t.trace" --timeline "$WORK/t.svg" \
  --heap-map "$WORK/m.svg" --log "$WORK/uc.log" > "$WORK/uc.out" || fail "replay --until-crash failed"
# The replay's heap map at the crash is the run's: same figures, same owners, same blocks.
strip_title() { grep -v 'font-size="14" font-weight="bold"' "$1"; }   # the title line names who wrote it
cmp -s <(strip_title "$WORK/m.svg") <(strip_title "$WORK/a/heap/$id-crash-1.svg") ||
  fail "replay --heap-map at the crash differs from the run's heap/$id-crash-1.svg"
[ "$(grep -c '^crash:' "$WORK/uc.out")" = 1 ] || fail "--until-crash: not exactly one crash"
crash_s=$(sed -n 's/^crash: .* at \([0-9.]*\) s, digest.*/\1/p' "$WORK/uc.out")
size=$(sed -n 's/^crash: .*last failed alloc size \([0-9]*\)).*/\1/p' "$WORK/uc.out")
[ -n "$crash_s" ] && [ -n "$size" ] || fail "cannot read the crash line: $(cat "$WORK/uc.out")"
heap_bytes=$(sed -n 's/.*heap \([0-9]*\) bytes.*/\1/p' "$WORK/t.trace" | head -1)
"$ESPFLEET" heap --heap-bytes "$heap_bytes" "$WORK/t.trace" > "$WORK/t.jsonl" 2> "$WORK/t.err" ||
  { cat "$WORK/t.err"; fail "espfleet heap cannot replay the trace"; }
last=$(tail -1 "$WORK/t.jsonl")
echo "$last" | grep -q '"ok": *false' || fail "the trace's last request should fail: $last"
python3 - "$last" "$size" <<'PY' || fail "the trace's failed request is not the crash's"
import json, sys
j, size = json.loads(sys.argv[1]), int(sys.argv[2])
sys.exit(0 if j["max_block"] < size else 1)
PY
grep -v '^#' "$WORK/t.trace" | tail -1 | grep -q "FAILED" || fail "trace: the failed allocation is not marked"
grep -q '^malloc app\.[0-9]* [0-9]*  # t=[0-9.]* heap_workload.cpp:[0-9]*$' "$WORK/t.trace" || fail "trace: no owner-tagged workload line"
grep -q 'class="mark crash' "$WORK/t.svg" || fail "timeline: no crash mark"
before=$(python3 -c "print(max(1, int(float('$crash_s')) - 60))")
"$ESPFLEET" replay "$WORK/a" --device "$id" --stop-at "${before}s" --log "$WORK/sa.log" > "$WORK/sa.out" || fail "replay --stop-at failed"
if grep -q '^crash:' "$WORK/sa.out"; then fail "--stop-at ${before}s still crashed"; fi
echo "ok: devices ${picks[*]} replayed"

# (e) a tape that is not what the device saw is caught, and bad input is named.
cp -r "$WORK/a" "$WORK/c"
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/c/tapes/$id.tape" <<'PY'
import sys
from itcheck import tape_events
p = sys.argv[1]
ev = tape_events(p)
big = [e for e in ev if e[0] == 2 and len(e[5]) > 1000]   # the broker's handshake flights
assert len(big) >= 2, "no handshake flight on the tape"
b = bytearray(open(p, "rb").read())
e = big[len(big) // 2]
b[e[6] + len(e[5]) // 2] ^= 0x40   # one bit of the broker's certificate, mid-run
open(p, "wb").write(bytes(b))
PY
set +e
"$ESPFLEET" replay "$WORK/c" --device "$id" --log "$WORK/c.log" > "$WORK/c.out" 2> "$WORK/c.err"; rc=$?
set -e
[ "$rc" = 3 ] || fail "a damaged tape did not make the device leave it (rc $rc)"
grep -q "left its tape" "$WORK/c.err" || fail "a damaged tape gives no reason"
# A tape cut mid-event is named, never a crash of the replayer.
python3 -c "import sys; p=sys.argv[1]; b=open(p,'rb').read(); open(p,'wb').write(b[:len(b)-7])" "$WORK/c/tapes/$id.tape"
set +e
"$ESPFLEET" replay "$WORK/c" --device "$id" --log "$WORK/c2.log" > /dev/null 2> "$WORK/c2.err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "cut short" "$WORK/c2.err" || fail "a truncated tape: rc $rc, $(cat "$WORK/c2.err")"
set +e
"$ESPFLEET" replay "$WORK/a" --device 30 > /dev/null 2> "$WORK/e1.err"; rc1=$?
"$ESPFLEET" replay "$WORK/nowhere" --device 1 > /dev/null 2> "$WORK/e2.err"; rc2=$?
set -e
[ "$rc1" = 2 ] && grep -q "devices 0..29" "$WORK/e1.err" || fail "device out of range: rc $rc1, $(cat "$WORK/e1.err")"
[ "$rc2" = 2 ] && grep -q "nowhere" "$WORK/e2.err" || fail "missing run dir: rc $rc2, $(cat "$WORK/e2.err")"
echo "ok: damaged tape rc $rc: $(cat "$WORK/c.err")"
