#!/usr/bin/env bash
# tests/integration/test_qos1_persistence.sh — QoS 1 through a kill -9 of a real embedded
# Mosquitto, with and without broker.persistence (docs/faults.md, "Persistence and QoS 1"). The
# devices publish at QoS 1 (mqtt.qos); the backend (the delivery observer) is away from 20 s to
# 60 s (observer_outage), so the broker queues what arrives for its persistent session; the broker
# is killed at 40 s and started again at 45 s. With persistence every message the broker
# acknowledged before the kill reaches the observer after it; without, exactly the acknowledged
# messages queued for the observer are lost to the kill, and those published after the restart
# (nobody subscribed: the session died with the broker) to the outage. The counts are made here
# from the devices' serial logs (each "MQT: Puback" acknowledges the oldest publish of its
# connection), independently of the run's accounting. Bad combinations are refused by name.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
scenario='[fleet]
devices = 20
mode = "fast"
duration = "90s"
seed = 7
connect_spread = "5s"
observe = true
[broker]
require_certificate = false
persistence = PERSIST
[tls]
client_cert = false
[app]
tele_period = "10s"
[mqtt]
qos = 1
[[faults]]
kind = "observer_outage"
at = "20s"
duration = "40s"
[[faults]]
kind = "broker_kill"
at = "40s"
duration = "5s"
'
for p in true false; do
  printf '%s' "${scenario/PERSIST/$p}" > "$WORK/$p.toml"
  "$ESPFLEET" run "$WORK/$p.toml" --quiet --out "$WORK/$p" > "$WORK/$p.out" 2> "$WORK/$p.err" \
    || { cat "$WORK/$p.err"; fail "the run with persistence = $p failed"; }
done
grep -q "^persistence true" "$WORK/true/broker/mosquitto.conf" && [ -s "$WORK/true/broker/mosquitto.db" ] \
  || fail "persistence on: no mosquitto.db next to a config that asks for it"
grep -q "^persistence false" "$WORK/false/broker/mosquitto.conf" || fail "persistence off: the config says otherwise"

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "QoS 1 and persistence"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
LINE = re.compile(r"^\[ *([0-9.]+)\] dev (\d+) MQT: (.*)$")

def from_logs(run):
    """Per device: [(t, acked)] for every publish, from the serial log alone."""
    pubs, cursor = {}, {}
    for l in open(os.path.join(w, run, "devices.log")):
        m = LINE.match(l.rstrip("\n"))
        if not m:
            continue
        t, dev, text = float(m.group(1)), int(m.group(2)), m.group(3)
        mine = pubs.setdefault(dev, [])
        if text == "Connected":
            cursor[dev] = len(mine)
        elif text.startswith("tele/") or text.startswith("stat/"):
            mine.append([t, False])
        elif text.startswith("Puback "):
            check(cursor.get(dev, len(mine)) < len(mine), "dev %d: a PUBACK with nothing outstanding at %.3f" % (dev, t))
            if cursor.get(dev, len(mine)) < len(mine):
                mine[cursor[dev]][1] = True
                cursor[dev] += 1
    return pubs

def load(run):
    s = json.load(open(os.path.join(w, run, "summary.json")))
    devs = [json.loads(l) for l in open(os.path.join(w, run, "devices.jsonl"))]
    return s, devs

for run in ("true", "false"):
    s, devs = load(run)
    ev = [(e["t_s"], e["what"]) for e in s["events"]]
    check(ev == [(20.0, "observer disconnects (faults[0])"), (40.0, "broker killed (SIGKILL) (faults[1])"),
                 (45.0, "broker starts (faults[1])"), (60.0, "observer reconnects (faults[0])")],
          "%s: events %s" % (run, ev))
    check(s["connected"] == 20 and s["crashes"] == 0, "%s: all 20 back after the kill, no crash" % run)
    pubs = from_logs(run)
    dl = s["delivery"]
    total = sum(len(v) for v in pubs.values())
    acked = sum(a for v in pubs.values() for _, a in v)
    check(dl["published"] == total and dl["acknowledged"] == acked,
          "%s: published %d / acknowledged %d, the logs say %d / %d" % (run, dl["published"], dl["acknowledged"], total, acked))
    check(acked == total, "%s: the broker acknowledged every publish (%d of %d)" % (run, acked, total))
    check(dl["delivered"] + dl["lost"] == dl["published"], "%s: delivery balances: %s" % (run, dl))
    lat = dl["latency_ms"]
    check(lat["count"] == dl["delivered"] and 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"],
          "%s: a latency for every delivered message, in order: %s" % (run, lat))
    for d in devs:
        mine = pubs.get(d["id"], [])
        check(d["delivery"]["acknowledged"] == sum(a for _, a in mine),
              "%s: dev %d acknowledged %d, its log %d" % (run, d["id"], d["delivery"]["acknowledged"], sum(a for _, a in mine)))
    queued = sum(1 for v in pubs.values() for t, a in v if a and 20 <= t < 40)
    after = sum(1 for v in pubs.values() for t, a in v if a and 45 <= t < 60)
    check(queued >= 20 and after >= 10, "%s: acknowledged while the observer was away: %d before the kill, %d after" % (run, queued, after))
    if run == "true":
        check(dl["acknowledged_lost"] == 0 and dl["lost"] == 0,
              "persistence on: every acknowledged message reached the observer after the kill: %s" % dl)
        print("persistence on: %d acknowledged before the kill while the observer was away, all delivered; %d duplicates (QoS 1 is at least once)" % (queued, dl["duplicated"]))
    else:
        check(dl["acknowledged_lost"] == queued + after and dl["lost"] == queued + after,
              "persistence off: lost %d (acknowledged %d), the logs say %d queued before the kill + %d after it" % (dl["lost"], dl["acknowledged_lost"], queued, after))
        check(dl["lost_by_fault"] == {"faults[1]": queued, "faults[0]": after},
              "persistence off: the queue lost to the kill, the rest to the outage: %s (want %d, %d)" % (dl["lost_by_fault"], queued, after))
        check(dl["duplicated"] == 0, "persistence off: nothing sent twice (%d)" % dl["duplicated"])
        print("persistence off: %d lost with the broker's queue, %d published to no session" % (queued, after))
finish()
PY

# What cannot be, refused before the run and by name.
refused noobs '[fleet]\ndevices = 1\nduration = "10s"\n[[faults]]\nkind = "observer_outage"\nat = "2s"\nduration = "2s"\n' "faults\[0\]: an observer_outage .* needs fleet.observe = true" "an observer_outage without fleet.observe"
refused frac '[fleet]\ndevices = 1\nobserve = true\n[[faults]]\nkind = "observer_outage"\nat = "2s"\nduration = "2s"\nfraction = 0.5\n' "faults\[0\].fraction.*the observer's outage has no target devices" "an observer_outage with a fraction"
refused ext '[fleet]\ndevices = 1\n[tls]\nenabled = false\n[broker]\npersistence = true\nurl = "mqtt://127.0.0.1:1"\n' "broker.persistence: acts on the embedded broker" "broker.persistence with a broker of the user's"
refused qos2 '[fleet]\ndevices = 1\n[mqtt]\nqos = 2\n' "mqtt.qos = 2" "mqtt.qos = 2"
echo "PASS: QoS 1 acknowledged messages survive a kill -9 with persistence and are accounted lost without it"
