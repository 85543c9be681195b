#!/usr/bin/env bash
# tests/integration/test_profile.sh — `espfleet profile` against its embedded Mosquitto: the JSON
# contract keys; memory rows charged at the chip's sizes (the BearSSL client context is 3408
# bytes on lx106, 3416 with umm's header and rounding — never the host's 3720); the same
# handshake at 80 and 160 MHz differs in compute time by the modelled ratio
# (2 × CPI(80) / CPI(160)); a bad option is refused with a non-zero exit.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

"$ESPFLEET" profile --json --cpu 80 --client-cert > "$WORK/p80.json" || fail "profile at 80 MHz failed"
"$ESPFLEET" profile --json --cpu 160 --client-cert > "$WORK/p160.json" || fail "profile at 160 MHz failed"
python3 - "$WORK/p80.json" "$WORK/p160.json" "$ROOT/sim/tls/chip_cost_table.h" <<'PY' || fail "profile figures"
import json, re, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ["tcp_connect", "tls_handshake", "mqtt_connack"]:
    assert a["time_ms"][k] > 0, k
for k in ["client_context", "buffers", "thunk_stack", "thunk_peak", "decoder", "steady_total",
          "handshake_total", "free_min"]:
    assert k in a["memory"], k
m = a["memory"]
assert m["client_context"] == 3416, m          # chip size 3408 + umm header, 8-byte blocks
assert m["buffers"] == 1360 + 1120, m          # 1349 + 1109 bytes, rounded the same way
assert m["thunk_stack"] == 5304, m             # 5300 with a client certificate
assert m["decoder"] == 3064, m                 # the CA engine (minimal context, chip size 3048)
assert m["steady_total"] == m["client_context"] + m["buffers"]
assert 0 < m["thunk_peak"] <= 5300, m
src = open(sys.argv[3]).read()
# The fitted CPIs as the source states them (kLx106Costs), and as the profile reports charging them.
c80, c160 = map(float, re.search(r'kLx106Costs = .*"lx106", ([0-9.]+), ([0-9.]+)\)', src).groups())
assert (a["config"]["cpi"], b["config"]["cpi"]) == (c80, c160), (a["config"], b["config"])
compute = lambda r: sum(v for k, v in r["time_ms"]["breakdown"].items() if k != "network_and_platform")
want = 2 * c80 / c160
got = compute(a) / compute(b)
print(f"compute time 80/160 MHz: {got:.4f} (modelled {want:.4f}); handshake {a['time_ms']['tls_handshake']:.0f} / {b['time_ms']['tls_handshake']:.0f} ms")
assert abs(got / want - 1) < 0.01, (got, want)
# The chip's work does not depend on the clock (up to rounding, and how the bytes arrived: the
# engine's per-call work varies by a few hundred instructions with the TCP chunking).
for k, v in a["handshake_instructions"].items():
    assert abs(v - b["handshake_instructions"][k]) <= max(2, v * 0.01), (k, v, b["handshake_instructions"][k])
PY
if "$ESPFLEET" profile --cpu 120 > "$WORK/bad.out" 2>&1; then fail "--cpu 120 accepted"; fi
grep -q "cpu" "$WORK/bad.out" || { cat "$WORK/bad.out"; fail "the error does not name --cpu"; }
echo PASS
