#!/usr/bin/env bash
# tests/integration/test_fingerprint.sh — fingerprint validation (SetOption132 1) against real
# Mosquittos: a wrong fingerprint → 1; all-FF accepts a broker no CA vouches for; a learning slot
# stores the broker's key fingerprint (checked against one computed here from openssl's output)
# and the next connect to the same key works; after learning, a broker whose key changed → 1,
# unless MqttFingerprint2 (sent over MQTT, answered on stat/<topic>/RESULT; the device restarts to
# apply it, as Tasmota does) names the new key.
# Fingerprint mode checks only the key: a pinned (or all-FF) slot accepts a "rogue" certificate
# that is self-signed, expired and for another host name. A CA-mode device, by contrast, follows
# the key change silently (the new certificate comes from the same CA).
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
P="$WORK/pki"
make_pki "$P"
make_server_cert "$P" keyb ca 30 "DNS:localhost"          # the same CA, a new key
make_server_cert "$P" rogue self -1 "DNS:broker.example"   # self-signed, expired, wrong name

# v2 fingerprints computed from openssl's view of the certificates (lib.sh fp_openssl).
FPA=$(fp_openssl "$P/server.crt")
FPB=$(fp_openssl "$P/keyb.crt")
FPR=$(fp_openssl "$P/rogue.crt")
echo "broker key A: $FPA"
echo "broker key B: $FPB"

declare -A PORT MPID
for c in wrong any same change; do PORT[$c]="$(free_port)"; done
PORT[pinned]=${PORT[any]}; PORT[ca]=${PORT[change]}
start_mosquitto "$P" "${PORT[wrong]}" false server
start_mosquitto "$P" "${PORT[any]}" false rogue
start_mosquitto "$P" "${PORT[same]}" false server; MPID[same]=$MOSQ_PID
start_mosquitto "$P" "${PORT[change]}" false server; MPID[change]=$MOSQ_PID

run_case() {  # run_case NAME DEVICES DURATION [args]
  local name="$1" n="$2" dur="$3"; shift 3
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$n" --duration "$dur" --quiet \
    --set fleet.connect_spread=0s --set tls.client_cert=false --set tls.validation=fingerprint --ca "$P/ca.crt" \
    --broker "localhost:${PORT[$name]}" --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1 \
    || { cat "$WORK/$name.out"; echo "FAIL: $name: espfleet run failed" >&2; exit 1; }
}
WRONG="01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14"
run_case wrong 1 5s --set "tls.fingerprint1=$WRONG" --set tls.fingerprint2= & R1=$!
run_case any 1 5s --set tls.fingerprint1=any --set tls.fingerprint2= & R2=$!
run_case same 1 16s --set tls.fingerprint1=learn & R3=$!
run_case change 2 16s --set tls.fingerprint1=learn & R4=$!
# Other seeds: a client id must be unique on a broker (Mosquitto drops the older session).
run_case pinned 1 5s --seed 7 --set "tls.fingerprint1=$FPR" --set tls.fingerprint2= & R5=$!

# Watch the 'change' broker with an independent client; command the first device that comes up.
SUB_LOG="$WORK/sub.log"
mosquitto_sub -h 127.0.0.1 -p "${PORT[change]}" --cafile "$P/ca.crt" -v -t 'tele/+/LWT' -t 'stat/+/RESULT' \
  > "$SUB_LOG" 2>&1 & SUB_PID=$!
PIDS+=("$SUB_PID")
online_count() { grep -c ' Online$' "$SUB_LOG" || true; }
for _ in $(seq 1 80); do [ "$(online_count)" -ge 2 ] && break; sleep 0.1; done
[ "$(online_count)" -ge 2 ] || { cat "$SUB_LOG"; fail "change: devices did not come online"; }
TOPIC=$(grep ' Online$' "$SUB_LOG" | head -1 | cut -d/ -f2)
# A CA-mode device joins the same broker before its key changes.
run_case ca 1 12s --seed 9 --set tls.validation=ca & R6=$!
for _ in $(seq 1 80); do [ "$(online_count)" -ge 3 ] && break; sleep 0.1; done
[ "$(online_count)" -ge 3 ] || { cat "$SUB_LOG"; fail "ca: the CA-mode device did not come online"; }
pub() { mosquitto_pub -h 127.0.0.1 -p "${PORT[change]}" --cafile "$P/ca.crt" -t "cmnd/$TOPIC/$1" -m "$2"; }
pub MqttFingerprint2 "$FPB"
# Taking it, the firmware restarts (Tasmota's restart_flag 2): ask the rest once it is back.
topic_online() { grep -c "tele/$TOPIC/LWT Online" "$SUB_LOG" || true; }
for _ in $(seq 1 100); do [ "$(topic_online)" -ge 2 ] && break; sleep 0.1; done
[ "$(topic_online)" -ge 2 ] || { cat "$SUB_LOG"; fail "change: $TOPIC not back after MqttFingerprint2's restart"; }
pub SetOption132 ""
pub Status ""
for _ in $(seq 1 50); do grep -q "stat/$TOPIC/RESULT {\"StatusMEM" "$SUB_LOG" && break; sleep 0.1; done
cat "$SUB_LOG"
grep -qF "stat/$TOPIC/RESULT {\"MqttFingerprint2\":\"$FPB\"}" "$SUB_LOG" || fail "MqttFingerprint2 reply missing"
grep -qF "stat/$TOPIC/RESULT {\"SetOption132\":\"ON\"}" "$SUB_LOG" || fail "SetOption132 reply missing"
grep -F "stat/$TOPIC/RESULT {\"StatusMEM" "$SUB_LOG" | grep -F "\"Validation\":\"Fingerprint\"" > /dev/null \
  || fail "Status reply lacks the TLS figures"
