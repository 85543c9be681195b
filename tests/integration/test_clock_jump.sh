#!/usr/bin/env bash
# tests/integration/test_clock_jump.sh — a clock_jump (docs/faults.md) on the built-in firmware
# against a real embedded Mosquitto, fast mode: every device's wall clock jumps ten years ahead at
# 30 s and its connection is reset at 35 s. Devices validating the broker by CA now find its
# certificate expired (BearSSL's BR_ERR_X509_EXPIRED, 54) at every reconnect, until a second jump
# takes the clock back at 60 s; devices pinned to the key's fingerprint check no dates and
# reconnect at once. Reproducible: the same seed gives the same histories.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
cat > "$WORK/jump.toml" <<'TOML'
[fleet]
devices = 8
mode = "fast"
duration = "120s"
seed = 17
connect_spread = "3s"
[broker]
require_certificate = false
[tls]
client_cert = false
[app]
tele_period = "10s"
[[group]]
name = "fp"
count = 4
tls.validation = "fingerprint"
[[faults]]
kind = "clock_jump"
at = "30s"
by = "+3650d"
[[faults]]
kind = "tcp_reset"
at = "35s"
[[faults]]
kind = "clock_jump"
at = "60s"
by = "-3650d"
TOML
for r in a b; do
  "$ESPFLEET" run "$WORK/jump.toml" --quiet --out "$WORK/$r" > "$WORK/$r.out" 2> "$WORK/$r.err" \
    || { cat "$WORK/$r.err"; fail "the clock-jump run $r failed"; }
done
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "clock jump"
import json, os, re, sys
from itcheck import check, finish, serial_log
w = sys.argv[1]
s = json.load(open(os.path.join(w, "a", "summary.json")))
devs = [json.loads(l) for l in open(os.path.join(w, "a", "devices.jsonl"))]
again = [json.loads(l) for l in open(os.path.join(w, "b", "devices.jsonl"))]
check([d["digest"] for d in devs] == [d["digest"] for d in again], "the same seed, the same histories")
ev = [(e["t_s"], e["what"]) for e in s["events"]]
check((30.0, "clock jumps +3650d (faults[0], 8 devices)") in ev and (60.0, "clock jumps -3650d (faults[2], 8 devices)") in ev,
      "events: %s" % ev)
log = serial_log(os.path.join(w, "a"))
for d in devs:
    i, fp = d["id"], d["group"] == "fp"
    ups = [t for t, text in log[i] if text == "MQT: Connected"]
    failed = [(t, re.search(r"tls (-?\d+)", text).group(1)) for t, text in log[i] if text.startswith("MQT: Connect failed")]
    if fp:
        check(len(ups) == 2 and 35 < ups[1] < 40 and not failed, "dev %d (fingerprint): up at %s, failed %s" % (i, ups, failed))
    else:
        check(failed and all(35 < t < 60 and e == "54" for t, e in failed), "dev %d (CA): failed %s" % (i, failed))
        check(len(ups) == 2 and ups[1] > 60, "dev %d (CA): up at %s (again only after the clock is back)" % (i, ups))
finish()
PY
refused bad '[fleet]\ndevices = 1\n[[faults]]\nkind = "clock_jump"\nat = "2s"\nby = "10 years"\n' 'bad.toml:6:.*faults\[0\].by.*+3650d' "a clock_jump by '10 years'"
echo "PASS: a clock jump expires the broker's certificate for CA devices and not for fingerprint devices, and back"
