#!/usr/bin/env bash
# tests/integration/test_mfln.sh — a broker that ignores the TLS max_fragment_length extension
# breaks the device with BearSSL error 6 (BR_ERR_TOO_LARGE) as soon as it sends a record larger
# than the 1344 bytes the device's 1024-byte buffers hold. The device requests MFLN 2^10;
# Mosquitto 2 / OpenSSL 3 honours it, so the "no MFLN" broker is a plain Mosquitto behind
# nomfln_front.go (Go's crypto/tls, which does not implement MFLN). BearSSL checks the record
# size only once encryption is on, so the handshake completes; the failure comes with the first
# large message: a 2000-byte command published by an independent client. Control: the same
# message through a TLS Mosquitto (MFLN honoured, records split) leaves the device connected.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
command -v go >/dev/null || fail "go not found: tools/deps installs golang-go (the test's TLS front)"
P="$WORK/pki"
make_pki "$P"
GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" go build -o "$WORK/nomfln_front" "$ROOT/tests/integration/nomfln_front.go" \
  || fail "could not build nomfln_front.go"

TLSPORT="$(free_port)"; PLAINPORT="$(free_port)"; FRONTPORT="$(free_port)"
start_mosquitto "$P" "$TLSPORT" false server
start_mosquitto "$P" "$PLAINPORT" false plain
"$WORK/nomfln_front" -listen "127.0.0.1:$FRONTPORT" -upstream "127.0.0.1:$PLAINPORT" \
  -cert "$P/server.crt" -key "$P/server.key" -lifetime 60s 2> "$WORK/front.log" &
FRONT_PID=$!
PIDS+=("$FRONT_PID")
for _ in $(seq 1 50); do grep -q listening "$WORK/front.log" && break; sleep 0.1; done
grep -q listening "$WORK/front.log" || { cat "$WORK/front.log"; fail "nomfln_front did not start"; }

run_case() {  # run_case NAME PORT
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --duration 8s --quiet \
    --set fleet.connect_spread=0s --set tls.client_cert=false --broker "localhost:$2" --ca "$P/ca.crt" \
    --out "$WORK/$1" > "$WORK/$1.out" 2>&1
}
run_case nomfln "$FRONTPORT" & R1=$!
run_case direct "$TLSPORT" & R2=$!

# Independent clients: wait for each device's LWT Online, then send it a 2000-byte command.
online() {  # online PORT [TLS args...] -> the topic of the device that came online
  local port="$1"; shift
  timeout 6 mosquitto_sub -h 127.0.0.1 -p "$port" "$@" -C 1 -v -t 'tele/+/LWT' | awk '$2=="Online"{split($1,a,"/"); print a[2]}'
}
BIG=$(python3 -c 'print("x" * 2000)')
T1=$(online "$PLAINPORT"); [ -n "$T1" ] || fail "nomfln: the device did not come online through the front"
T2=$(online "$TLSPORT" --cafile "$P/ca.crt"); [ -n "$T2" ] || fail "direct: the device did not come online"
mosquitto_pub -h 127.0.0.1 -p "$PLAINPORT" -t "cmnd/$T1/Big" -m "$BIG"
mosquitto_pub -h 127.0.0.1 -p "$TLSPORT" --cafile "$P/ca.crt" -t "cmnd/$T2/Big" -m "$BIG"
wait "$R1" || { cat "$WORK/nomfln.out"; fail "nomfln: espfleet run failed"; }
wait "$R2" || { cat "$WORK/direct.out"; fail "direct: espfleet run failed"; }

sed 's/^/  front: /' "$WORK/front.log"
grep -q "handshake done" "$WORK/front.log" || fail "the device never completed a handshake with the front"
summary() {  # summary CASE -> "tls_errors connects"
  python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(json.dumps(d["tls_errors"], separators=(",",":")), d["connects"])' "$WORK/$1/devices.jsonl"
}
read -r n_errs n_conn <<< "$(summary nomfln)"
read -r d_errs d_conn <<< "$(summary direct)"
echo "nomfln (no MFLN): tls_errors $n_errs, connects $n_conn"
echo "direct (Mosquitto, MFLN honoured): tls_errors $d_errs, connects $d_conn"
grep "tls 6" "$WORK/nomfln/devices.log" | head -2
python3 -c 'import json,sys; assert json.loads(sys.argv[1]).get("6", 0) >= 1' "$n_errs" \
  || fail "nomfln: expected a drop with tls_error 6 (BR_ERR_TOO_LARGE)"
grep -q "MQT: Disconnected, rc .*, tls 6" "$WORK/nomfln/devices.log" || fail "nomfln: no 'Disconnected ... tls 6' log line"
[ "$d_errs" = "{}" ] && [ "$d_conn" = 1 ] || fail "direct: the same message over an MFLN-honouring broker dropped the device"
echo PASS
