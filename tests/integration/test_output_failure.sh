#!/usr/bin/env bash
# tests/integration/test_output_failure.sh — one output that cannot be written loses nothing
# else: the summary and the device records are written first, a tape that fails is named with
# the system's reason (errno text) on stderr and in summary.json's output_errors, the other tapes
# are kept (and replay), and the exit status says the outputs are incomplete (6).
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 6 --duration 4s --out "$WORK/run" --quiet \
  --set fleet.connect_spread=0s > "$WORK/run.out" 2> "$WORK/run.err" &
RUN=$!
PIDS+=("$RUN")
for _ in $(seq 1 200); do grep -q "devices ready" "$WORK/run.err" 2>/dev/null && break; sleep 0.05; done
# Where device 3's tape goes, something that cannot be replaced by a file.
mkdir -p "$WORK/run/tapes/3.tape/in-the-way"
rc=0
wait "$RUN" || rc=$?
cat "$WORK/run.err"
[ "$rc" = 6 ] || fail "a tape that cannot be written: exit $rc, expected 6"
grep -q "tapes/3.tape: cannot write: Is a directory" "$WORK/run.err" || fail "the failed tape is not named with its reason"
python3 - "$WORK/run" <<'PY' || fail "the outputs around the failed tape"
import json, os, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
devs = [json.loads(l) for l in open(d + "/devices.jsonl")]
assert len(devs) == 6 and s["devices"] == 6, (len(devs), s["devices"])
assert any("tapes/3.tape: cannot write: Is a directory" in e for e in s["output_errors"]), s["output_errors"]
tapes = sorted(f for f in os.listdir(d + "/tapes") if f.endswith(".tape") and os.path.isfile(d + "/tapes/" + f))
assert tapes == ["0.tape", "1.tape", "2.tape", "4.tape", "5.tape"], tapes
print("kept:", len(devs), "device records, tapes", tapes, "- output_errors:", s["output_errors"])
PY
# Every kept tape replays — including a device whose last slice, started before the end of the
# realtime run, finished after it.
for dev in 0 1 2 4 5; do
  "$ESPFLEET" replay "$WORK/run" --device $dev > "$WORK/replay.out" 2>&1 || { cat "$WORK/replay.out"; fail "device $dev does not replay"; }
  grep -q "recorded: same as recorded" "$WORK/replay.out" || { cat "$WORK/replay.out"; fail "device $dev's replay differs"; }
done
echo PASS
