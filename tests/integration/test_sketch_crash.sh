#!/usr/bin/env bash
# tests/integration/test_sketch_crash.sh — a sketch's bug as a contained crash: tests/sketches/Crasher
# writes through a null pointer when its button is pressed, and the scenario presses it
# (sketch.gpio_inputs) on every device, at a time of its own. Each device crashes as the chip does
# — an exception with its post-mortem, a reboot that says why — and only itself; the run goes on,
# counts the crashes by reason, and draws each crashed heap; `replay --until-crash` runs one device
# again to the same crash digest.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
export XDG_CACHE_HOME="$WORK/cache"
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 4 --duration 8s --mode fast --quiet \
  --set tls.enabled=false --set 'sketch.gpio_inputs=["0=0 at=2s for=100ms spread=3s"]' \
  --firmware "$ROOT/tests/sketches/Crasher" --out "$WORK/run" > "$WORK/run.out" 2>&1 || fail "run: $(cat "$WORK/run.out")"
python3 - "$WORK/run" <<'PY' || fail "contained crashes"
import json, os, re, sys
run = sys.argv[1]
devices = [json.loads(l) for l in open(run + "/devices.jsonl")]
assert len(devices) == 4
times = set()
for d in devices:
    assert d["crashes"] == 1, d
    assert d["crash_codes"] == [2] and d["crash_reasons"][0].startswith("Exception 29 (StoreProhibited)"), d
    assert d["boots"] == 2, d
log = open(run + "/devices.log").read()
for d in devices:
    mine = [l for l in log.splitlines() if re.search(r"\] dev %d " % d["id"], l)]
    text = "\n".join(mine)
    assert "button pressed (1)" in text and "Exception (29):" in text and ">>>stack>>>" in text, text[-800:]
    assert "boot, reset reason: Power On" in text and "boot, reset reason: Exception" in text, text[-800:]
    pressed = [float(re.match(r"\[\s*([0-9.]+)\]", l).group(1)) for l in mine if "button pressed" in l]
    assert 2.0 <= pressed[0] < 5.1, pressed
    times.add(round(pressed[0], 2))
assert len(times) > 1, times  # each device pressed at a time of its own (spread)
s = json.load(open(run + "/summary.json"))
assert s["crashes"] == 4, s
assert sum(s["crashes_by_reason"].values()) == 4, s["crashes_by_reason"]
svgs = [f for f in os.listdir(run + "/heap") if f.endswith(".svg")] if os.path.isdir(run + "/heap") else []
assert len(svgs) == 4, svgs
print("contained crashes: 4 devices, one Exception 29 each, rebooted; by reason", s["crashes_by_reason"])
PY
digest=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["crash_digests"][0])' "$WORK/run/devices.jsonl")
"$ESPFLEET" replay "$WORK/run" --device 0 --until-crash > "$WORK/replay.out" 2>&1 || fail "replay: $(cat "$WORK/replay.out")"
grep -q "Exception 29" "$WORK/replay.out" && grep -q "digest $digest" "$WORK/replay.out" ||
  fail "replay did not reach the same crash ($digest): $(cat "$WORK/replay.out")"
echo "replay: the same crash, digest $digest"
echo "PASS"
