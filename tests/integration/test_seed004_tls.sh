#!/usr/bin/env bash
# tests/integration/test_seed004_tls.sh — seed 004's "Troubleshooting TLS" (a Tasmota energy
# monitor on MQTT/TLS) against real Mosquittos this test starts on loopback, with certificates it
# makes with openssl, commands sent and results read with mosquitto_pub / mosquitto_sub:
#   a. the broker's certificate is renewed with a new key (files replaced, SIGHUP, as a renewal
#      hook does): a device pinned to the old key fails with BearSSL error 1 once it reconnects
#      ("matches neither MqttFingerprint1 nor MqttFingerprint2"); the seed's fix — MqttFingerprint1
#      <new> (its reply on stat/<topic>/RESULT checked) and Restart 1 — brings the other pinned
#      device back. Over MQTT the fix must reach the device before it reconnects: once it fails
#      it is out of reach (the seed's console is a serial or web console, which the simulator has
#      not got), so the two pinned devices show the two sides;
#   b. a device validating by CA rides the same renewal (same CA, new key) with no command;
#   c. SetOption132 1 turns a CA device into a fingerprint device; its all-zero slot 1 learns the
#      broker's key on the next connect (checked against a fingerprint computed here from
#      openssl's output), while one whose slot is not all zero just fails with 1;
#   d. the seed's `MqttFingerprint1 AA:BB:…` (95 characters) is ignored: value unchanged, no
#      restart; a colon form under 60 characters stores its first byte then zeros, restarts the
#      device, which then fails with 1 — as on the real firmware. The scenario loader and
#      `espfleet fingerprint` refuse the seed's form and say why.
# Realtime runs (the test talks to the devices while they run), each stopped with SIGINT by its
# pid once what it shows has happened.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

CHIP=esp32c3  # every device's chip: seed 004's meter is an ESP32-C3 ("" = the default, an ESP8266)
CHIP_TOML=""; [ -z "$CHIP" ] || CHIP_TOML="chip = \"$CHIP\""

SEED004="AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"
P="$WORK/pki"
mkdir -p "$P"
make_ca "$P" ca

# v2 fingerprints computed from openssl's view of the certificates (lib.sh fp_openssl).
# Key A's fingerprint must not start with 00: its colon form (case d) would then store all zeros,
# a learning slot, instead of a wrong fingerprint.
for _ in 1 2 3 4 5; do
  make_server_cert "$P" keya ca 30 "DNS:localhost,IP:127.0.0.1"
  FPA=$(fp_openssl "$P/keya.crt")
  [ "${FPA:0:2}" != 00 ] && break
done
make_server_cert "$P" keyb ca 30 "DNS:localhost,IP:127.0.0.1"  # the renewal: same CA, new key
FPB=$(fp_openssl "$P/keyb.crt")
[ "${FPA:0:2}" != 00 ] && [ "$FPA" != "$FPB" ] || fail "test keys: $FPA / $FPB"
echo "broker key A: $FPA"
echo "broker key B: $FPB"

