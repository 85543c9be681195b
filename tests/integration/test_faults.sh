#!/usr/bin/env bash
# tests/integration/test_faults.sh — the scenario's [[faults]] against a real embedded Mosquitto,
# fast mode: a kill -9 of the broker (restarted 20 s later), a 40 s stall (SIGSTOP/SIGCONT) and a
# power cycle of a quarter of the fleet; then a 60 s partition of one group. Every device
# reconnects after each broker fault (Mosquitto's own log shows each client id back), the run's
# events say what happened when, its activity series shows the drops, nothing is a crash; the
# partitioned group's keepalive fails and it reconnects after the partition while the rest are
# untouched, and a partitioned device replays to its recorded digest. The delivery observer
# (fleet.observe) balances what arrived against what the devices published: after the partition,
# exactly the messages its devices published into it (counted from their serial logs) are lost. A broker fault asked of a
# broker of the user's is refused, naming the entry.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
common='[fleet]
devices = 20
mode = "fast"
seed = 5
connect_spread = "5s"
observe = true
[broker]
require_certificate = false
[tls]
client_cert = false
[app]
tele_period = "10s"
[mqtt]
keepalive = "30s"
'
printf '%s\n[[faults]]\nkind = "broker_kill"\nat = "30s"\nduration = "20s"\n[[faults]]\nkind = "broker_stall"\nat = "70s"\nduration = "40s"\n[[faults]]\nkind = "power_cycle"\nat = "15s"\nfraction = 0.25\n' \
  "$common" | sed 's/^mode = "fast"$/mode = "fast"\nduration = "150s"/' > "$WORK/broker.toml"
"$ESPFLEET" run "$WORK/broker.toml" --quiet --out "$WORK/broker" > "$WORK/broker.out" 2> "$WORK/broker.err" \
  || { cat "$WORK/broker.err"; fail "the broker-fault run failed"; }
grep -q "embedded mosquitto started after kill -9 (faults\[0\]), pid" "$WORK/broker.err" || fail "no restart line: $(cat "$WORK/broker.err")"

printf '%s\n[[group]]\nname = "cut"\ncount = 5\n[[faults]]\nkind = "partition"\nat = "30s"\nduration = "60s"\ngroup = "cut"\n' \
  "$common" | sed 's/^mode = "fast"$/mode = "fast"\nduration = "150s"/' > "$WORK/part.toml"
"$ESPFLEET" run "$WORK/part.toml" --quiet --out "$WORK/part" > "$WORK/part.out" 2> "$WORK/part.err" \
  || { cat "$WORK/part.err"; fail "the partition run failed"; }

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "faults"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
def load(r):
    return json.load(open(os.path.join(w, r, "summary.json"))), [json.loads(l) for l in open(os.path.join(w, r, "devices.jsonl"))]
s, devs = load("broker")
ev = [(e["t_s"], e["what"]) for e in s["events"]]
check(ev[:5] == [(15.0, "power cycle (faults[2], %d devices)" % sum(d["boots"] == 2 for d in devs)),
                 (30.0, "broker killed (SIGKILL) (faults[0])"), (50.0, "broker starts (faults[0])"),
                 (70.0, "broker stalled (SIGSTOP) (faults[1])"), (110.0, "broker resumes (SIGCONT) (faults[1])")],
      "events: %s" % ev)
check(s["broker_exited"] is None and s["crashes"] == 0, "a planned kill is not a death, a power cycle not a crash")
check(s["connected"] == 20, "all 20 connected at the end (%d)" % s["connected"])
cycled = [d for d in devs if d["boots"] == 2]
check(2 <= len(cycled) <= 10, "about a quarter of the fleet power-cycled (%d)" % len(cycled))
for d in devs:
    # boot, after the kill, after the stall (+1 after a power cycle)
    want = 3 + (d["boots"] - 1)
    check(d["connects"] == want, "dev %d: %d connects, expected %d" % (d["id"], d["connects"], want))
# Mosquitto's own log: every client came back after each fault.
log = open(os.path.join(w, "broker", "broker", "mosquitto.log")).read()
for d in devs:
    n = len(re.findall(r"New client connected from \S+ as %s " % d["client_id"], log))
    check(n == d["connects"], "%s: connected %d times in mosquitto.log, %d by the device" % (d["client_id"], n, d["connects"]))
