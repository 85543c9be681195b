#!/usr/bin/env bash
# tests/integration/test_thresholds.sh — [thresholds] gate a run: a fleet whose figures meet its
# thresholds exits 0 and lists each as passed; one that misses a threshold exits 7 and names it
# (stderr and summary.json); a threshold on a figure summary.json does not have is refused before
# the run, with a suggestion; per group (groups.NAME.FIGURE) the same, an unknown group refused with
# the scenario's groups listed. Embedded broker, fast mode.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
cat > "$WORK/gate.toml" <<'TOML'
[fleet]
devices = 3
duration = "20s"
mode = "fast"

[thresholds]
crashes = 0
connect_failures = 0
ever_connected = 3
handshake_ms.p99 = "< 5000"
TOML
run() {  # run NAME [args...]: sets RC
  local name="$1"; shift
  set +e
  "$ESPFLEET" run "$WORK/gate.toml" --quiet --out "$WORK/$name" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
  RC=$?
  set -e
}
run pass
[ "$RC" = 0 ] || fail "thresholds met, exit $RC: $(cat "$WORK/pass.err" "$WORK/pass.out")"
grep -q "thresholds         4 passed, 0 failed" "$WORK/pass.out" || fail "table: $(cat "$WORK/pass.out")"
python3 - "$WORK/pass/summary.json" <<'PY' || fail "summary.json thresholds"
import json, sys
t = json.load(open(sys.argv[1]))["thresholds"]
assert [x["threshold"] for x in t] == ["crashes == 0", "connect_failures == 0", "ever_connected == 3",
                                       "handshake_ms.p99 < 5000"], t
assert all(x["passed"] for x in t) and t[2]["value"] == 3, t
print("passing thresholds:", ", ".join("%s (%g)" % (x["threshold"], x["value"]) for x in t))
PY

run fail --set 'thresholds.handshake_ms.p99=< 10'
[ "$RC" = 7 ] || fail "a failed threshold exits 7, got $RC: $(cat "$WORK/fail.err")"
grep -q "espfleet run: a threshold failed: handshake_ms.p99 < 10 (was " "$WORK/fail.err" ||
  fail "stderr does not name the threshold: $(cat "$WORK/fail.err")"
grep -q "FAIL  handshake_ms.p99 < 10" "$WORK/fail.out" || fail "table: $(cat "$WORK/fail.out")"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["thresholds"]; assert [(x["threshold"], x["passed"]) for x in t][-1]==("handshake_ms.p99 < 10", False) and all(x["passed"] for x in t[:-1]), t' \
  "$WORK/fail/summary.json" || fail "summary.json of the failed run"
echo "failing threshold: exit 7, $(tail -1 "$WORK/fail.err")"

run typo --set 'thresholds.handshake.p99=< 10'
[ "$RC" = 2 ] || fail "an unknown figure exits 2, got $RC"
grep -q "thresholds.handshake.p99: no such figure in summary.json (did you mean handshake_ms.p99?)" "$WORK/typo.err" ||
  fail "unknown figure message: $(cat "$WORK/typo.err")"
[ ! -e "$WORK/typo" ] || fail "a refused run left a run directory"
echo "unknown figure refused: $(tail -1 "$WORK/typo.err")"

# Per group: one device at 160 MHz in group "fast", two in none ("default"). The fast device's
# handshake is quicker; a limit between the two groups' times passes for one and fails the other.
cat >> "$WORK/gate.toml" <<'TOML'

[[group]]
name = "fast"
count = 1
device.cpu_mhz = 160
TOML
run groups --set 'thresholds.groups.fast.devices=1' --set 'thresholds.groups.default.ever_connected=2'
[ "$RC" = 0 ] || fail "group thresholds met, exit $RC: $(cat "$WORK/groups.err")"
limit=$(python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["groups"]; f,d=g["fast"]["handshake_ms"]["max"],g["default"]["handshake_ms"]["p50"]; assert f < d, (f, d); print((f + d) // 2)'   "$WORK/groups/summary.json") || fail "the fast group's handshakes are not quicker"
run groupfail --set "thresholds.groups.fast.handshake_ms.p99=< $limit" --set "thresholds.groups.default.handshake_ms.p99=< $limit"
[ "$RC" = 7 ] || fail "a failed group threshold exits 7, got $RC"
grep -q "a threshold failed: groups.default.handshake_ms.p99 < $limit (was " "$WORK/groupfail.err" ||
  fail "stderr does not name the group threshold: $(cat "$WORK/groupfail.err")"
grep -q "pass  groups.fast.handshake_ms.p99 < $limit" "$WORK/groupfail.out" || fail "table: $(cat "$WORK/groupfail.out")"
grep -qE "group fast +1 devices, 1 connected" "$WORK/groupfail.out" || fail "no per-group line: $(cat "$WORK/groupfail.out")"
run grouptypo --set 'thresholds.groups.fsat.crashes=0'
[ "$RC" = 2 ] && grep -q "thresholds.groups.fsat.crashes: no group 'fsat' in this scenario (its groups: fast, default)"   "$WORK/grouptypo.err" || fail "unknown group: exit $RC, $(cat "$WORK/grouptypo.err")"
echo "group thresholds: $(tail -1 "$WORK/groupfail.err")"
echo "PASS"