scenario() {  # scenario NAME DEVICES SEED [TOML]: $WORK/NAME.toml, CA validation unless TOML says otherwise
  cat > "$WORK/$1.toml" <<TOML
[fleet]
devices = $2
duration = "300s"
seed = $3
mode = "realtime"
connect_spread = "0s"
[device]
$CHIP_TOML
[tls]
enabled = true
client_cert = false
validation = "ca"
$4
TOML
}
start_run() {  # start_run NAME PORT: espfleet run of $WORK/NAME.toml against the broker at PORT; RUN_PID
  "$ESPFLEET" run "$WORK/$1.toml" --quiet --broker "localhost:$2" --ca "$P/ca.crt" --out "$WORK/$1" \
    > "$WORK/$1.out" 2>&1 &
  RUN_PID=$!
  PIDS+=("$RUN_PID")
}
stop_run() {  # stop_run NAME: SIGINT to the run by its pid; it writes its outputs and exits 130
  local rc=0
  kill -INT "$RUN_PID"
  wait "$RUN_PID" || rc=$?
  [ "$rc" = 130 ] || { cat "$WORK/$1.out"; fail "$1: the run exited $rc, expected 130 (stopped by SIGINT)"; }
}
start_sub() {  # start_sub FILE PORT: an independent mosquitto_sub on every LWT and RESULT; SUB_PID
  mosquitto_sub -h 127.0.0.1 -p "$2" --cafile "$P/ca.crt" -v -t 'tele/+/LWT' -t 'stat/+/RESULT' > "$1" 2>&1 &
  SUB_PID=$!
  PIDS+=("$SUB_PID")
}
stop_sub() { kill -TERM "$SUB_PID"; wait "$SUB_PID" 2>/dev/null || true; }
pub() {  # pub PORT TOPIC COMMAND PAYLOAD
  mosquitto_pub -h 127.0.0.1 -p "$1" --cafile "$P/ca.crt" -t "cmnd/$2/$3" -m "$4" || fail "mosquitto_pub $3 to $2"
}
seen() { grep -cF -- "$2" "$1" || true; }  # seen FILE TEXT: lines holding TEXT
wait_for() {  # wait_for FILE TEXT COUNT SECONDS WHAT: until COUNT lines of FILE hold TEXT
  local i
  for i in $(seq 1 $(($4 * 10))); do [ "$(seen "$1" "$2")" -ge "$3" ] && return 0; sleep 0.1; done
  cat "$1"
  fail "$5 (waited $4 s for $3 × '$2')"
}
online_topics() { grep ' Online$' "$1" | cut -d' ' -f1 | cut -d/ -f2 | sort -u; }
status_of() {  # status_of FILE TOPIC: the device's last Status reply
  grep -F "stat/$2/RESULT {\"StatusMEM\"" "$1" | tail -1
}
check_run() {  # check_run NAME PYTHON ARGS...: the Python checks (itcheck) on $WORK/NAME's outputs
  local name="$1" code="$2"; shift 2
  PYTHONPATH="$ROOT/tests/integration" python3 -c "
import json, os, re, sys
from itcheck import check, finish
run = sys.argv[1]
devs = {d['topic']: d for d in map(json.loads, open(os.path.join(run, 'devices.jsonl')))}
log = open(os.path.join(run, 'devices.log')).read().splitlines()
def lines(d, text): return [l for l in log if re.match(r'\[\s*[0-9.]+\] dev %d ' % d['id'], l) and text in l]
$code
finish()" "$WORK/$name" "$@" || fail "$name: the checks above"
}

# ---- the seed's form refused before anything runs -----------------------------------------
refused seedfp "[tls]\nvalidation = \"fingerprint\"\nfingerprint1 = \"$SEED004\"\n" \
  "ignores it (95 characters: 60 or more)" "the seed's SHA-256 string as tls.fingerprint1"
grep -qF "$WORK/seedfp.toml:3:1: tls.fingerprint1 = " "$WORK/seedfp.err" || fail "no file:line:col: $(cat "$WORK/seedfp.err")"
grep -qF "Tasmota wants the SHA-1 of the broker's public key, 20 hex bytes with spaces" \
  "$WORK/seedfp.err" || fail "the loader does not say what Tasmota wants: $(cat "$WORK/seedfp.err")"
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --quiet --out "$WORK/colonfp" \
  --set "tls.fingerprint1=$(echo "$FPA" | tr ' ' ':')" > /dev/null 2> "$WORK/colonfp.err" && fail "a colon fingerprint ran"
grep -qF "would store ${FPA:0:2} 00 00 … (strtol stops at ':')" "$WORK/colonfp.err" || fail "colon form: $(cat "$WORK/colonfp.err")"
rc=0; "$ESPFLEET" fingerprint "$SEED004" > /dev/null 2> "$WORK/cli.err" || rc=$?
[ "$rc" = 2 ] || fail "espfleet fingerprint <the seed's string> exited $rc, expected 2"
for want in "CERT 'AA:BB:CC" "a certificate's SHA-256" "MqttFingerprint1 ignores it (95 characters" "prints it"; do
  grep -qF "$want" "$WORK/cli.err" || fail "espfleet fingerprint <seed string>: no '$want' in: $(cat "$WORK/cli.err")"
done
"$ESPFLEET" fingerprint --help | grep -qF "20 hex bytes" || fail "fingerprint --help does not give the form"

