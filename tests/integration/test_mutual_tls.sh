#!/usr/bin/env bash
# tests/integration/test_mutual_tls.sh — the broker of Tasmota's self-signed CA guide (require_certificate,
# use_identity_as_username): a device without a certificate and a device whose certificate comes
# from another CA are refused (the device records the broker's alert: 296 / 304); an accepted device's broker username is its certificate CN (its
# client id), as Mosquitto's own log shows.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
P="$WORK/pki"
make_pki "$P"
make_ca "$P" otherca
PORT="$(free_port)"
start_mosquitto "$P" "$PORT" true server
LOG="$P/mosquitto-$PORT.log"

run() {  # run NAME [args]
  local name="$1"; shift
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 2 --duration 5s --quiet \
    --set fleet.connect_spread=0s --broker "localhost:$PORT" --ca "$P/ca.crt" --out "$WORK/$name" "$@" \
    > "$WORK/$name.out" 2>&1 || { cat "$WORK/$name.out"; fail "$name: espfleet run failed"; }
}
run nocert --set tls.client_cert=false & R1=$!
run otherca --device-ca-cert "$P/otherca.crt" --device-ca-key "$P/otherca.key" & R2=$!
run good --device-ca-cert "$P/ca.crt" --device-ca-key "$P/ca.key" & R3=$!
for r in "$R1" "$R2" "$R3"; do wait "$r" || fail "a run failed (see above)"; done

for c in nocert otherca; do
  n=$(json_get "$WORK/$c/summary.json" ever_connected)
  [ "$n" = 0 ] || fail "$c: $n devices connected to a broker that requires a certificate from its CA"
  python3 - "$WORK/$c/devices.jsonl" "$c" <<'PY' || fail "$c: refusal not reported in devices.jsonl"
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert d["connects"] == 0 and d["connect_failures"] >= 1, d
    # OpenSSL's alerts: no certificate -> handshake_failure (40), unknown CA -> unknown_ca (48).
    want = {"nocert": 256 + 40, "otherca": 256 + 48}[sys.argv[2]]
    assert d["tls_error"] == want, (want, d)
    print(sys.argv[2], d["client_id"], "refused: tls_error", d["tls_error"], d["tls_error_name"])
PY
done
# The broker's own account of why (independent of espfleet): one line per refused device.
n=$(grep -c "peer did not return a certificate" "$LOG" || true)
[ "$n" -ge 2 ] || { cat "$LOG"; fail "nocert: broker log shows $n 'peer did not return a certificate' refusals, expected >= 2"; }
n=$(grep -c "certificate verify failed" "$LOG" || true)
[ "$n" -ge 2 ] || { cat "$LOG"; fail "otherca: broker log shows $n 'certificate verify failed' refusals, expected >= 2"; }
echo "broker: refused the certificate-less and the other-CA devices"
[ "$(json_get "$WORK/good/summary.json" connected)" = 2 ] || fail "good: devices with certificates from the broker's CA did not connect"
for id in $(python3 -c 'import json,sys; [print(json.loads(l)["client_id"]) for l in open(sys.argv[1])]' "$WORK/good/devices.jsonl"); do
  grep -q "as $id (p2, c1, k30, u'$id')" "$LOG" || { grep "New client" "$LOG"; fail "broker username of $id is not its certificate CN"; }
  echo "broker: $id connected with username u'$id' (certificate CN)"
done
echo PASS
