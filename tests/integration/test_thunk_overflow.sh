#!/usr/bin/env bash
# tests/integration/test_thunk_overflow.sh — a scenario group whose thunk stack is too small
# (tls.thunk_size = 2000 bytes) against the embedded broker: its devices die in the handshake with
# the core's "BSSL stack smashing" post-mortem (reset reason 253) and reboot, again and again; the
# rest of the fleet, on the firmware's default thunk, connects. devices.jsonl reports each
# device's thunk block size and its peaks in host and estimated target bytes. Every crash leaves a
# heap map, DIR/heap/<id>-crash-<n>.svg (docs/heap.md "Heap map"), whose per-owner legend adds up
# to its used bytes and whose outlined largest free chunk is the max block it reports; the default
# devices never crash and leave none. Then `espfleet heap --map / --map-svg` on a small trace.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

# quickstart's group "fast" takes half the fleet: ids 0 and 1 of 4.
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 4 --duration 6s --quiet \
  --set fleet.connect_spread=0s --set group.fast.tls.thunk_size=2000 --out "$WORK/run" > "$WORK/run.out" 2>&1 \
  || { cat "$WORK/run.out"; fail "espfleet run failed"; }

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/run/devices.jsonl" <<'PY' || fail "devices.jsonl does not show the expected thunk figures"
import json, sys
devs = [json.loads(l) for l in open(sys.argv[1])]
from itcheck import check, finish
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
finish()
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

# Heap maps, one per crash.
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/run" <<'PY' || fail "heap maps missing or inconsistent"
import json, os, sys
from itcheck import check, check_heap_maps, finish
run = sys.argv[1]
for d in (json.loads(l) for l in open(os.path.join(run, "devices.jsonl"))):
    if d["group"] == "fast":
        check(d["crashes"] >= 1, "dev %d crashed" % d["id"])
n = check_heap_maps(run, owners_required=("thunk", "tls"))  # a handshake crash: thunk and TLS context live
print("  %d heap maps checked" % n)
finish(n > 0)
PY

# On demand, after a trace.
printf 'malloc mqtt.a 100\nmalloc tls:ctx 500\nmalloc x 40\nmalloc app.b 30\nfree x\n' > "$WORK/t.trace"
"$ESPFLEET" heap --heap-bytes 2048 --map "$WORK/t.trace" > "$WORK/map.txt" || fail "heap --map failed"
grep -q "^T tls 504 B$" "$WORK/map.txt" || { cat "$WORK/map.txt"; fail "ASCII map lacks tls 504 B"; }
grep -q "^largest free block 1336 B at offset 704$" "$WORK/map.txt" || fail "ASCII map: largest free block"
"$ESPFLEET" heap --heap-bytes 2048 --map-svg "$WORK/t.svg" "$WORK/t.trace" > "$WORK/t.jsonl" || fail "heap --map-svg failed"
[ "$(wc -l < "$WORK/t.jsonl")" = 5 ] || fail "heap --map-svg still prints the JSON lines"
grep -q 'id="legend-app"[^>]*>app 40 B<' "$WORK/t.svg" || fail "SVG legend: app 40 B"
grep -q '<g id="largest-free" data-offset="704" data-bytes="1336"' "$WORK/t.svg" || fail "SVG: largest free outline"
echo PASS
