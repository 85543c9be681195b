#!/usr/bin/env bash
# tests/integration/test_pki_cli.sh — `espfleet pki` and `espfleet fingerprint` checked with
# tools that are not espfleet: openssl verifies the chain and re-encodes the device certificate,
# python3 recomputes the v2 fingerprint from `openssl x509 -modulus/-text`, and an
# `openssl s_server` on loopback serves the certificate to `fingerprint --connect`.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

D="$WORK/pki"

expect_fail() {  # expect_fail PATTERN CMD... : CMD must exit 2 and print PATTERN on stderr
  local pat="$1"; shift
  local rc=0
  "$@" > "$WORK/o.txt" 2> "$WORK/e.txt" || rc=$?
  [ "$rc" = 2 ] || { cat "$WORK/e.txt"; fail "expected exit 2, got $rc: $*"; }
  grep -qE -- "$pat" "$WORK/e.txt" || { cat "$WORK/e.txt"; fail "stderr lacks '$pat' for: $*"; }
}

mode_of() { stat -c %a "$1"; }

# --- pki init / server / device -------------------------------------------------------------
expect_fail "no CA in $WORK/empty: run \`espfleet pki init --dir $WORK/empty\` first" \
  "$ESPFLEET" pki server broker --dir "$WORK/empty"
expect_fail "no CA in" "$ESPFLEET" pki device dev1 --dir "$WORK/empty"

"$ESPFLEET" pki init --dir "$D" --cn "it CA" 2> "$WORK/init.err" || { cat "$WORK/init.err"; fail "pki init"; }
[ -s "$D/ca.crt" ] && [ -s "$D/ca.key" ] || fail "pki init wrote no ca.crt/ca.key"
[ "$(mode_of "$D/ca.key")" = 600 ] || fail "ca.key mode $(mode_of "$D/ca.key"), want 600"
openssl x509 -in "$D/ca.crt" -noout -subject | grep -q "CN *= *it CA" || fail "CA subject"

"$ESPFLEET" pki server server --dir "$D" > "$WORK/server.out" 2> "$WORK/server.err" \
  || { cat "$WORK/server.err"; fail "pki server"; }
[ "$(mode_of "$D/server.key")" = 600 ] || fail "server.key mode $(mode_of "$D/server.key"), want 600"
openssl x509 -in "$D/server.crt" -noout -ext subjectAltName > "$WORK/san.txt"
for want in "DNS:server" "DNS:localhost" "IP Address:127.0.0.1" "DNS:127.0.0.1"; do
  grep -q "$want" "$WORK/san.txt" || { cat "$WORK/san.txt"; fail "server SAN lacks $want"; }
done

"$ESPFLEET" pki device dev1 --dir "$D" > "$WORK/device.out" 2> "$WORK/device.err" \
  || { cat "$WORK/device.err"; fail "pki device"; }
[ "$(mode_of "$D/dev1.key")" = 600 ] || fail "dev1.key mode $(mode_of "$D/dev1.key"), want 600"
[ "$(wc -l < "$WORK/device.out")" = 2 ] || { cat "$WORK/device.out"; fail "pki device: want two lines on stdout"; }

# Refusal without --force, naming the file; --force replaces.
expect_fail "refusing to overwrite existing file $D/ca\.(crt|key) \(pass --force" "$ESPFLEET" pki init --dir "$D"
expect_fail "refusing to overwrite existing file $D/dev1\.(crt|key)" "$ESPFLEET" pki device dev1 --dir "$D"
expect_fail "refusing to overwrite existing file $D/server\.(crt|key)" "$ESPFLEET" pki server server --dir "$D"
old_sum="$(sha256sum < "$D/dev1.crt")"
"$ESPFLEET" pki device dev1 --dir "$D" --force > "$WORK/device.out" 2> "$WORK/device.err" \
  || { cat "$WORK/device.err"; fail "pki device --force"; }
[ "$(sha256sum < "$D/dev1.crt")" != "$old_sum" ] || fail "--force did not replace dev1.crt"
[ "$(mode_of "$D/dev1.key")" = 600 ] || fail "dev1.key mode after --force $(mode_of "$D/dev1.key"), want 600"
expect_fail "'ca'" "$ESPFLEET" pki server ca --dir "$D" --force
expect_fail "--ca-cert and --ca-key go together" "$ESPFLEET" pki device dev2 --dir "$D" --ca-cert "$D/ca.crt"

