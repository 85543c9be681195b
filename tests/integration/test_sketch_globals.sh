#!/usr/bin/env bash
# tests/integration/test_sketch_globals.sh — a user's sketch as fleet devices: tests/sketches/Counter
# (globals, a static constructor that allocates, a function-local static) built by arduino-builder
# and run as 3 devices: each keeps its own globals, and a device that restarts starts again from
# the sketch's initial values. Then sketches that cannot run are refused, naming why.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
export XDG_CACHE_HOME="$WORK/cache"  # a build of our own, not the user's cache

"$ESPFLEET" sketch build "$ROOT/tests/sketches/Counter" --json > "$WORK/build.json" 2> "$WORK/build.err" ||
  fail "sketch build: $(cat "$WORK/build.err")"
python3 - "$WORK/build.json" <<'PY' || fail "sketch build result"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["sketch"] == "Counter" and not b["cached"], b
# counter, passes, name[24], tally's pointer, the local static and its guard: at least 40 bytes
assert b["state_bytes"] >= 40 and b["constructors"] >= 1, b
PY
"$ESPFLEET" sketch build "$ROOT/tests/sketches/Counter" --json | grep -q '"cached":true' || fail "second build not cached"

"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 3 --duration 9s --mode fast --quiet \
  --firmware "$ROOT/tests/sketches/Counter" --out "$WORK/run" > "$WORK/run.out" 2>&1 || fail "run: $(cat "$WORK/run.out")"
python3 - "$WORK/run/devices.log" <<'PY' || fail "per-device globals"
import re, sys
lines = {}
for l in open(sys.argv[1]):
    m = re.match(r"\[\s*[\d.]+\] dev (\d+) (.*)", l.rstrip())
    if m: lines.setdefault(int(m.group(1)), []).append(m.group(2))
assert sorted(lines) == [0, 1, 2], sorted(lines)
names = set()
for dev, ls in lines.items():
    boots = passes = 0
    expect = None  # the pass count since this device's last boot
    for l in ls:
        if l.startswith("boot "):
            _, name, _, counter, _, tally = l.split()
            assert (int(counter), int(tally)) == (100, 7), (dev, l)  # the sketch's initial values, every boot
            names.add(name); boots += 1; expect = 1
        elif l.startswith("pass "):
            f = l.split()
            c, p, t, k = int(f[3]), int(f[5]), int(f[7]), int(f[9])
            assert (c, p, t, k) == (100 + expect, expect, 7 + 2 * expect, expect), (dev, l, expect)
            expect += 1; passes += 1
    assert boots >= 2 and passes >= 5, (dev, boots, passes)  # it restarted at least once
assert len(names) == 3, names  # ESP.getChipId() differs per device
print("per-device globals: ok", {d: len(v) for d, v in lines.items()})
PY

# Sketches that cannot run: each refused with exit 2 and a message naming why.
refused() {  # refused NAME EXPECTED-TEXT (the sketch is $WORK/sk/NAME/NAME.ino)
  local rc=0
  "$ESPFLEET" sketch build "$WORK/sk/$1" > "$WORK/$1.out" 2>&1 || rc=$?
  [ "$rc" = 2 ] || fail "$1: exit $rc, want 2: $(cat "$WORK/$1.out")"
  grep -q "$2" "$WORK/$1.out" || fail "$1: no '$2' in: $(cat "$WORK/$1.out")"
}
mkdir -p "$WORK/sk/Tls" "$WORK/sk/Missing" "$WORK/sk/NoSetup" "$WORK/sk/Broken" "$WORK/sk/Empty"
printf 'thread_local int x;\nvoid setup() { x = 1; }\nvoid loop() { x++; }\n' > "$WORK/sk/Tls/Tls.ino"
printf 'void espfleet_no_such_call();\nvoid setup() { espfleet_no_such_call(); }\nvoid loop() {}\n' \
  > "$WORK/sk/Missing/Missing.ino"
printf 'int n;\nvoid loop() { n++; }\n' > "$WORK/sk/NoSetup/NoSetup.ino"
printf 'void setup() { undeclared_thing(); }\nvoid loop() {}\n' > "$WORK/sk/Broken/Broken.ino"
refused Tls "thread-local"
refused Missing "the sketch calls espfleet_no_such_call()"
refused NoSetup "defines no setup()"
refused Broken "Broken.ino:1"
refused Empty "no Empty.ino"
# run refuses the same way, before it writes a run directory
rc=0
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --duration 1s --firmware "$WORK/sk/Tls" \
  --out "$WORK/run-refused" > "$WORK/run-refused.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "run with a refused sketch: exit $rc"
grep -q "thread-local" "$WORK/run-refused.out" || fail "run refusal: $(cat "$WORK/run-refused.out")"
[ ! -e "$WORK/run-refused" ] || fail "a refused sketch left a run directory"
echo "PASS"
