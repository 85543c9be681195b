#!/usr/bin/env bash
# tests/integration/test_link_faults.sh — the link's faults (docs/faults.md) against a real
# embedded Mosquitto, fast mode, devices publishing at QoS 1 so each exchange's time shows in the
# serial log: a link_delay of 800 ms on one group — in its window each publish's two TLS records
# wait for an ACK that comes 800 ms later, each flush giving up after the core's 300 ms (the
# telemetry spacing grows by 0.6 s), and the PUBACK arrives 800 ms after the last record went
# (0.55 s after the publish returns, with the app's 50 ms loop); outside it nothing changes — and
# a tcp_reset of another (each
# device's connection reset at that moment: it reconnects once); a packet_loss of 30 % on a third
# from 30 s to 90 s — a publish whose record or PUBACK was lost is acknowledged after lwIP's
# retransmission timeout (1.5 s once it has measured the round trip, doubled at each retry) or the
# broker's (250 ms), so its PUBACK comes late, but every one comes and the connection stays; and a
# bandwidth cap of 32 kbit/s on a fourth for its first minute — its TLS handshake takes the time
# its bytes need on the wire. The rest are untouched, and a second run from the same seed gives
# every device the same history (digests equal), losses and all.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
cat > "$WORK/link.toml" <<'TOML'
[fleet]
devices = 24
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
[[group]]
name = "lossy"
count = 4
[[group]]
name = "capped"
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
[[faults]]
kind = "packet_loss"
group = "lossy"
at = "30s"
duration = "60s"
loss = 0.3
[[faults]]
kind = "bandwidth"
group = "capped"
at = "0s"
duration = "60s"
rate = "32kbit"
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
      and (45.0, "TCP connections reset (faults[1], group reset: 4 devices)") in ev
      and (30.0, "packet loss begins (faults[2], group lossy: 4 devices, 30% lost each way)") in ev
      and (90.0, "packet loss ends (faults[2])") in ev
      and (0.0, "bandwidth cap begins (faults[3], group capped: 4 devices, 32kbit/s)") in ev, "events: %s" % ev)
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
late = []
for d in by("lossy"):
    mine = gaps.get(d["id"], [])
    inside = [g for p, g in mine if 30 <= p < 90]
    outside = [g for p, g in mine if p < 30 or p >= 100]
    late += [g for g in inside if g > 0.1]
    check(len(mine) == len(tele.get(d["id"], [])) and inside and outside and all(g < 0.1 for g in outside)
          and all(g >= 0.045 for g in inside),
          "dev %d (packet_loss): every publish acknowledged (%d of %d), gaps inside %s, outside %s" % (d["id"], len(mine), len(tele.get(d["id"], [])), inside, outside))
check(all(d.get("tcp_retransmits", 0) > 0 for d in by("lossy")) and all("tcp_retransmits" not in d for d in by("") + by("capped")),
      "devices.jsonl counts the lossy devices' retransmissions only: %s" % [(d["id"], d.get("tcp_retransmits")) for d in devs])
check(len(late) >= 3 and all(0.2 <= g < 30 for g in late) and any(g >= 0.9 for g in late),
      "packet_loss: PUBACKs late by a retransmission (lwIP's 1.5 s doubling, the broker's 250 ms): %s" % late)
plain = [d["handshake_ms"] for d in by("")]
for d in by("capped"):
    check(all(h + 250 <= d["handshake_ms"] <= h + 2000 for h in plain),
          "dev %d (bandwidth 32 kbit/s): handshake %d ms, uncapped %s" % (d["id"], d["handshake_ms"], plain))
for d in by("") + by("slow") + by("lossy") + by("capped"):
    check(d["connects"] == 1 and not drops.get(d["id"]), "dev %d (%s): one connection throughout (%d, drops %s)" % (d["id"], d["group"] or "default", d["connects"], drops.get(d["id"])))
check(all(d.get("faults") == [1] for d in by("reset")) and all(d.get("faults") == [2] for d in by("lossy"))
      and all("faults" not in d for d in by("")), "devices.jsonl names each device's faults")
finish()
PY
refused nodelay '[fleet]\ndevices = 1\n[[faults]]\nkind = "link_delay"\nat = "2s"\nduration = "2s"\n' 'nodelay.toml:3:1: a link_delay needs delay' "a link_delay without delay"
refused rdelay '[fleet]\ndevices = 1\n[[faults]]\nkind = "tcp_reset"\nat = "2s"\ndelay = "1s"\n' 'faults\[0\].delay.*only a link_delay has delay' "a tcp_reset with a delay"
# Heavy loss with a short keepalive: connections the keepalive gives up on (rc -4) while their
# bytes wait on lwIP's doubling timeout. What a device published there and the broker never
# acknowledged went with the connection — the delivery observer counts it as the fault's loss,
# and nothing acknowledged is lost.
cat > "$WORK/drop.toml" <<'TOML'
[fleet]
devices = 8
mode = "fast"
duration = "150s"
seed = 22
connect_spread = "5s"
observe = true
[broker]
require_certificate = false
[tls]
client_cert = false
[app]
tele_period = "10s"
[mqtt]
qos = 1
keepalive = "10s"
[[faults]]
kind = "packet_loss"
at = "30s"
duration = "60s"
loss = 0.5
TOML
"$ESPFLEET" run "$WORK/drop.toml" --quiet --out "$WORK/drop" > "$WORK/drop.out" 2> "$WORK/drop.err" \
  || { cat "$WORK/drop.err"; fail "the heavy-loss run failed"; }
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/drop" <<'PY' || fail "losses in a packet_loss window"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
dl = json.load(open(os.path.join(w, "summary.json")))["delivery"]
drops = [float(m.group(1)) for m in re.finditer(r"^\[ *([0-9.]+)\] dev \d+ MQT: Disconnected, rc -4", open(os.path.join(w, "devices.log")).read(), re.M)]
check(len(drops) >= 3 and all(30 <= t < 100 for t in drops), "keepalive timeouts (rc -4) in the loss window: %s" % drops)
check(dl["lost"] > 0 and dl["lost_by_fault"] == {"faults[0]": dl["lost"]} and dl["acknowledged_lost"] == 0
      and dl["published"] == dl["delivered"] + dl["lost"],
      "every loss is the packet_loss's, none acknowledged: %s" % {k: dl[k] for k in ("published", "delivered", "lost", "acknowledged_lost", "lost_by_fault")})
finish()
PY
refused loss1 '[fleet]\ndevices = 1\n[[faults]]\nkind = "packet_loss"\nat = "2s"\nduration = "2s"\nloss = 1\n' 'faults\[0\].loss.*must be a number above 0 and below 1' "a packet_loss of 1"
refused rate '[fleet]\ndevices = 1\n[[faults]]\nkind = "bandwidth"\nat = "2s"\nduration = "2s"\nrate = "64kbyte"\n' 'faults\[0\].rate.*unknown unit' "a bandwidth of 64kbyte"
echo "PASS: a link delay, TCP resets, packet loss and a bandwidth cap, each where and when the scenario says, reproducibly"
