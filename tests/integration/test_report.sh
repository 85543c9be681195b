#!/usr/bin/env bash
# tests/integration/test_report.sh — report.html of real runs, opened in a real headless Chromium
# (tests/integration/report_browser.py, through chromedriver): scenarios/heap-pressure.toml, whose
# devices crash (OOM) while its embedded Mosquitto restarts every 30 min, with two heap timelines —
# run whole and as 4 shards merged. In each: no console errors, every chart drawn with data, the
# table's filters, sort and crash links against devices.jsonl, the groups listed, a screenshot in the
# run directory.
# The run's activity series (the connected-over-time chart's data) balances against its summary,
# and the 4 shards' merged series is the whole run's, bin for bin. `espfleet report` rebuilds the
# same page, and names what is missing or damaged in a directory that is not a run.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
# A third of the fleet in a group of its own, with more heap: the page splits by group.
{ cat "$ROOT/scenarios/heap-pressure.toml"; printf '\n[[group]]\nname = "roomy"\ncount = 10\ndevice.heap_bytes = "40K"\n'; } \
  > "$WORK/hp.toml"
common=(run "$WORK/hp.toml" --quiet --timeline 8,15)
"$ESPFLEET" "${common[@]}" --out "$WORK/whole" > "$WORK/whole.out" 2> "$WORK/whole.err" \
  || { cat "$WORK/whole.err"; fail "whole run failed"; }
"$ESPFLEET" "${common[@]}" --shards 4 --out "$WORK/sharded" > "$WORK/sharded.out" 2> "$WORK/sharded.err" \
  || { cat "$WORK/sharded.err" "$WORK"/sharded/logs/* 2>/dev/null; fail "sharded run failed"; }
for r in whole sharded; do
  [ -s "$WORK/$r/report.html" ] || fail "$r: no report.html"
  python3 "$ROOT/tests/integration/report_browser.py" "$WORK/$r" --expect crashes,broker,timelines \
    > "$WORK/$r.browser" || { cat "$WORK/$r.browser"; fail "$r: report.html in Chromium"; }
  [ -s "$WORK/$r/report.png" ] || fail "$r: no screenshot"
done

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "activity series"
import json, os, sys
from itcheck import check, finish
w = sys.argv[1]
s, m = (json.load(open(os.path.join(w, r, "summary.json"))) for r in ("whole", "sharded"))
for name, j in (("whole", s), ("merged", m)):
    a = j["activity"]
    check(a["bin_s"] == 8, "%s: 4 h of device time in 8 s bins (%s)" % (name, a["bin_s"]))
    check(sum(a["up"]) - sum(a["down"]) == j["connected"], "%s: connects - drops = connected at the end" % name)
    check(sum(a["crashes"]) == j["crashes"] > 0, "%s: crashes %d in the series, %d in the summary" % (name, sum(a["crashes"]), j["crashes"]))
    check(sum(a["connect_failures"]) == j["connect_failures"], "%s: failed connects" % name)
    devs = [json.loads(l) for l in open(os.path.join(w, "whole" if name == "whole" else "sharded", "devices.jsonl"))]
    check(sum(a["up"]) == sum(d["connects"] for d in devs), "%s: every MQTT connect is in the series" % name)
    # Every device was connected before the broker's first stop at 1800 s, and the stop drops them all.
    b = int(1800 / a["bin_s"])
    check(sum(a["up"][:b]) - sum(a["down"][:b]) == j["devices"], "%s: all connected before the first restart" % name)
    check(sum(a["down"][b:b + 4]) == j["devices"], "%s: the broker's stop drops every device (%s)" % (name, a["down"][b:b + 4]))
    stops = [e["t_s"] for e in j["events"] if e["what"] == "broker stops"]
    check(stops == [1800.0 * k for k in range(1, 8)], "%s: the broker stops every 30 min: %s" % (name, stops))
check(s["activity"] == m["activity"], "the 4 shards' merged activity is the whole run's, bin for bin")
check(s["events"] == m["events"], "merged events %s" % m["events"][:3])
check(sorted(s["groups"]) == ["default", "roomy"] and s["groups"] == m["groups"], "groups whole and merged: %s" % sorted(m["groups"]))
check(s["groups"]["roomy"]["devices"] == 10, "the roomy group has its 10 devices")
for r in ("whole", "sharded"):
    page = json.loads(open(os.path.join(w, r + ".browser")).read().strip().splitlines()[-1])
    check(page["console_errors"] == [] and page["charts"] >= 8, "%s: %s" % (r, page))
finish()
PY

# `report` rebuilds the page run wrote (the same bytes: the page holds nothing of the moment).
"$ESPFLEET" report "$WORK/whole" --out "$WORK/again.html" > "$WORK/report.out" || fail "espfleet report failed"
cmp -s "$WORK/again.html" "$WORK/whole/report.html" || fail "espfleet report wrote another page than run did"
grep -q "again.html" "$WORK/report.out" || fail "report does not say where it wrote"
# Bad input: not a run directory; a damaged devices.jsonl, named with its line.
mkdir -p "$WORK/empty"
set +e
"$ESPFLEET" report "$WORK/empty" > /dev/null 2> "$WORK/e1"; rc1=$?
cp -r "$WORK/whole" "$WORK/broken" && sed -i '3s/.*/{"id": 2, "state"/' "$WORK/broken/devices.jsonl"
"$ESPFLEET" report "$WORK/broken" > /dev/null 2> "$WORK/e2"; rc2=$?
set -e
[ "$rc1" = 2 ] && grep -q "empty: no summary.json" "$WORK/e1" || { cat "$WORK/e1"; fail "a non-run directory: exit $rc1"; }
[ "$rc2" = 2 ] && grep -q "broken/devices.jsonl:3: not a device record" "$WORK/e2" || { cat "$WORK/e2"; fail "damaged devices.jsonl: exit $rc2"; }
echo "PASS: report.html of a whole and a 4-shard run in Chromium; activity balances and merges exactly"
