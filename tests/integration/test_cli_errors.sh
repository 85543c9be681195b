#!/usr/bin/env bash
# tests/integration/test_cli_errors.sh — bad input gets a clear error naming the file, line or
# field, and a non-zero exit; --help works on every command; the heap command replays a trace.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

expect_fail() {  # expect_fail PATTERN CMD... : CMD must exit non-zero and print PATTERN on stderr
  local pat="$1"; shift
  if "$@" > "$WORK/o.txt" 2> "$WORK/e.txt"; then fail "expected failure: $*"; fi
  grep -qE -- "$pat" "$WORK/e.txt" || { cat "$WORK/e.txt"; fail "stderr lacks '$pat' for: $*"; }
}

# A scenario with a bad value: the error names file:line and the key.
cat > "$WORK/bad.toml" <<'TOML'
[fleet]
devices = 3

[device]
cpu_mhz = 100
TOML
expect_fail 'bad\.toml:5:[0-9]+: device\.cpu_mhz' "$ESPFLEET" run "$WORK/bad.toml" --out "$WORK/r1"
# A misspelt key gets a suggestion.
printf '[tls]\nvaldation = "ca"\n' > "$WORK/typo.toml"
expect_fail "typo\.toml:2:.*did you mean 'tls\.validation'" "$ESPFLEET" run "$WORK/typo.toml" --out "$WORK/r2"
# A missing file.
expect_fail 'nope\.toml' "$ESPFLEET" run "$WORK/nope.toml" --out "$WORK/r3"
# --set with a bad value names the key.
expect_fail 'device\.heap_bytes' "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --set device.heap_bytes=1001 --out "$WORK/r4"
# --broker without a port; TLS to a user broker without --ca.
expect_fail 'HOST:PORT' "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --broker localhost --out "$WORK/r5"
expect_fail '--ca' "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --broker localhost:1 --set tls.client_cert=false --out "$WORK/r6"
# A broker that refuses connections: the run completes, devices report TCP connect failures (-1002).
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 2 --duration 3s --broker "localhost:$(free_port)" \
  --set tls.enabled=false --out "$WORK/r7" --quiet > /dev/null 2>&1 || fail "run against a closed port should still finish"
[ "$(json_get "$WORK/r7/summary.json" connect_failures)" -ge 2 ] || fail "closed port: no connect failures counted"

# heap: bad size, malformed line, and a good trace.
printf 'malloc a 100\n' > "$WORK/t.trace"
expect_fail 'multiple of 8' "$ESPFLEET" heap --heap-bytes 1001 "$WORK/t.trace"
printf 'malloc a 100\nfrob b\n' > "$WORK/bad.trace"
expect_fail 'bad\.trace:2:' "$ESPFLEET" heap --heap-bytes 4096 "$WORK/bad.trace"
printf '# first allocation in a fresh heap sits at offset 12\nmalloc a 100\nfree a\n' > "$WORK/ok.trace"
"$ESPFLEET" heap --heap-bytes 4096 "$WORK/ok.trace" > "$WORK/heap.out"
grep -qx '{"op": 2, "ok": true, "offset": 12, "free": 3976, "max_block": 3976, "frag": 0}' "$WORK/heap.out" \
  || { cat "$WORK/heap.out"; fail "heap trace output"; }
grep -qx '{"op": 3, "ok": true, "offset": null, "free": 4080, "max_block": 4080, "frag": 0}' "$WORK/heap.out" \
  || { cat "$WORK/heap.out"; fail "heap trace output after free"; }

# --help on every command.
for c in "" run heap; do "$ESPFLEET" $c --help > "$WORK/h.txt" || fail "--help for '$c'"; grep -q Usage "$WORK/h.txt" || grep -qi options "$WORK/h.txt" || fail "help text for '$c'"; done
echo PASS
