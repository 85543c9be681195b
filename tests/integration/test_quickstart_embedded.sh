#!/usr/bin/env bash
# tests/integration/test_quickstart_embedded.sh — what tools/demo does: scenarios/quickstart.toml
# with espfleet's own embedded Mosquitto (started and stopped by espfleet). Every device connects;
# summary.json and devices.jsonl carry their contract keys; the broker process is gone after.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --duration 25s --out "$WORK/run" --quiet \
  > "$WORK/out.txt" 2> "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "espfleet run exited non-zero"; }
cat "$WORK/out.txt"

python3 - "$WORK/run" <<'PY' || fail "contract check"
import json, sys, os
run = sys.argv[1]
s = json.load(open(os.path.join(run, "summary.json")))
for k in ["devices", "connected", "connect_failures", "crashes", "published", "handshake_ms", "heap_free_min"]:
    assert k in s, f"summary.json lacks {k}"
for k in ["p50", "p99", "max"]:
    assert k in s["handshake_ms"], f"summary.json handshake_ms lacks {k}"
assert s["devices"] == 100, s["devices"]
assert s["connected"] == 100, f"connected {s['connected']} of 100"
assert s["crashes"] == 0
assert s["published"] >= 200, s["published"]  # LWT + at least one STATE each
devs = [json.loads(l) for l in open(os.path.join(run, "devices.jsonl"))]
assert len(devs) == 100
keys = ["id", "client_id", "topic", "cpu_mhz", "state", "tls_error", "connects", "handshake_ms",
        "heap_free_min", "heap_max_block_min", "heap_frag_max", "crashes"]
for d in devs:
    for k in keys:
        assert k in d, f"device {d.get('id')} lacks {k}"
    assert d["state"] == "connected" and d["connects"] >= 1 and d["tls_error"] == 0, d
mhz = sorted({d["cpu_mhz"] for d in devs})
assert mhz == [80, 160], mhz
assert sum(d["cpu_mhz"] == 160 for d in devs) == 50
# 80 MHz handshakes take longer in device time than 160 MHz ones.
h80 = sorted(d["handshake_ms"] for d in devs if d["cpu_mhz"] == 80)
h160 = sorted(d["handshake_ms"] for d in devs if d["cpu_mhz"] == 160)
assert h80[len(h80)//2] > h160[len(h160)//2], (h80[len(h80)//2], h160[len(h160)//2])
assert os.path.exists(os.path.join(run, "scenario.resolved.json"))
print("contract ok: 100/100 connected, p50 handshake 80 MHz", h80[len(h80)//2], "ms, 160 MHz", h160[len(h160)//2], "ms")
PY
pid=$(sed -n 's/.*embedded mosquitto pid \([0-9]*\).*/\1/p' "$WORK/err.txt")
[ -n "$pid" ] || fail "no broker pid reported"
if kill -0 "$pid" 2>/dev/null && ! grep -q zombie "/proc/$pid/status" 2>/dev/null; then fail "embedded mosquitto $pid still running"; fi
echo PASS
