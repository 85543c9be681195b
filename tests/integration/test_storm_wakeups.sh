#!/usr/bin/env bash
# tests/integration/test_storm_wakeups.sh — a connect storm in realtime has no late wake-up
# feedback: 400 devices booting at t=0 (quickstart security: CA validation, client certificates,
# the embedded Mosquitto) all connect; wake-ups more than 50 ms late are a small share of all
# wake-ups; and wake-ups per handshake stay below what polling every millisecond of the handshake
# (its device time, p99) would make, twice over — catching up L seconds one poll at a time, as
# before the fix, made tens of thousands per handshake (64 % late). A fleet connecting spread over
# 8 s in the same test is the reference for "all connect". A device of the storm, whose polls went
# on at once while it was behind the wall clock, replays the same as recorded: catching up keeps
# its slice numbering.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
run() {  # DIR SPREAD
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 400 --duration 12s --quiet --out "$WORK/$1" \
    --set fleet.connect_spread="$2" --set app.tele_period=10s > "$WORK/$1.out" 2> "$WORK/$1.err" \
    || { cat "$WORK/$1.err"; fail "espfleet run ($1) failed"; }
}
run storm 0s
run spread 8s
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/storm/summary.json" "$WORK/spread/summary.json" <<'PY' || fail "storm wake-ups"
import json, sys
from itcheck import check, finish
storm, spread = (json.load(open(p)) for p in sys.argv[1:3])
for name, s in (("storm", storm), ("spread", spread)):
    check(s["ever_connected"] == s["devices"] == 400, "%s: all 400 connected (%d)" % (name, s["ever_connected"]))
    check(s["handshakes"] >= 400, "%s: 400 handshakes (%d)" % (name, s["handshakes"]))
h, h0 = storm["host"], spread["host"]
per_hs = h["wakeups"] / storm["handshakes"]
per_hs0 = h0["wakeups"] / spread["handshakes"]
print("storm: %d wake-ups (%d late), %.0f per handshake, %d parks caught up, lag max %.0f ms; spread: %.0f per handshake"
      % (h["wakeups"], h["lagged_wakeups"], per_hs, h.get("caught_up_parks", 0), h["lag_max_ms"], per_hs0))
check(h["lagged_wakeups"] <= 0.10 * h["wakeups"], "late wake-ups %d of %d (at most 10 %%)" % (h["lagged_wakeups"], h["wakeups"]))
bound = 2 * storm["handshake_ms"]["p99"]  # one poll per ms of a slow handshake, twice over
check(per_hs <= bound, "wake-ups per handshake %.0f, at most %d (2 x the p99 handshake's ms)" % (per_hs, bound))
finish()
PY
# The device that ran furthest behind the wall clock: its polls went on at once (a lag of more
# than the 1 ms a poll sleeps).
read -r dev lag < <(python3 -c 'import json,sys; d=max((json.loads(l) for l in open(sys.argv[1])), key=lambda x: x["lag_max_ms"]); print(d["id"], d["lag_max_ms"])' "$WORK/storm/devices.jsonl")
[ "$lag" -gt 1 ] || fail "no storm device ran behind the wall clock (worst lag ${lag} ms): nothing caught up to replay"
"$ESPFLEET" replay "$WORK/storm" --device "$dev" > "$WORK/replay.txt" 2>&1 || { cat "$WORK/replay.txt"; fail "replay of storm device $dev"; }
grep -q "same as recorded" "$WORK/replay.txt" || { cat "$WORK/replay.txt"; fail "storm device $dev replays differently"; }
echo PASS