# ---- a + b: a renewal with a new key --------------------------------------------------------
cp "$P/keya.crt" "$P/renew.crt"; cp "$P/keya.key" "$P/renew.key"
PA=$(free_port)
start_mosquitto "$P" "$PA" false renew; MA=$MOSQ_PID
start_sub "$WORK/renew.sub" "$PA"
scenario renew 3 41 "[[group]]
name = \"pinned\"
count = 2
tls.validation = \"fingerprint\"
tls.fingerprint1 = \"$FPA\""
start_run renew "$PA"
wait_for "$WORK/renew.sub" " Online" 3 60 "renew: the 3 devices did not come online"
for t in $(online_topics "$WORK/renew.sub"); do pub "$PA" "$t" Status ""; done
wait_for "$WORK/renew.sub" '{"StatusMEM"' 3 10 "renew: no Status replies"
CA_T=""; PINNED=()
for t in $(online_topics "$WORK/renew.sub"); do
  if status_of "$WORK/renew.sub" "$t" | grep -qF '"Validation":"CA"'; then CA_T=$t; else PINNED+=("$t"); fi
done
[ -n "$CA_T" ] && [ "${#PINNED[@]}" = 2 ] || fail "renew: expected 1 CA and 2 fingerprint devices"
UPD=${PINNED[0]}; LATE=${PINNED[1]}
echo "renew: CA device $CA_T, updated $UPD, not updated $LATE"

# The renewal: new files, SIGHUP; the sessions stay, the next handshake gets key B.
cp "$P/keyb.crt" "$P/renew.crt"; cp "$P/keyb.key" "$P/renew.key"
kill -HUP "$MA"
want_mod=$(openssl x509 -noout -modulus -in "$P/keyb.crt")
for _ in $(seq 1 50); do
  served=$(openssl s_client -connect "127.0.0.1:$PA" -servername localhost < /dev/null 2>/dev/null | openssl x509 -noout -modulus 2>/dev/null || true)
  [ "$served" = "$want_mod" ] && break
  sleep 0.1
done
[ "$served" = "$want_mod" ] || fail "renew: the broker does not serve key B after SIGHUP"

# The seed's fix, sent to one pinned device while its session stands.
pub "$PA" "$UPD" MqttFingerprint1 "$FPB"
wait_for "$WORK/renew.sub" "stat/$UPD/RESULT {\"MqttFingerprint1\":\"$FPB\"}" 1 10 "renew: no MqttFingerprint1 reply"
wait_for "$WORK/renew.sub" "tele/$UPD/LWT Online" 2 60 "renew: $UPD not back after MqttFingerprint1's restart"
pub "$PA" "$UPD" Restart 1
wait_for "$WORK/renew.sub" "stat/$UPD/RESULT {\"Restart\":\"Restarting\"}" 1 10 "renew: no Restart reply"
wait_for "$WORK/renew.sub" "tele/$UPD/LWT Online" 3 60 "renew: $UPD not back after Restart 1"
[ "$(seen "$WORK/renew.sub" "tele/$CA_T/LWT Online")" = 1 ] && [ "$(seen "$WORK/renew.sub" "tele/$LATE/LWT Online")" = 1 ] \
  || fail "renew: the devices not commanded reconnected before the broker restart"

# A broker restart: every device handshakes again, now with key B.
stop_sub
kill -TERM "$MA"; wait "$MA" 2>/dev/null || true
start_mosquitto "$P" "$PA" false renew
start_sub "$WORK/renew2.sub" "$PA"
wait_for "$WORK/renew2.sub" "tele/$UPD/LWT Online" 1 60 "renew: $UPD (pinned to B) not back after the broker restart"
wait_for "$WORK/renew2.sub" "tele/$CA_T/LWT Online" 1 60 "renew: the CA device not back after the broker restart"
sleep 12  # $LATE retries 1 s after the drop, then 10 s later: at least one handshake with key B
[ "$(seen "$WORK/renew2.sub" "tele/$LATE/LWT Online")" = 0 ] || fail "renew: $LATE, pinned to key A, connected to key B"
stop_sub
stop_run renew
check_run renew '
upd, late, ca = devs[sys.argv[2]], devs[sys.argv[3]], devs[sys.argv[4]]
fpa, fpb = sys.argv[5], sys.argv[6]
check(late["validation"] == "fingerprint" and late["fingerprint1"] == fpa, "late: still pinned to A: %s" % late["fingerprint1"])
check(late["tls_error"] == 1 and late["tls_errors"].get("1", 0) >= 1 and late["state"] != "connected",
      "late: fails with 1 (bad fingerprint): error %s, errors %s, %s" % (late["tls_error"], late["tls_errors"], late["state"]))
check(late["connects"] == 1 and late["boots"] == 1, "late: connected once, never restarted: %d, %d" % (late["connects"], late["boots"]))
check(len(lines(late, "TLS: server fingerprint %s matches neither MqttFingerprint1 nor MqttFingerprint2" % fpb)) >= 1,
      "late: the log names the new key fingerprint it refused")
