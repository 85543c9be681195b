#!/usr/bin/env bash
# tests/integration/test_broker_death.sh — the embedded broker dying mid-run (kill -9) is noticed
# at once: a stderr line with the device time, broker_exited (when, how, signal) in summary.json,
# and a non-zero exit (5); what was measured before is kept. A restart the scenario plans is not
# a death: that run exits 0 with broker_exited null, and every restart's new pid is logged.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 10 --duration 8s --out "$WORK/died" --quiet \
  --set fleet.connect_spread=0s > "$WORK/died.out" 2> "$WORK/died.err" &
RUN=$!
PIDS+=("$RUN")
for _ in $(seq 1 200); do grep -q "devices ready" "$WORK/died.err" 2>/dev/null && break; sleep 0.05; done
B=$(sed -n 's/.*embedded mosquitto pid \([0-9]*\).*/\1/p' "$WORK/died.err" | head -1)
[ -n "$B" ] || { cat "$WORK/died.err"; fail "no broker pid"; }
sleep 3
kill -KILL "$B"
rc=0
wait "$RUN" || rc=$?
cat "$WORK/died.err"
[ "$rc" = 5 ] || fail "the broker's death: exit $rc, expected 5"
grep -qE "\[ *[0-9.]+s\] the embedded mosquitto \(pid $B\) exited unplanned: killed by SIGKILL" "$WORK/died.err" \
  || fail "no stderr line naming the broker's death and its time"
python3 - "$WORK/died" "$B" <<'PY' || fail "summary.json does not record the broker's death"
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
e = s["broker_exited"]
assert e and e["pid"] == int(sys.argv[2]) and e["signal"] == 9 and e["how"] == "killed by SIGKILL", e
assert 2.5 <= e["t_s"] <= 8.5, e
assert s["ever_connected"] == 10 and s["published"] >= 10, (s["ever_connected"], s["published"])  # kept
# The death is on the run's timeline (the report's connected-over-time chart marks it), and every
# device that was connected dropped after it.
assert {"t_s": e["t_s"], "what": "broker exited: killed by SIGKILL", "kind": "broker_exit"} in s["events"], s["events"]
a = s["activity"]
b = int(e["t_s"] // a["bin_s"])
assert sum(a["up"][:b]) - sum(a["down"][:b]) == 10 and sum(a["up"]) - sum(a["down"]) == s["connected"] == 0, a
print("broker_exited:", e, "- connects before it kept:", s["ever_connected"])
PY

# Planned restarts: not deaths.
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 5 --duration 40s --mode fast --out "$WORK/planned" --quiet \
  --set broker.restart_every=10s --set broker.restart_down=2s > "$WORK/planned.out" 2> "$WORK/planned.err" \
  || { cat "$WORK/planned.err"; fail "a run with planned broker restarts failed"; }
[ "$(json_get "$WORK/planned/summary.json" broker_exited)" = None ] || fail "planned restarts reported as a death"
n=$(grep -c "embedded mosquitto restarted, pid [0-9]" "$WORK/planned.err" || true)
python3 - "$WORK/planned/summary.json" <<'PY' || fail "the planned restarts are not the run's events"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert [(x["t_s"], x["what"], x["kind"]) for x in ev] == [
    (10.0, "broker stops", "broker_down"), (12.0, "broker starts", "broker_up"), (20.0, "broker stops", "broker_down"),
    (22.0, "broker starts", "broker_up"), (30.0, "broker stops", "broker_down"), (32.0, "broker starts", "broker_up")], ev
PY
[ "$n" = 3 ] || { cat "$WORK/planned.err"; fail "$n restart pids logged, expected 3"; }
echo PASS
