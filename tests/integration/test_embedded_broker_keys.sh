#!/usr/bin/env bash
# tests/integration/test_embedded_broker_keys.sh — the embedded broker's scenario keys:
# broker.server_key (rsa2048 | rsa4096 | ec256) and broker.require_certificate, each against the
# device profile it meets: RSA-4096 → 23 (the chip's 2048-bit limit); EC P-256 with SetOption165
# connects, with the RSA-only profile fails with the broker's alert (296); no client
# certificates with require_certificate = false connects.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

run_case() {  # run_case NAME [args]
  local name="$1"; shift
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 2 --duration 5s --quiet \
    --set fleet.connect_spread=0s --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1 \
    || { cat "$WORK/$name.out"; echo "FAIL: $name: espfleet run failed" >&2; exit 1; }
}
run_case rsa4096 --set broker.server_key=rsa4096 & R1=$!
run_case ec_ecdsa --set broker.server_key=ec256 --set tls.ecdsa=true & R2=$!
run_case ec_rsaonly --set broker.server_key=ec256 & R3=$!
run_case nocert --set broker.require_certificate=false --set tls.client_cert=false & R4=$!
for r in "$R1" "$R2" "$R3" "$R4"; do wait "$r" || fail "a run failed"; done

codes() {  # codes CASE -> the devices' tls_error values, space-separated
  python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["tls_error"]) for l in open(sys.argv[1])))' "$WORK/$1/devices.jsonl"
}
for c in rsa4096 ec_ecdsa ec_rsaonly nocert; do
  echo "$c: tls_error $(codes "$c"), connected $(json_get "$WORK/$c/summary.json" connected)/2"
done
[ "$(codes rsa4096)" = "23 23" ] || fail "rsa4096: expected 23 (BR_ERR_LIMIT_EXCEEDED) on both devices"
[ "$(json_get "$WORK/rsa4096/summary.json" ever_connected)" = 0 ] || fail "rsa4096: a device connected"
[ "$(json_get "$WORK/ec_ecdsa/summary.json" connected)" = 2 ] || fail "ec_ecdsa: SetOption165 devices did not connect to an EC broker"
[ "$(codes ec_rsaonly)" = "296 296" ] || fail "ec_rsaonly: expected the broker's handshake_failure alert (296)"
[ "$(json_get "$WORK/nocert/summary.json" connected)" = 2 ] || fail "nocert: devices without certificates did not connect"
echo PASS