check(any(re.search(r"Connect failed to .*, tls 1\. Retry in", l) for l in lines(late, "MQT: ")), "late: Connect failed … tls 1")
check(upd["fingerprint1"] == fpb and upd["tls_error"] == 0 and upd["state"] == "connected",
      "updated: pinned to B and connected: %s, error %s, %s" % (upd["fingerprint1"], upd["tls_error"], upd["state"]))
check(upd["boots"] == 3, "updated: MqttFingerprint1 restarted it, then Restart 1: %d boots" % upd["boots"])
check(upd["connects"] == 4 and "1" not in upd["tls_errors"], "updated: 4 connects, no error 1: %d, %s" % (upd["connects"], upd["tls_errors"]))
check(len(lines(upd, "APP: Restarting")) == 2, "updated: two restarts logged")
check(ca["validation"] == "ca" and ca["connects"] == 2 and ca["state"] == "connected" and ca["boots"] == 1
      and "1" not in ca["tls_errors"], "CA device: rode the renewal without a command: %d connects, %s, errors %s"
      % (ca["connects"], ca["state"], ca["tls_errors"]))
check(all("/Status = " in l for l in lines(ca, "MQT: received")), "CA device: no command but Status reached it")
' "$UPD" "$LATE" "$CA_T" "$FPA" "$FPB"

# ---- c: SetOption132 1 on CA devices; an all-zero slot learns ---------------------------------
PC=$(free_port)
start_mosquitto "$P" "$PC" false keya
start_sub "$WORK/so132.sub" "$PC"
scenario so132 2 43 "[[group]]
name = \"nolearn\"
count = 1
tls.fingerprint1 = \"\""
start_run so132 "$PC"
wait_for "$WORK/so132.sub" " Online" 2 60 "so132: the 2 devices did not come online"
for t in $(online_topics "$WORK/so132.sub"); do pub "$PC" "$t" Status ""; done
wait_for "$WORK/so132.sub" '{"StatusMEM"' 2 10 "so132: no Status replies"
LEARN=""; NOLEARN=""
for t in $(online_topics "$WORK/so132.sub"); do
  s=$(status_of "$WORK/so132.sub" "$t")
  echo "$s" | grep -qF '"Validation":"CA"' || fail "so132: $t does not start in CA mode: $s"
  if echo "$s" | grep -qF '"MqttFingerprint1":"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"'; then
    LEARN=$t; else NOLEARN=$t; fi
done
[ -n "$LEARN" ] && [ -n "$NOLEARN" ] || fail "so132: expected one all-zero slot 1 and one not"
# Restart without 1 only says how (Tasmota's CmndRestart): no restart.
pub "$PC" "$LEARN" Restart ""
wait_for "$WORK/so132.sub" "stat/$LEARN/RESULT {\"Restart\":\"1 to restart\"}" 1 10 "so132: no reply to a bare Restart"
sleep 1
[ "$(seen "$WORK/so132.sub" "tele/$LEARN/LWT Online")" = 1 ] || fail "so132: a bare Restart restarted $LEARN"
for t in "$LEARN" "$NOLEARN"; do pub "$PC" "$t" SetOption132 1; done
wait_for "$WORK/so132.sub" '{"SetOption132":"ON"}' 2 10 "so132: no SetOption132 replies"
for t in "$LEARN" "$NOLEARN"; do pub "$PC" "$t" Restart 1; done
wait_for "$WORK/so132.sub" "tele/$LEARN/LWT Online" 2 60 "so132: $LEARN not back in fingerprint mode"
pub "$PC" "$LEARN" MqttFingerprint1 ""
wait_for "$WORK/so132.sub" "stat/$LEARN/RESULT {\"MqttFingerprint1\":\"$FPA\"}" 1 10 \
  "so132: slot 1 does not hold key A's fingerprint (computed from openssl's output)"
pub "$PC" "$LEARN" Status ""
wait_for "$WORK/so132.sub" "\"Validation\":\"Fingerprint\"" 1 10 "so132: Status does not say Fingerprint"
sleep 5  # $NOLEARN's first handshake after its restart has been refused
[ "$(seen "$WORK/so132.sub" "tele/$NOLEARN/LWT Online")" = 1 ] || fail "so132: $NOLEARN connected with a non-zero slot"
stop_sub
stop_run so132
check_run so132 '
learn, nolearn, fpa = devs[sys.argv[2]], devs[sys.argv[3]], sys.argv[4]
check(learn["validation"] == "fingerprint" and learn["fingerprint1"] == fpa and learn["state"] == "connected"
      and learn["tls_error"] == 0, "learn: fingerprint mode, learned A, connected: %s %s %s" % (learn["validation"], learn["fingerprint1"], learn["state"]))