grep -F "stat/$TOPIC/RESULT {\"StatusMEM" "$SUB_LOG" | grep -F "\"MqttFingerprint1\":\"$FPA\"" > /dev/null \
  || fail "Status does not show the learned fingerprint"
kill -TERM "$SUB_PID"; wait "$SUB_PID" 2>/dev/null || true

# Restart both learning brokers: 'same' with its key, 'change' with key B.
sleep 1
kill -TERM "${MPID[same]}" "${MPID[change]}"; wait "${MPID[same]}" "${MPID[change]}" 2>/dev/null || true
start_mosquitto "$P" "${PORT[same]}" false server
start_mosquitto "$P" "${PORT[change]}" false keyb
for r in "$R1" "$R2" "$R3" "$R4" "$R5" "$R6"; do wait "$r" || fail "a run failed"; done

field() {  # field CASE INDEX KEY
  python3 -c 'import json,sys; d=[json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2])]; print(d[sys.argv[3]])' \
    "$WORK/$1/devices.jsonl" "$2" "$3"
}
show() { echo "$1[$2] $(field "$1" "$2" client_id): tls_error $(field "$1" "$2" tls_error) ($(field "$1" "$2" tls_error_name)), connects $(field "$1" "$2" connects), fingerprint1 $(field "$1" "$2" fingerprint1)"; }
show wrong 0; show any 0; show pinned 0; show same 0; show change 0; show change 1
echo "ca[0] (CA mode across the key change): tls_error $(field ca 0 tls_error), connects $(field ca 0 connects)"

[ "$(field wrong 0 tls_error)" = 1 ] || fail "wrong fingerprint: expected tls_error 1"
[ "$(field wrong 0 connects)" = 0 ] || fail "wrong fingerprint: the device connected"
[ "$(field any 0 tls_error)" = 0 ] && [ "$(field any 0 connects)" = 1 ] || fail "all-FF: did not connect to the rogue broker"
[ "$(field pinned 0 tls_error)" = 0 ] && [ "$(field pinned 0 connects)" = 1 ] \
  || fail "pinned: fingerprint mode should accept the rogue certificate whose key is pinned"
[ "$(field ca 0 tls_error)" = 0 ] && [ "$(field ca 0 connects)" -ge 2 ] || fail "ca: CA mode should follow a key change within the CA"
[ "$(field same 0 fingerprint1)" = "$FPA" ] || fail "learn: slot 1 holds $(field same 0 fingerprint1), expected $FPA"
[ "$(field same 0 connects)" -ge 2 ] && [ "$(field same 0 tls_error)" = 0 ] || fail "learn: reconnect to the same key failed"
# In 'change', the commanded device (its topic is TOPIC) follows the key to B; the other fails with 1.
for i in 0 1; do
  t=$(field change "$i" topic)
  [ "$(field change "$i" fingerprint1)" = "$FPA" ] || fail "change[$i]: did not learn key A"
  if [ "$t" = "$TOPIC" ]; then
    [ "$(field change "$i" fingerprint2)" = "$FPB" ] || fail "change[$i]: MqttFingerprint2 not stored"
    [ "$(field change "$i" boots)" = 2 ] || fail "change[$i]: MqttFingerprint2 should restart the device once"
    [ "$(field change "$i" connects)" -ge 2 ] && [ "$(field change "$i" tls_error)" = 0 ] \
      || fail "change[$i]: slot 2 names key B but the reconnect failed"
  else
    [ "$(field change "$i" tls_error)" = 1 ] || fail "change[$i]: key changed after learning: expected tls_error 1"
    [ "$(field change "$i" connects)" = 1 ] || fail "change[$i]: connected to the changed key"
  fi
done
grep -q "matches neither MqttFingerprint1 nor MqttFingerprint2" "$WORK/change/devices.log" || fail "no mismatch log line"
echo PASS
