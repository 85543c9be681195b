#!/usr/bin/env bash
# tests/integration/test_heap_workload.sh — a realistic heap life (heap.boot_used, heap.workload)
# in fast mode over plain MQTT against the embedded broker: hours of device time in seconds.
# (a) the same seed gives the same heap history (per-device heap_free_min, heap_frag_max,
#     heap_max_block_min in devices.jsonl are identical), (b) another seed gives another history,
# (c) with the workload the heap fragments more, and is used more, than without it.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

cat > "$WORK/heap.toml" <<'TOML'
[fleet]
devices = 4
duration = "6h"
seed = 7
mode = "fast"
connect_spread = "2s"

[broker]
require_certificate = false

[tls]
enabled = false

[app]
tele_period = "60s"

[heap]
boot_used = "12K"
workload = [
  "web: every=30s size=600..1400 life=20s",
  "json: every=10s size=200..400 life=3s",
  "log: every=2s size=40..160 life=30s",
]
TOML

run_case() {  # run_case NAME [args]
  local name="$1"; shift
  "$ESPFLEET" run "$WORK/heap.toml" --quiet --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1 \
    || { cat "$WORK/$name.out"; fail "$name: espfleet run failed"; }
}
run_case a & R1=$!
run_case b & R2=$!
wait "$R1" || fail "run a failed"
wait "$R2" || fail "run b failed"
run_case other_seed --seed 8 & R1=$!
run_case none --set 'heap.workload=[]' --set heap.boot_used=0 & R2=$!
wait "$R1" || fail "run other_seed failed"
wait "$R2" || fail "run none failed"

history() {  # history CASE -> one line per device: id free_min frag_max max_block_min failures
  python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print(d["id"], d["heap_free_min"], d["heap_frag_max"], d["heap_max_block_min"], d["heap_alloc_failures"])' \
    "$WORK/$1/devices.jsonl"
}
for c in a b other_seed none; do
  echo "$c (id free_min frag_max max_block_min alloc_failures):"
  history "$c" | sed 's/^/  /'
done

# Every device booted with the workload, and the firmware said so.
[ "$(json_get "$WORK/a/summary.json" ever_connected)" = 4 ] || fail "a: not every device connected"
[ "$(json_get "$WORK/a/scenario.resolved.json" defaults.heap.boot_used)" = 12288 ] \
  || fail "a: heap.boot_used not resolved to 12288"
[ "$(grep -c "HEAP: boot keeps 12288 bytes" "$WORK/a/devices.log")" -ge 4 ] \
  || fail "a: not every device logged 'HEAP: boot keeps 12288 bytes'"

[ "$(history a)" = "$(history b)" ] || fail "the same seed gave different heap histories"
[ "$(history a)" != "$(history other_seed)" ] || fail "another seed gave the same heap history"
python3 - "$WORK/a/devices.jsonl" "$WORK/none/devices.jsonl" <<'PY' || fail "the workload did not fragment or use the heap"
import json, sys
a = {d["id"]: d for d in map(json.loads, open(sys.argv[1]))}
n = {d["id"]: d for d in map(json.loads, open(sys.argv[2]))}
for i in a:
    assert a[i]["heap_frag_max"] > n[i]["heap_frag_max"], (i, a[i]["heap_frag_max"], n[i]["heap_frag_max"])
    assert a[i]["heap_free_min"] + 12288 <= n[i]["heap_free_min"], (i, a[i]["heap_free_min"], n[i]["heap_free_min"])
PY
echo PASS