check(learn["boots"] == 2 and learn["connects"] == 2, "learn: %d boots, %d connects" % (learn["boots"], learn["connects"]))
check(len(lines(learn, "MQT: Fingerprint1 learned: " + fpa)) == 1, "learn: one learned line with A")
check(nolearn["validation"] == "fingerprint" and nolearn["fingerprint1"].startswith("DA 39 A3 EE")
      and nolearn["tls_error"] == 1 and nolearn["connects"] == 1 and nolearn["boots"] == 2,
      "nolearn: SetOption132 alone learns nothing, fails with 1: %s, error %s, %d connects" % (nolearn["fingerprint1"], nolearn["tls_error"], nolearn["connects"]))
check(not lines(nolearn, "learned"), "nolearn: nothing learned")
' "$LEARN" "$NOLEARN" "$FPA"

# ---- d: the seed's colon forms --------------------------------------------------------------
PD=$(free_port)
start_mosquitto "$P" "$PD" false keya
start_sub "$WORK/colon.sub" "$PD"
scenario colon 2 47 "[[group]]
name = \"pinned\"
count = 2
tls.validation = \"fingerprint\"
tls.fingerprint1 = \"$FPA\""
start_run colon "$PD"
wait_for "$WORK/colon.sub" " Online" 2 60 "colon: the 2 devices did not come online"
read -r LONG SHORT <<< "$(online_topics "$WORK/colon.sub" | tr '\n' ' ')"
COLON=$(echo "$FPA" | tr ' ' ':')
STORED="${FPA:0:2}$(printf ' 00%.0s' $(seq 1 19))"
[ ${#SEED004} = 95 ] && [ ${#COLON} = 59 ] || fail "colon: test strings"
pub "$PD" "$LONG" MqttFingerprint1 "$SEED004"
wait_for "$WORK/colon.sub" "stat/$LONG/RESULT {\"MqttFingerprint1\":\"$FPA\"}" 1 10 "colon: the 95-character form changed the slot"
pub "$PD" "$SHORT" MqttFingerprint1 "$COLON"
wait_for "$WORK/colon.sub" "stat/$SHORT/RESULT {\"MqttFingerprint1\":\"$STORED\"}" 1 10 "colon: 59 characters: not its first byte then zeros"
wait_for "$WORK/colon.sub" "tele/$SHORT/LWT Offline" 1 10 "colon: $SHORT did not restart"
sleep 5  # its handshake after the restart has been refused
[ "$(seen "$WORK/colon.sub" "tele/$SHORT/LWT Online")" = 1 ] || fail "colon: $SHORT connected with $STORED"
[ "$(seen "$WORK/colon.sub" "tele/$LONG/LWT")" = 1 ] || fail "colon: $LONG's session did not stay (no restart for an ignored argument)"
stop_sub
stop_run colon
check_run colon '
long, short, fpa, stored = devs[sys.argv[2]], devs[sys.argv[3]], sys.argv[4], sys.argv[5]
check(long["fingerprint1"] == fpa and long["boots"] == 1 and long["connects"] == 1 and long["state"] == "connected",
      "95 characters: ignored, no restart: %s, %d boots, %d connects, %s" % (long["fingerprint1"], long["boots"], long["connects"], long["state"]))
check(not lines(long, "APP: Restarting"), "95 characters: no restart logged")
check(short["fingerprint1"] == stored and short["boots"] == 2 and short["connects"] == 1 and short["tls_error"] == 1,
      "59 characters: stores %s, restarts, fails with 1: %s, %d boots, %d connects, error %s" % (stored, short["fingerprint1"], short["boots"], short["connects"], short["tls_error"]))
check(len(lines(short, "TLS: server fingerprint %s matches neither" % fpa)) >= 1, "59 characters: the refusal names key A")
' "$LONG" "$SHORT" "$FPA" "$STORED"
echo "PASS: seed 004 — renewal with a new key (pinned: error 1; MqttFingerprint1 + Restart 1 fix it; CA: no command), SetOption132 learning from an all-zero slot, the colon forms as Tasmota reads them"
