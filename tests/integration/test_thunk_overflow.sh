#!/usr/bin/env bash
# tests/integration/test_thunk_overflow.sh — a scenario group whose thunk stack is too small
# (tls.thunk_size = 2000 bytes) against the embedded broker: its devices die in the handshake with
# the core's "BSSL stack smashing" post-mortem (reset reason 253) and reboot, again and again; the
# rest of the fleet, on the firmware's default thunk, connects. devices.jsonl reports each
# device's thunk block size and its peaks in host and estimated target bytes.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

# quickstart's group "fast" takes half the fleet: ids 0 and 1 of 4.
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 4 --duration 6s --quiet \
  --set fleet.connect_spread=0s --set group.fast.tls.thunk_size=2000 --out "$WORK/run" > "$WORK/run.out" 2>&1 \
  || { cat "$WORK/run.out"; fail "espfleet run failed"; }

python3 - "$WORK/run/devices.jsonl" <<'PY' || fail "devices.jsonl does not show the expected thunk figures"
import json, sys
devs = [json.loads(l) for l in open(sys.argv[1])]
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("  not so:", what)
        ok = False
for d in devs:
    print("  dev %d %-5s %-10s thunk %4d  peak host %4d  target %4d  boots %d  crashes %d  %s" % (
        d["id"], d["group"] or "-", d["state"], d["thunk_size"], d["thunk_peak_host_bytes"],
        d["thunk_peak_target_bytes"], d["boots"], d["crashes"], (d["crash_reasons"] or [""])[0]))
    if d["group"] == "fast":
        check(d["thunk_size"] == 2000, "dev %d: thunk block of the group's 2000 B" % d["id"])
        check(d["crashes"] >= 1 and d["boots"] == d["crashes"] + 1, "dev %d: reset and rebooted" % d["id"])
        check(all(r.startswith("BSSL stack smashing") for r in d["crash_reasons"]),
              "dev %d: every reset is BSSL stack smashing" % d["id"])
        check(d["connects"] == 0, "dev %d: never connected" % d["id"])
        check(d["thunk_peak_target_bytes"] > 2000, "dev %d: estimated need above the block" % d["id"])
    else:
        check(d["state"] == "connected" and d["connects"] >= 1, "dev %d: connected" % d["id"])
        check(d["crashes"] == 0 and d["boots"] == 1, "dev %d: no reset" % d["id"])
        check(d["thunk_size"] == 5300, "dev %d: the firmware's default thunk (client cert: 5300)" % d["id"])
        check(0 < d["thunk_peak_target_bytes"] < 5300, "dev %d: target peak within its block" % d["id"])
        check(d["thunk_peak_host_bytes"] > 0, "dev %d: host peak measured" % d["id"])
sys.exit(0 if ok else 1)
PY

[ "$(json_get "$WORK/run/summary.json" connected)" = 2 ] || fail "expected the 2 default devices connected"
[ "$(json_get "$WORK/run/summary.json" crashes)" -ge 2 ] || fail "expected the group's devices to crash"

# The post-mortem in the device log, as the ESP8266 core prints it.
log="$WORK/run/devices.log"
for line in "FATAL ERROR: BSSL stack smashing detected" "PANIC: Stack overrun" "Stack overflow detected." \
            ">>>stack>>>" "ctx: bearssl" "<<<stack<<<" "rst cause:2, boot mode:(3,6)" "reset reason 253"; do
  grep -q "dev 0 .*$line" "$log" || fail "dev 0's log lacks: $line"
done
if grep -q "dev [23] .*BSSL stack smashing" "$log"; then fail "a default device smashed its stack"; fi
echo PASS