# A device signed by an explicit CA elsewhere.
"$ESPFLEET" pki device dev2 --dir "$WORK/other" --ca-cert "$D/ca.crt" --ca-key "$D/ca.key" > /dev/null 2>&1 \
  || fail "pki device --ca-cert/--ca-key"

# The chain, checked by openssl.
openssl verify -CAfile "$D/ca.crt" "$D/server.crt" "$D/dev1.crt" "$WORK/other/dev2.crt" > "$WORK/verify.txt" 2>&1 \
  || { cat "$WORK/verify.txt"; fail "openssl verify"; }
openssl verify -CAfile "$D/ca.crt" -purpose sslserver "$D/server.crt" > /dev/null 2>&1 || fail "server cert not for sslserver"
openssl verify -CAfile "$D/ca.crt" -purpose sslclient "$D/dev1.crt" > /dev/null 2>&1 || fail "device cert not for sslclient"

# TLSKey1: the raw 32-byte P-256 scalar of dev1.key; TLSKey2: dev1.crt as DER.
grep -q '^TLSKey1 ' "$WORK/device.out" || fail "no TLSKey1 line"
grep -q '^TLSKey2 ' "$WORK/device.out" || fail "no TLSKey2 line"
sed -n 's/^TLSKey1 //p' "$WORK/device.out" | base64 -d > "$WORK/key1.bin" || fail "TLSKey1 is not base64"
[ "$(stat -c %s "$WORK/key1.bin")" = 32 ] || fail "TLSKey1 decodes to $(stat -c %s "$WORK/key1.bin") bytes, want 32"
openssl pkey -in "$D/dev1.key" -noout -text > "$WORK/dev1.keytext"
python3 - "$WORK/dev1.keytext" "$WORK/key1.bin" <<'PY' || fail "TLSKey1 is not dev1.key's private scalar"
import re, sys
text = open(sys.argv[1]).read()
priv = re.search(r"priv:\s*(.*?)\s*pub:", text, re.S).group(1)
want = int(re.sub(r"[^0-9a-fA-F]", "", priv), 16)
got = int.from_bytes(open(sys.argv[2], "rb").read(), "big")
sys.exit(0 if want == got else 1)
PY
sed -n 's/^TLSKey2 //p' "$WORK/device.out" | base64 -d > "$WORK/key2.der" || fail "TLSKey2 is not base64"
openssl x509 -in "$D/dev1.crt" -outform DER -out "$WORK/dev1.der"
cmp -s "$WORK/key2.der" "$WORK/dev1.der" || fail "TLSKey2 does not decode to dev1.crt's DER"

# --- fingerprint from a file -----------------------------------------------------------------
# Independent v2: SHA-1 over u32be-length-prefixed "ssh-rsa", e, n (minimal big-endian integers).
openssl x509 -in "$D/server.crt" -noout -modulus > "$WORK/modulus.txt"
openssl x509 -in "$D/server.crt" -noout -text > "$WORK/text.txt"
want="$(python3 - "$WORK/modulus.txt" "$WORK/text.txt" <<'PY'
import hashlib, re, struct, sys
n = int(open(sys.argv[1]).read().strip().split("=", 1)[1], 16)
e = int(re.search(r"Exponent: (\d+)", open(sys.argv[2]).read()).group(1))
def item(b): return struct.pack(">I", len(b)) + b
def minimal(i): return i.to_bytes((i.bit_length() + 7) // 8, "big")
d = hashlib.sha1(item(b"ssh-rsa") + item(minimal(e)) + item(minimal(n))).digest()
print(" ".join("%02X" % b for b in d))
PY
)"
[ -n "$want" ] || fail "python fingerprint"

"$ESPFLEET" fingerprint "$D/server.crt" > "$WORK/fp.out" 2> "$WORK/fp.err" || { cat "$WORK/fp.err"; fail "fingerprint server.crt"; }
[ "$(sed -n 1p "$WORK/fp.out")" = "$want" ] || { cat "$WORK/fp.out"; echo "want $want"; fail "fingerprint differs from python's"; }
[ "$(sed -n 2p "$WORK/fp.out")" = "MqttFingerprint1 $want" ] || { cat "$WORK/fp.out"; fail "command line"; }
[ "$(cat "$WORK/server.out")" = "MqttFingerprint1 $want" ] || { cat "$WORK/server.out"; fail "pki server's MqttFingerprint1 line"; }

