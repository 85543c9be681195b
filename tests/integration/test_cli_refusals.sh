#!/usr/bin/env bash
# tests/integration/test_cli_refusals.sh — the smaller ways bad input slipped through, each now
# a clear message naming the option, file or line (and exit 2 where it is fatal):
# --devices -1; CLI usage errors exit 2; huge values and floods of bad keys are cut and counted;
# a directory, FIFO or /dev/null as the scenario; `heap` on a directory; `--ca DIR`; --duration
# named as itself; `replay --log` into a directory that does not exist; a tape whose header
# announces more bytes than the file holds; a damaged devices.jsonl; --ca / --device-ca-* without
# a broker of one's own; an expired --ca; a one-digit fingerprint byte; `profile --rtt 2h`;
# `heap` freeing an unknown id or twice.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
Q="$ROOT/scenarios/quickstart.toml"

expect_fail() {  # expect_fail PATTERN CMD... : exit 2 and PATTERN on stderr
  local pat="$1"; shift
  local rc=0
  "$@" > "$WORK/o.txt" 2> "$WORK/e.txt" || rc=$?
  [ "$rc" = 2 ] || { cat "$WORK/e.txt"; fail "expected exit 2, got $rc: $*"; }
  grep -qE -- "$pat" "$WORK/e.txt" || { cat "$WORK/e.txt"; fail "stderr lacks '$pat' for: $*"; }
}

# --devices -1 is refused, named as the option.
expect_fail '^espfleet run: --devices -1: must be between 1 and' "$ESPFLEET" run "$Q" --devices -1 --out "$WORK/a1"
# --duration is named as itself, not as a --set.
expect_fail '^espfleet run: --duration -5s: must not be negative' "$ESPFLEET" run "$Q" --duration -5s --out "$WORK/a2"
# A CLI usage error exits 2 (not CLI11's 104–114).
expect_fail 'not expected' "$ESPFLEET" run "$Q" --dur 1s
expect_fail 'required' "$ESPFLEET" replay

# A multi-megabyte value is cut in the message; 120,000 bad keys give a bounded message.
python3 -c 'print("[fleet]\nmode = \"" + "x" * 5000000 + "\"")' > "$WORK/huge.toml"
expect_fail 'fleet\.mode = "x+… \(5000002 characters\)' "$ESPFLEET" run "$WORK/huge.toml" --out "$WORK/a3"
[ "$(wc -c < "$WORK/e.txt")" -lt 2000 ] || fail "a 5 MB value is echoed in full ($(wc -c < "$WORK/e.txt") bytes)"
python3 -c 'print("\n".join("bad_key_%d = 1" % i for i in range(120000)))' > "$WORK/flood.toml"
expect_fail '… and 119980 more problems' "$ESPFLEET" run "$WORK/flood.toml" --out "$WORK/a4"
[ "$(wc -l < "$WORK/e.txt")" -le 25 ] || fail "120,000 bad keys print $(wc -l < "$WORK/e.txt") lines"

# Not a scenario file: a directory, a FIFO, /dev/null — refused before any run directory exists.
mkdir -p "$WORK/adir"
mkfifo "$WORK/afifo"
expect_fail "adir: is a directory, not a scenario file" "$ESPFLEET" run "$WORK/adir" --out "$WORK/a5"
expect_fail "afifo: is not a regular file" "$ESPFLEET" run "$WORK/afifo" --out "$WORK/a6"
expect_fail "/dev/null: is not a regular file" "$ESPFLEET" run /dev/null --out "$WORK/a7"
for d in a1 a2 a3 a4 a5 a6 a7; do [ ! -e "$WORK/$d" ] || fail "a refused run left the directory $d"; done

# heap on a directory.
expect_fail "adir: is a directory, not a trace file" "$ESPFLEET" heap "$WORK/adir"

