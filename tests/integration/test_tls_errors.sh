#!/usr/bin/env bash
# tests/integration/test_tls_errors.sh — the device's TLS error codes against real Mosquittos
# with crafted certificates (the error table of Tasmota's SSL/TLS page): untrusted chain 62, expired 54, wrong
# host name 56, plain MQTT port 31 (closed mid-handshake), TCP refused -1002, a stalled handshake -1005, a heap too
# small for the handshake -1000, an RSA-4096 server key 23 (the chip's 2048-bit limit), an
# EC-only server with the RSA-only profile (what the engine gives) and with SetOption165 (connects;
# but not in fingerprint mode, which forces the RSA-only profile), and a good broker as the control. Each case is one device; cases run in parallel.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
P="$WORK/pki"
make_pki "$P"
make_ca "$P" otherca
make_server_cert "$P" other "otherca" 30 "DNS:localhost"
make_server_cert "$P" selfsigned self 30 "DNS:localhost"
make_server_cert "$P" expired ca -1 "DNS:localhost"
make_server_cert "$P" wrongname ca 30 "DNS:broker.example"
make_server_cert "$P" ecserver ca 30 "DNS:localhost" ec -pkeyopt ec_paramgen_curve:P-256
make_server_cert "$P" rsa4096 ca 30 "DNS:localhost" rsa:4096

declare -A PORT
for c in good other selfsigned expired wrongname ecserver rsa4096 plain; do
  PORT[$c]="$(free_port)"
  case $c in
    good) start_mosquitto "$P" "${PORT[$c]}" false server ;;
    plain) start_mosquitto "$P" "${PORT[$c]}" false plain ;;
    *) start_mosquitto "$P" "${PORT[$c]}" false "$c" ;;
  esac
done
PORT[refused]="$(free_port)"
# A peer that accepts TCP and never answers: the handshake stalls.
PORT[stall]="$(free_port)"
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', ${PORT[stall]})); s.listen(8)
conns = []
end = time.time() + 60
s.settimeout(1)
while time.time() < end:
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
" &
PIDS+=("$!")
sleep 0.3

run_case() {  # run_case NAME PORT DURATION [extra args]
  local name="$1" port="$2" dur="$3"; shift 3
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --duration "$dur" --quiet \
    --set fleet.connect_spread=0s --set tls.client_cert=false --broker "localhost:$port" --ca "$P/ca.crt" \
    --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1
}
run_case good "${PORT[good]}" 5s &
run_case other "${PORT[other]}" 5s &
run_case selfsigned "${PORT[selfsigned]}" 5s &
run_case expired "${PORT[expired]}" 5s &
run_case wrongname "${PORT[wrongname]}" 5s &
run_case ecserver "${PORT[ecserver]}" 5s &
run_case ecdsa "${PORT[ecserver]}" 5s --set tls.ecdsa=true &
run_case ecdsa_fp "${PORT[ecserver]}" 5s --set tls.ecdsa=true --set tls.validation=fingerprint --set tls.fingerprint1=any &
run_case rsa4096 "${PORT[rsa4096]}" 5s &
run_case plain "${PORT[plain]}" 5s &
run_case refused "${PORT[refused]}" 5s &
run_case stall "${PORT[stall]}" 13s &
run_case smallheap "${PORT[good]}" 5s --set device.heap_bytes=12K &
wait_jobs=$(jobs -p | grep -v -F -x -f <(printf '%s\n' "${PIDS[@]}") || true)
for j in $wait_jobs; do wait "$j" || true; done

check() {  # check CASE EXPECTED_CODE
  local f="$WORK/$1/devices.jsonl"
  [ -f "$f" ] || { cat "$WORK/$1.out"; fail "$1: no devices.jsonl"; }
  local got
  got=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["tls_error"], d["tls_error_name"], d["connects"])' "$f")
  echo "$1: tls_error $got"
  set -- "$1" "$2" $got
  [ "$3" = "$2" ] || fail "$1: expected tls_error $2, got $3 ($4)"
  case $1 in good|ecdsa) [ "$5" -ge 1 ] || fail "$1: the device did not connect" ;; *) [ "$5" = 0 ] || fail "$1: the device connected" ;; esac
}
check good 0
[ "$(json_get "$WORK/good/summary.json" connected)" = 1 ] || fail "good: not connected"
check other 62
check selfsigned 62
check expired 54
check wrongname 56
check plain 31
check refused -1002
check stall -1005
check smallheap -1000
check rsa4096 23
check ecdsa 0
[ "$(json_get "$WORK/ecdsa/summary.json" connected)" = 1 ] || fail "ecdsa: SetOption165 device did not connect to the EC server"
# The EC-only server cannot serve ECDHE_RSA: record what the engine reports (docs/security.md).
ec=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["tls_error"])' "$WORK/ecserver/devices.jsonl")
echo "ecserver (RSA-only profile vs ECDSA certificate): tls_error $ec"
[ "$ec" != 0 ] || fail "ecserver: expected a TLS error"
ec=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["tls_error"], d["connects"])' "$WORK/ecdsa_fp/devices.jsonl")
echo "ecdsa_fp (SetOption165 but fingerprint mode vs ECDSA certificate): tls_error/connects $ec"
[ "${ec% *}" = "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["tls_error"])' "$WORK/ecserver/devices.jsonl")" ] \
  || fail "ecdsa_fp: fingerprint mode should fail as the RSA-only profile does"
echo PASS
