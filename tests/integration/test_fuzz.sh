#!/usr/bin/env bash
# tests/integration/test_fuzz.sh — every fuzz target (tests/fuzz/, docs/fuzzing.md) for a few
# seconds under libFuzzer with ASan and UBSan, from its seed corpus: no crash, leak or sanitizer
# report, and each ran a real number of inputs. Long runs are tools/bench's (tools/fuzz --time).
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
"$ROOT/tools/fuzz" --all --time 3 > "$WORK/fuzz.out" 2>&1 || { cat "$WORK/fuzz.out"; fail "a fuzz target failed"; }
cat "$WORK/fuzz.out"
for t in $("$ROOT/tools/fuzz" --list); do
  n=$(grep -o "^fuzz $t: [0-9]* inputs" "$WORK/fuzz.out" | grep -o '[0-9]* inputs' | grep -o '[0-9]*' || echo 0)
  [ "${n:-0}" -ge 100 ] || fail "$t ran ${n:-0} inputs in 3 s"
done
echo "PASS: every fuzz target ran clean"
