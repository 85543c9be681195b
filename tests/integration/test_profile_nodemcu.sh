#!/usr/bin/env bash
# tests/integration/test_profile_nodemcu.sh — `espfleet profile --firmware nodemcu`: a NodeMCU device's
# first secure MQTT connect against the embedded Mosquitto, on mbed TLS as NodeMCU configures it:
# two 4429-byte record buffers, lwIP's 2921-byte receive ring, a handshake whose heap peak is in seed
# 002's 25-30 KB, for an RSA-2048 and a P-256 server key; a NodeMCU project folder is profiled the
# same way; a script that never connects securely is an error that says so, with a non-zero exit.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
"$ESPFLEET" profile --firmware nodemcu --json > "$WORK/rsa.json" || fail "profile --firmware nodemcu"
"$ESPFLEET" profile --firmware nodemcu --cpu 160 --json > "$WORK/rsa160.json" || fail "profile at 160 MHz"
"$ESPFLEET" profile --firmware nodemcu --server-key ec256 --cpu 160 --json > "$WORK/ec.json" || fail "ec256"
"$ESPFLEET" profile --firmware "$ROOT/scenarios/nodemcu" --json > "$WORK/project.json" || fail "a project folder"
"$ESPFLEET" profile --firmware nodemcu > "$WORK/table.txt" || fail "the table"
python3 - "$WORK" <<'PY' || fail "the NodeMCU profile"
import json, os, sys
w = sys.argv[1]
for name in ["rsa", "ec", "project"]:
    r = json.load(open(os.path.join(w, name + ".json")))
    m = r["memory"]
    assert [b["requested"] for b in m["record_buffers"]] == [4429, 4429], (name, m["record_buffers"])
    assert all(4429 < b["heap_drop"] <= 4429 + 16 for b in m["record_buffers"]), m["record_buffers"]
    assert m["receive_ring"]["requested"] == 2921, m["receive_ring"]
    assert 25000 <= m["handshake_peak"] <= 30000, (name, m["handshake_peak"])
    assert m["free_min"] == m["free_before_handshake"] - m["handshake_peak"], m
    assert 0 < m["held_while_connected"] < m["handshake_peak"], m
    assert r["time_ms"]["tls_handshake"] > 0, r["time_ms"]
    assert r["config"]["heap"] == "sdk" and r["config"]["handshake_mhz"] == 160, r["config"]
    bd = r["time_ms"]["breakdown"]
    compute = sum(v for k, v in bd.items() if k != "network_and_platform")
    # mbed TLS's measured compute (the ECDHE key, the server's signature and chain) is most of it.
    assert bd.get("ecdhe", 0) > 0 and compute > bd["network_and_platform"], (name, bd)
    assert abs(compute + bd["network_and_platform"] - r["time_ms"]["tls_handshake"]) < 1.0, (name, bd)
    print(name, "peak", m["handshake_peak"], "held", m["held_while_connected"], "ms", r["time_ms"]["tls_handshake"], bd)
ec, rsa = json.load(open(os.path.join(w, "ec.json"))), json.load(open(os.path.join(w, "rsa.json")))
assert ec["config"]["server_key"] == "ec256" and ec["time_ms"]["breakdown"].get("ecdsa_verify", 0) > 0, ec["time_ms"]
assert rsa["time_ms"]["breakdown"].get("rsa", 0) > 0 and "ecdsa_verify" not in rsa["time_ms"]["breakdown"], rsa["time_ms"]
# The handshake's steps run at 160 MHz on both clocks: an 80 MHz device is about as fast.
r160 = json.load(open(os.path.join(w, "rsa160.json")))
assert abs(r160["time_ms"]["tls_handshake"] - rsa["time_ms"]["tls_handshake"]) < 0.05 * rsa["time_ms"]["tls_handshake"], \
    (r160["time_ms"], rsa["time_ms"])
assert json.load(open(os.path.join(w, "project.json")))["config"]["firmware"] == "nodemcu:nodemcu"
t = open(os.path.join(w, "table.txt")).read()
assert "record buffer (in)         4429" in t and "handshake peak" in t, t
PY
mkdir -p "$WORK/plain"
printf 'print("no network here")\n' > "$WORK/plain/init.lua"
"$ESPFLEET" profile --firmware "$WORK/plain" > /dev/null 2> "$WORK/plain.err" && fail "a script that never connects"
grep -q "no secure connect within 60 s of device time" "$WORK/plain.err" || fail "the reason: $(cat "$WORK/plain.err")"
echo PASS