"$ESPFLEET" fingerprint --slot 2 "$WORK/dev1.der" > /dev/null 2>&1 && fail "fingerprint of an EC device cert should fail"
openssl x509 -in "$D/server.crt" -outform DER -out "$WORK/server.der"
"$ESPFLEET" fingerprint --slot 2 "$WORK/server.der" > "$WORK/fp2.out" || fail "fingerprint of a DER file"
[ "$(sed -n 2p "$WORK/fp2.out")" = "MqttFingerprint2 $want" ] || { cat "$WORK/fp2.out"; fail "DER / --slot 2"; }

"$ESPFLEET" fingerprint --json "$D/server.crt" > "$WORK/fp.json" || fail "fingerprint --json"
[ "$(json_get "$WORK/fp.json" fingerprint)" = "$want" ] || fail "json fingerprint"
[ "$(json_get "$WORK/fp.json" command)" = "MqttFingerprint1 $want" ] || fail "json command"
[ "$(json_get "$WORK/fp.json" key)" = "RSA-2048" ] || fail "json key: $(json_get "$WORK/fp.json" key)"
[ "$(json_get "$WORK/fp.json" subject)" = "CN=server" ] || fail "json subject: $(json_get "$WORK/fp.json" subject)"

expect_fail "dev1\.crt: fingerprint v2 is defined for RSA keys only \(this certificate has an EC key\)" \
  "$ESPFLEET" fingerprint "$D/dev1.crt"
expect_fail "$WORK/nope\.crt" "$ESPFLEET" fingerprint "$WORK/nope.crt"
expect_fail "server\.key: holds a private key" "$ESPFLEET" fingerprint "$D/server.key"
printf 'hello\n' > "$WORK/junk.crt"
expect_fail "junk\.crt: not a certificate" "$ESPFLEET" fingerprint "$WORK/junk.crt"
expect_fail "certificate file or --connect" "$ESPFLEET" fingerprint

# --- fingerprint --connect -------------------------------------------------------------------
closed="$(free_port)"
expect_fail "127\.0\.0\.1:$closed: cannot connect: Connection refused" \
  "$ESPFLEET" fingerprint --connect "127.0.0.1:$closed" --timeout 2s

port="$(free_port)"
openssl s_server -accept "127.0.0.1:$port" -cert "$D/server.crt" -key "$D/server.key" -www -quiet \
  < /dev/null > "$WORK/s_server.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
ok=0
for _ in $(seq 1 50); do
  if "$ESPFLEET" fingerprint --connect "127.0.0.1:$port" --timeout 2s > "$WORK/conn.out" 2> "$WORK/conn.err"; then ok=1; break; fi
  kill -0 "$SPID" 2>/dev/null || { cat "$WORK/s_server.log"; fail "openssl s_server exited"; }
  sleep 0.1
done
[ "$ok" = 1 ] || { cat "$WORK/conn.err"; fail "fingerprint --connect never succeeded"; }
[ "$(sed -n 1p "$WORK/conn.out")" = "$want" ] || { cat "$WORK/conn.out"; fail "--connect fingerprint differs"; }
[ "$(sed -n 2p "$WORK/conn.out")" = "MqttFingerprint1 $want" ] || fail "--connect command line"
"$ESPFLEET" fingerprint --json --connect "localhost:$port" > "$WORK/conn.json" || fail "--connect --json (by name)"
[ "$(json_get "$WORK/conn.json" fingerprint)" = "$want" ] || fail "--connect --json fingerprint"
kill "$SPID" 2>/dev/null || true

# A port that accepts TCP but never answers the ClientHello: the handshake times out.
silent="$(free_port)"
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$silent)); s.listen(4); time.sleep(60)" &
PIDS+=("$!")
for _ in $(seq 1 50); do
  python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$silent)))" 2>/dev/null && break
  sleep 0.1
done
expect_fail "127\.0\.0\.1:$silent: TLS handshake timed out after 300ms" \
  "$ESPFLEET" fingerprint --connect "127.0.0.1:$silent" --timeout 300ms

echo PASS