# --ca DIR names the option and the path; --ca / --device-ca-* need a broker of one's own.
expect_fail "^espfleet run: --ca $WORK/adir: is a directory" "$ESPFLEET" run "$Q" --broker localhost:1 --ca "$WORK/adir" --out "$WORK/a8"
P="$WORK/pki"
make_pki "$P"
expect_fail "--ca $P/ca.crt: is for a broker of yours" "$ESPFLEET" run "$Q" --ca "$P/ca.crt" --out "$WORK/a9"
expect_fail "--device-ca-cert $P/ca.crt: is for a broker of yours" "$ESPFLEET" run "$Q" \
  --device-ca-cert "$P/ca.crt" --device-ca-key "$P/ca.key" --out "$WORK/a10"

# An expired --ca: a warning at start (BearSSL trust anchors carry no dates).
make_server_cert "$P" oldca self -1 DNS:old
"$ESPFLEET" run "$Q" --devices 1 --duration 1s --mode fast --broker "localhost:$(free_port)" --ca "$P/oldca.crt" \
  --set tls.client_cert=false --quiet --out "$WORK/a11" > /dev/null 2> "$WORK/e.txt" || true
grep -qE "warning: --ca $P/oldca.crt: certificate 1 \(CN=oldca\) expired on [0-9-]+ .*trust anchor carries no dates" "$WORK/e.txt" \
  || { cat "$WORK/e.txt"; fail "an expired --ca drew no warning"; }

# A one-digit fingerprint byte.
expect_fail "byte 1 'B' has one hex digit" "$ESPFLEET" run "$Q" --out "$WORK/a12" \
  --set 'tls.fingerprint1="B F1 83 4F 11 23 65 0B 32 36 FC 07 A5 02 FF 13 99 9F 8B 39"'

# profile --rtt beyond net.rtt's range.
expect_fail "--rtt 2h: must be at most 1m" "$ESPFLEET" profile --rtt 2h

# replay: --log into a directory that does not exist; a tape announcing more than it holds; a
# damaged devices.jsonl (named, and the replay is not compared).
"$ESPFLEET" run "$Q" --devices 2 --mode fast --duration 20s --quiet --out "$WORK/r" > /dev/null 2>&1 || fail "run r"
expect_fail "--log $WORK/no/such/dir/x.log: $WORK/no/such/dir is not a directory" \
  "$ESPFLEET" replay "$WORK/r" --device 0 --log "$WORK/no/such/dir/x.log"
[ ! -e "$WORK/no" ] || fail "replay --log created directories"
python3 - "$WORK/r/tapes/1.tape" <<'PY'
import re, sys
p = sys.argv[1]
data = open(p, "rb").read()
data = re.sub(rb'"event_bytes":\d+', b'"event_bytes":99999999999999', data, count=1)
open(p, "wb").write(data)
PY
expect_fail "tapes/1.tape: the tape is cut short \(its header announces 99999999999999 event bytes" \
  "$ESPFLEET" replay "$WORK/r" --device 1
sed -i '1s/.*/{"id": 0, "digest": "0000/' "$WORK/r/devices.jsonl"
"$ESPFLEET" replay "$WORK/r" --device 0 > "$WORK/o.txt" 2> "$WORK/e.txt" || true
grep -q "devices.jsonl line 1 is damaged" "$WORK/e.txt" && grep -q "not compared (.*devices.jsonl line 1 is damaged" "$WORK/o.txt" \
  || { cat "$WORK/o.txt" "$WORK/e.txt"; fail "a damaged devices.jsonl is not named"; }

# heap: an unknown id and a double free are said in the op's JSON.
printf 'malloc a 8\nfree a\nfree a\nfree zz\n' > "$WORK/t.trace"
"$ESPFLEET" heap "$WORK/t.trace" > "$WORK/h.txt" || fail "heap"
grep -q '"op": 3, .*"warning": "double free: a was freed on line 2' "$WORK/h.txt" || { cat "$WORK/h.txt"; fail "double free"; }
grep -q '"op": 4, .*"warning": "free of zz, which no line allocated' "$WORK/h.txt" || { cat "$WORK/h.txt"; fail "unknown id"; }
echo PASS
