#!/usr/bin/env bash
# tests/integration/test_link_faults.sh — the link's faults (docs/faults.md) against a real
# embedded Mosquitto, fast mode, devices publishing at QoS 1 so each exchange's time shows in the
# serial log: a link_delay of 800 ms on one group — in its window each publish's two TLS records
# wait for an ACK that comes 800 ms later, each flush giving up after the core's 300 ms (the
# telemetry spacing grows by 0.6 s), and the PUBACK arrives 800 ms after the last record went
# (0.55 s after the publish returns, with the app's 50 ms loop); outside it nothing changes — and
# a tcp_reset of another (each
# device's connection reset at that moment: it reconnects once). The rest are untouched, and a
# second run from the same seed gives every device the same history (digests equal).
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
cat > "$WORK/link.toml" <<'TOML'
[fleet]
devices = 16
mode = "fast"
duration = "120s"
seed = 21
connect_spread = "5s"
[broker]
require_certificate = false
[tls]
client_cert = false
[app]
tele_period = "10s"
[mqtt]
qos = 1
keepalive = "60s"
[[group]]
name = "slow"
count = 4
[[group]]
name = "reset"
count = 4
[[faults]]
kind = "link_delay"
group = "slow"
at = "30s"
duration = "40s"
delay = "800ms"
[[faults]]
kind = "tcp_reset"
group = "reset"
at = "45s"
TOML
for r in a b; do
  "$ESPFLEET" run "$WORK/link.toml" --quiet --out "$WORK/$r" > "$WORK/$r.out" 2> "$WORK/$r.err" \
    || { cat "$WORK/$r.err"; fail "the link-fault run $r failed"; }
done
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "link faults"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
s = json.load(open(os.path.join(w, "a", "summary.json")))
devs = [json.loads(l) for l in open(os.path.join(w, "a", "devices.jsonl"))]
again = [json.loads(l) for l in open(os.path.join(w, "b", "devices.jsonl"))]
check([d["digest"] for d in devs] == [d["digest"] for d in again], "the same seed, the same histories")
ev = [(e["t_s"], e["what"]) for e in s["events"]]
check((30.0, "link delay begins (faults[0], group slow: 4 devices, +800ms)") in ev and (70.0, "link delay ends (faults[0])") in ev
      and (45.0, "TCP connections reset (faults[1], group reset: 4 devices)") in ev, "events: %s" % ev)
LINE = re.compile(r"^\[ *([0-9.]+)\] dev (\d+) (.*)$")
gaps = {}   # dev -> [(publish t, gap to its PUBACK)]
tele = {}   # dev -> [publish t]
drops = {}  # dev -> [t of "MQT: Disconnected"]
pending = {}
for l in open(os.path.join(w, "a", "devices.log")):
    m = LINE.match(l.rstrip("\n"))
    if not m:
        continue
    t, dev, text = float(m.group(1)), int(m.group(2)), m.group(3)
    if text.startswith("MQT: tele/"):
        pending.setdefault(dev, []).append(t)
        tele.setdefault(dev, []).append(t)
    elif text.startswith("MQT: Puback") and pending.get(dev):
        p = pending[dev].pop(0)
        gaps.setdefault(dev, []).append((p, t - p))
    elif text.startswith("MQT: Disconnected"):
        drops.setdefault(dev, []).append(t)
        pending[dev] = []
    elif text == "MQT: Connected":
        pending[dev] = []
by = lambda g: [d for d in devs if d["group"] == g]
for d in by("slow"):
    inside = [g for p, g in gaps.get(d["id"], []) if 30 <= p < 70]
    outside = [g for p, g in gaps.get(d["id"], []) if p < 30 or p >= 71]
    check(inside and all(0.5 <= g < 1.0 for g in inside) and outside and all(g < 0.1 for g in outside),
          "dev %d (link_delay): PUBACK gaps inside %s, outside %s" % (d["id"], inside, outside))
    ts = tele.get(d["id"], [])
    spacing_in = [b - a for a, b in zip(ts, ts[1:]) if 31 <= b < 70]
    spacing_out = [b - a for a, b in zip(ts, ts[1:]) if b < 30 or a >= 72]
    check(spacing_in and all(10.55 <= b < 10.7 for b in spacing_in) and spacing_out and all(b < 10.1 for b in spacing_out),
          "dev %d (link_delay): telemetry every %s s inside (two flushes of 300 ms), %s outside" % (d["id"], spacing_in, spacing_out))
for d in by("reset"):
    check(d["connects"] == 2 and [round(t) for t in drops.get(d["id"], [])] == [45],
          "dev %d (tcp_reset): connects %d, drops at %s" % (d["id"], d["connects"], drops.get(d["id"])))
for d in by("") + by("slow"):
    check(d["connects"] == 1 and not drops.get(d["id"]), "dev %d (%s): one connection throughout (%d, drops %s)" % (d["id"], d["group"] or "default", d["connects"], drops.get(d["id"])))
check(all(d.get("faults") == [1] for d in by("reset")) and all("faults" not in d for d in by("")), "devices.jsonl names each device's faults")
finish()
PY
printf '[fleet]\ndevices = 1\n[[faults]]\nkind = "link_delay"\nat = "2s"\nduration = "2s"\n' > "$WORK/nodelay.toml"
"$ESPFLEET" run "$WORK/nodelay.toml" --quiet --out "$WORK/x" > /dev/null 2> "$WORK/nodelay.err" && fail "a link_delay without delay ran"
grep -q 'nodelay.toml:3:1: a link_delay needs delay' "$WORK/nodelay.err" || fail "no reason: $(cat "$WORK/nodelay.err")"
printf '[fleet]\ndevices = 1\n[[faults]]\nkind = "tcp_reset"\nat = "2s"\ndelay = "1s"\n' > "$WORK/rdelay.toml"
"$ESPFLEET" run "$WORK/rdelay.toml" --quiet --out "$WORK/y" > /dev/null 2> "$WORK/rdelay.err" && fail "a tcp_reset with a delay ran"
grep -q 'faults\[0\].delay.*only a link_delay has delay' "$WORK/rdelay.err" || fail "no reason: $(cat "$WORK/rdelay.err")"
echo "PASS: a link delay and TCP resets, each where and when the scenario says, reproducibly"
