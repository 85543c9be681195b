#!/usr/bin/env bash
# tests/integration/test_run_dir_reuse.sh — one run per run directory: --out naming a directory
# that holds an earlier run is refused (named, with what to do), so stale tapes and heap maps can
# never mix with a new run's and make replay say DIFFERENT; --force clears it first; a
# non-empty directory that is not a run is refused even with --force.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
run() { "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --mode fast --duration 20s --quiet --out "$WORK/r" "$@"; }

run --devices 4 > /dev/null 2>&1 || fail "the first run failed"
touch "$WORK/r/heap-map-of-an-earlier-crash.svg"
if run --devices 2 > /dev/null 2> "$WORK/e.txt"; then fail "a second run into the same --out was accepted"; fi
grep -q -- "--out $WORK/r: holds an earlier run" "$WORK/e.txt" && grep -q -- "--force" "$WORK/e.txt" \
  || { cat "$WORK/e.txt"; fail "the refusal does not name the directory and --force"; }
[ "$(ls "$WORK/r/tapes" | grep -c '\.tape$')" = 4 ] || fail "the refused run touched the earlier run's tapes"

run --devices 2 --force > /dev/null 2>&1 || fail "--force did not reuse the directory"
[ ! -e "$WORK/r/heap-map-of-an-earlier-crash.svg" ] || fail "--force left a file of the earlier run"
[ "$(ls "$WORK/r/tapes" | grep -c '\.tape$')" = 2 ] || fail "--force: tapes of the earlier run are left"
for id in 0 1; do
  "$ESPFLEET" replay "$WORK/r" --device "$id" > "$WORK/rp.txt" 2>&1 || { cat "$WORK/rp.txt"; fail "replay $id after --force"; }
  grep -q "same as recorded" "$WORK/rp.txt" || { cat "$WORK/rp.txt"; fail "replay $id after --force differs"; }
done

mkdir -p "$WORK/mine" && echo "my notes" > "$WORK/mine/notes.txt"
if "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --mode fast --duration 5s --quiet --force \
     --out "$WORK/mine" > /dev/null 2> "$WORK/e2.txt"; then fail "a non-empty directory that is no run was used"; fi
grep -q "is not empty and holds no espfleet run" "$WORK/e2.txt" || { cat "$WORK/e2.txt"; fail "refusal of a foreign directory"; }
[ -f "$WORK/mine/notes.txt" ] || fail "--force removed a file that was not espfleet's"
echo PASS
