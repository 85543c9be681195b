#!/usr/bin/env bash
# tests/integration/test_observer_backlog.sh — the delivery observer is never where messages are
# lost (docs/faults.md, "Delivery"): 1,200 devices publish at QoS 1 while the observer is away for
# 50 s (observer_outage) and the real embedded Mosquitto stays up. The broker keeps at most
# max_queued_messages (1,000) for an offline session, counting what was still in flight to the
# observer when it went, so of the 6,000 published meanwhile at least the rest are lost, and lost
# to the outage. When the observer is back the broker sends it that backlog while the fleet goes
# on publishing, 1,200 messages at each telemetry tick: a 3.1.1 subscriber gets 20 in flight and
# 1,000 queued beyond, and Mosquitto drops the live messages past that — losses no fault explains,
# as in the soak's connect storms. The observer takes everything in flight (MQTT 5 receive
# maximum), so nothing is lost that way. The counts are made here from the devices' serial logs.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
cat > "$WORK/backlog.toml" <<'TOML'
[fleet]
devices = 1200
mode = "fast"
duration = "80s"
seed = 11
connect_spread = "5s"
observe = true
[tls]
enabled = false
[app]
tele_period = "10s"
[mqtt]
qos = 1
[[faults]]
kind = "observer_outage"
at = "15s"
duration = "50s"
TOML
"$ESPFLEET" run "$WORK/backlog.toml" --quiet --out "$WORK/run" > "$WORK/run.out" 2> "$WORK/run.err" \
  || { cat "$WORK/run.err"; fail "the run failed"; }

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/run" <<'PY' || fail "the observer's backlog"
import json, os, sys
from itcheck import check, finish, serial_log
run = sys.argv[1]
s = json.load(open(os.path.join(run, "summary.json")))
log = serial_log(run)
pubs = [t for lines in log.values() for t, text in lines if text.startswith("MQT: tele/") or text.startswith("MQT: stat/")]
away = sum(1 for t in pubs if 15 <= t < 65)
dl = s["delivery"]
check(dl["published"] == len(pubs), "published %d, the serial logs say %d" % (dl["published"], len(pubs)))
check(away > 5000, "published while the observer was away: %d (want well over the broker's queue)" % away)
check(list(dl["lost_by_fault"]) == ["faults[0]"] and away - 1000 <= dl["lost"] <= away,
      "lost only to the outage, at least what Mosquitto's offline queue (1,000) could not hold of the %d published into it: lost %d %s" % (away, dl["lost"], dl["lost_by_fault"]))
check(dl["delivered"] == dl["published"] - dl["lost"], "delivery balances: %s" % dl)
print("%d published while the observer was away, %d of them kept for it by the broker; %d of %d delivered" % (away, away - dl["lost"], dl["delivered"], dl["published"]))
finish()
PY
