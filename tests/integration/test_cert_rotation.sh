#!/usr/bin/env bash
# tests/integration/test_cert_rotation.sh — the embedded broker's listener certificate rotated by
# the scenario's [[faults]] (cert_rotate: renewed and reloaded with SIGHUP; a broker restart later
# makes every device handshake again). Half the fleet validates by CA, half by a learned key
# fingerprint (Tasmota's SetOption132). Same key: every device reconnects. New key: the CA
# devices reconnect, the fingerprint devices fail with error 1 — except the one that was sent
# `MqttFingerprint1 <new>` over MQTT (mosquitto_pub, between the rotation and the restart),
# which comes back with it. New CA (same key): the fingerprint devices reconnect, the CA devices
# fail with 62, and the listener certificate verifies with the new CA only (openssl verify).
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
scenario() {  # scenario NEW_KEY MODE
  cat <<TOML
[fleet]
devices = 8
duration = "40s"
mode = "$2"
seed = 9
connect_spread = "3s"
observe = true
[broker]
require_certificate = false
[tls]
client_cert = false
[[group]]
name = "fp"
count = 4
tls.validation = "fingerprint"
[[faults]]
kind = "cert_rotate"
at = "12s"
new_key = $1
[[faults]]
kind = "broker_restart"
at = "25s"
duration = "2s"
TOML
}
scenario false fast > "$WORK/same.toml"
"$ESPFLEET" run "$WORK/same.toml" --quiet --out "$WORK/same" > /dev/null 2> "$WORK/same.err" || { cat "$WORK/same.err"; fail "same-key run"; }
grep -q "broker certificate rotated (same key) (faults\[0\])" "$WORK/same.err" || fail "no rotation line: $(cat "$WORK/same.err")"

# New key, realtime: the test sends the new fingerprint to one fingerprint device in between.
# A CA rotation (same key): the listener certificate now comes from a CA the CA devices do not
# hold — they fail with 62 (BR_ERR_X509_NOT_TRUSTED) — while the pinned devices reconnect.
sed 's/^new_key = false$/new_key = false\nnew_ca = true/' "$WORK/same.toml" > "$WORK/ca.toml"
"$ESPFLEET" run "$WORK/ca.toml" --quiet --out "$WORK/ca" > /dev/null 2> "$WORK/ca.err" || { cat "$WORK/ca.err"; fail "new-CA run"; }
grep -q "broker certificate rotated (same key, new CA) (faults\[0\]): CA .*/pki/rotated-0-12/ca.crt" "$WORK/ca.err" \
  || fail "no CA rotation line: $(cat "$WORK/ca.err")"
openssl verify -CAfile "$WORK/ca/pki/rotated-0-12/ca.crt" "$WORK/ca/pki/server.crt" > /dev/null \
  || fail "the listener certificate is not the new CA's"
openssl verify -CAfile "$WORK/ca/pki/ca.crt" "$WORK/ca/pki/server.crt" > /dev/null 2>&1 \
  && fail "the listener certificate still verifies with the old CA"

scenario true realtime > "$WORK/new.toml"
"$ESPFLEET" run "$WORK/new.toml" --quiet --out "$WORK/new" > "$WORK/new.out" 2> "$WORK/new.err" & RUN=$!
PIDS+=("$RUN")
for _ in $(seq 1 100); do grep -q "plain [0-9]" "$WORK/new.err" 2>/dev/null && break; sleep 0.1; done
PLAIN=$(grep -o "plain [0-9]*" "$WORK/new.err" | head -1 | cut -d' ' -f2)
[ -n "$PLAIN" ] || { cat "$WORK/new.err"; fail "no plain listener port"; }
for _ in $(seq 1 300); do grep -q "broker certificate rotated (new key)" "$WORK/new.err" && break; sleep 0.1; done
grep -q "broker certificate rotated (new key)" "$WORK/new.err" || { cat "$WORK/new.err"; fail "no rotation"; }
FP=$("$ESPFLEET" fingerprint "$WORK/new/pki/server.crt" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
# The fingerprint devices' topics: the same seed gives the same devices (a short fast run says which).
"$ESPFLEET" run "$WORK/same.toml" --quiet --duration 1s --out "$WORK/ids" > /dev/null 2>&1 || fail "ids run"
TOPIC=$(python3 -c 'import json,sys; print([d for d in map(json.loads, open(sys.argv[1])) if d["group"] == "fp"][0]["topic"])' \
  "$WORK/ids/devices.jsonl")
mosquitto_pub -h 127.0.0.1 -p "$PLAIN" -t "cmnd/$TOPIC/MqttFingerprint1" -m "$FP" || fail "mosquitto_pub"
wait "$RUN" || { cat "$WORK/new.err"; fail "new-key run"; }

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" "$TOPIC" "$FP" <<'PY' || fail "rotation"
import json, os, sys
from itcheck import check, finish
w, topic, fp = sys.argv[1], sys.argv[2], sys.argv[3]
def devs(r): return [json.loads(l) for l in open(os.path.join(w, r, "devices.jsonl"))]
for d in devs("same"):
    check(d["connects"] == 2 and d["state"] == "connected" and "1" not in d["tls_errors"],
          "same key: dev %d (%s) reconnects: %d connects, %s, errors %s" % (d["id"], d["validation"], d["connects"], d["state"], d["tls_errors"]))
for d in devs("ca"):
    if d["group"] == "fp":
        check(d["connects"] == 2 and d["state"] == "connected", "new CA: fingerprint dev %d reconnects (%d, %s)" % (d["id"], d["connects"], d["state"]))
    else:
        check(d["connects"] == 1 and d["tls_error"] == 62 and d["tls_errors"].get("62", 0) >= 1,
              "new CA: CA dev %d fails with 62: %d connects, error %s" % (d["id"], d["connects"], d["tls_error"]))
for d in devs("new"):
    if d["group"] != "fp":
        check(d["connects"] == 2 and d["state"] == "connected", "new key: CA dev %d reconnects (%d, %s)" % (d["id"], d["connects"], d["state"]))
    elif d["topic"] == topic:
        # MqttFingerprint1 restarts it (as Tasmota does): it reconnects with the new key, then
        # again after the broker restart.
        check(d["connects"] == 3 and d["boots"] == 2 and d["state"] == "connected" and d["fingerprint1"] == fp,
              "new key: dev %d, sent MqttFingerprint1, is back: %d connects, %d boots, %s, fingerprint1 %s" % (d["id"], d["connects"], d["boots"], d["state"], d["fingerprint1"]))
    else:
        check(d["connects"] == 1 and d["tls_error"] == 1 and d["tls_errors"].get("1", 0) >= 1,
              "new key: fingerprint dev %d fails with 1: %d connects, error %s" % (d["id"], d["connects"], d["tls_error"]))
s = json.load(open(os.path.join(w, "new", "summary.json")))
check(any(e["what"] == "broker certificate rotated (new key) (faults[0])" and e["t_s"] == 12.0 for e in s["events"]), "the rotation is on the timeline")
finish()
PY
echo "PASS: same key keeps every device; a new key locks out the fingerprint devices but the one sent MqttFingerprint1"