a = s["activity"]
def online_at(t):
    b = int(t // a["bin_s"])
    return sum(a["up"][:b]) - sum(a["down"][:b])
check(online_at(29) == 20 and online_at(45) == 0 and online_at(69) == 20, "the kill drops all, the restart brings all back: %d %d %d" % (online_at(29), online_at(45), online_at(69)))
check(online_at(150) == 20, "all back after the stall")
dl = s["delivery"]
check(dl["published"] == sum(d["published"] for d in devs) and dl["delivered"] + dl["lost"] == dl["published"]
      and dl["duplicated"] == 0, "delivery balances across a kill and a stall: %s" % dl)
check(set(dl["lost_by_fault"]) <= {"faults[0]", "faults[1]"}, "what was lost was lost to the faults: %s" % dl["lost_by_fault"])

s, devs = load("part")
cut = [d for d in devs if d["group"] == "cut"]
rest = [d for d in devs if d["group"] != "cut"]
check(len(cut) == 5, "5 devices in the partitioned group")
for d in cut:
    check(d["connects"] == 2 and d["connect_failures"] >= 1 and set(d["tls_errors"]) == {"-1002"},
          "dev %d (partitioned): %d connects, failures %s" % (d["id"], d["connects"], d["tls_errors"]))
for d in rest:
    check(d["connects"] == 1 and d["connect_failures"] == 0, "dev %d (untouched): %d connects, %d failures" % (d["id"], d["connects"], d["connect_failures"]))
check(min(d["published"] for d in rest) > max(d["published"] for d in cut), "the partitioned devices published less")
ev = [(e["t_s"], e["what"]) for e in s["events"]]
check(ev == [(30.0, "partition begins (faults[0], group cut: 5 devices)"), (90.0, "partition ends (faults[0])")], "events: %s" % ev)
a = s["activity"]
check(sum(a["down"][30:90]) == 5 and sum(a["up"][90:100]) == 5, "5 drop in the partition and come back after it")
# Delivery: exactly the messages the partitioned devices published into the partition are lost,
# counted here from their serial logs; the broker's wills for the 5 it dropped are its own.
lines = list(open(os.path.join(w, "part", "devices.log")))
def published_between(dev, a, b):
    n = 0
    for l in lines:
        m = re.match(r"\[\s*([0-9.]+)\] dev (\d+) MQT: (tele|stat)/", l)
        if m and int(m.group(2)) == dev and a <= float(m.group(1)) < b:
            n += 1
    return n
into = {d["id"]: published_between(d["id"], 30, 90) for d in cut}
check(all(n > 0 for n in into.values()), "the partitioned devices published into it: %s" % into)
for d in cut:
    check(d["delivery"]["lost"] == into[d["id"]] and d["delivery"]["delivered"] == d["published"] - into[d["id"]],
          "dev %d: lost %s, published into the partition %d" % (d["id"], d["delivery"], into[d["id"]]))
for d in rest:
    check(d["delivery"] == {"published": d["published"], "acknowledged": 0, "delivered": d["published"], "lost": 0,
                            "acknowledged_lost": 0, "duplicated": 0},
          "dev %d (untouched): %s" % (d["id"], d["delivery"]))
dl = s["delivery"]
check(dl["lost"] == sum(into.values()) and dl["lost_by_fault"] == {"faults[0]": sum(into.values())},
      "lost %d, by fault %s; published into the partition %d" % (dl["lost"], dl["lost_by_fault"], sum(into.values())))
check(dl["unmatched"] == 5 and dl["duplicated"] == 0, "the broker's 5 wills, no duplicate: %s" % dl)
log = [l for l in open(os.path.join(w, "part", "devices.log")) if " dev %d " % cut[0]["id"] in l]
drop = [l for l in log if "Disconnected" in l]
check(drop and 30 < float(drop[0].split("]")[0].strip("[ ")) < 90, "the keepalive fails inside the partition: %s" % drop[:1])
finish()
PY

# A partitioned device's history again, from its seed and tape.
"$ESPFLEET" replay "$WORK/part" --device 0 > "$WORK/replay.out" 2>&1 || { cat "$WORK/replay.out"; fail "replay failed"; }
grep -q "recorded: same as recorded" "$WORK/replay.out" || { cat "$WORK/replay.out"; fail "replay of a partitioned device differs"; }

set +e
"$ESPFLEET" run "$WORK/broker.toml" --quiet --broker 127.0.0.1:1 --set tls.enabled=false --out "$WORK/users" > /dev/null 2> "$WORK/users.err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "faults\[0\]: a broker_kill acts on the embedded broker" "$WORK/users.err" ||
  { cat "$WORK/users.err"; fail "broker faults with --broker: exit $rc"; }
echo "PASS: kill -9, stall, power cycle and a partition, each seen by the devices, the broker's log and the run's events"
