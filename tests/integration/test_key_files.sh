#!/usr/bin/env bash
# tests/integration/test_key_files.sh — every file of a run directory that holds a private key is
# for the owner only (0600), and so are the folders that hold them (0700), whatever the umask:
# tapes/ID.flash carries the device's TLSKey1 (its raw P-256 key) and certificate — with
# --device-ca-* credentials for the user's real broker — and pki/ the CA's and broker's keys.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
umask 000
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 3 --mode fast --duration 10s --quiet --out "$WORK/r" \
  > /dev/null 2>&1 || fail "run failed"
mode() { stat -c %a "$1"; }
for d in "$WORK/r/tapes" "$WORK/r/pki"; do [ "$(mode "$d")" = 700 ] || fail "$d is $(mode "$d"), expected 700"; done
for f in "$WORK"/r/tapes/*.flash "$WORK"/r/tapes/*.tape "$WORK"/r/pki/*.key; do
  [ "$(mode "$f")" = 600 ] || fail "$f is $(mode "$f"), expected 600"
done
# The flash really holds the key: the device certificate's DER is in it.
python3 - "$WORK/r/tapes/0.flash" <<'PY' || fail "0.flash holds no client certificate (the test would prove nothing)"
import sys
data = open(sys.argv[1], "rb").read()
assert b"DVES_" in data, "no device certificate (CN DVES_...) in the flash"
PY
echo "tapes/ and pki/ are 0700; flash images, tapes and keys 0600 under umask 000"
echo PASS
