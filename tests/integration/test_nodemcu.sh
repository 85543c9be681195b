#!/usr/bin/env bash
# tests/integration/test_nodemcu.sh — NodeMCU projects (tests/nodemcu/*, init.lua and the files it
# loads) as fleet devices, `--firmware DIR` with the embedded Mosquitto: every device runs its own
# Lua 5.1 state on its SDK heap; NodeMCU's timers fire as its docs say (ALARM_AUTO each second,
# ALARM_SINGLE once and then unregistered, ALARM_SEMI again only when started again); require
# loads a module from the device's files; a failing callback prints its traceback and restarts the
# device 2 s later; a script that exhausts the heap gets "out of memory" and a restart, and
# replay reproduces that device's history; an init.lua that does not compile is reported and the
# device stays up; a folder with neither NAME.ino nor init.lua is refused, naming both.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

printf '[fleet]\ndevices = 10\nduration = "12s"\nmode = "fast"\nseed = 7\n[tls]\nenabled = false\n' > "$WORK/fleet.toml"
nodemcu_run() {  # PROJECT DEVICES: a run of tests/nodemcu/PROJECT into $WORK/PROJECT
  "$ESPFLEET" run "$WORK/fleet.toml" --devices "$2" --firmware "$ROOT/tests/nodemcu/$1" --quiet --out "$WORK/$1" \
    > "$WORK/$1.out" 2>&1 || fail "the $1 run: $(cat "$WORK/$1.out")"
}
nodemcu_run timers 10
nodemcu_run cb_error 2
nodemcu_run oom 2
nodemcu_run syntax 2
nodemcu_run files 2
nodemcu_run sjson 1

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "the NodeMCU devices"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]

def logs(project):
    out = {}
    for l in open(os.path.join(w, project, "devices.log")):
        m = re.match(r"\[\s*([\d.]+)\] dev (\d+) (.*)", l.rstrip("\n"))
        if m:
            out.setdefault(int(m.group(2)), []).append((float(m.group(1)), m.group(3)))
    return out

def devices(project):
    return [json.loads(l) for l in open(os.path.join(w, project, "devices.jsonl"))]

# Timers: each device's own state; ticks a second apart; the single one once, then unregistered.
t = logs("timers")
check(sorted(t) == list(range(10)), "all 10 devices logged: %s" % sorted(t))
chips = set()
for dev, lines in t.items():
    text = [s for _, s in lines]
    ready = [s for s in text if s.startswith("ready ")]
    check(len(ready) == 1, "dev %d: init.lua ran once: %s" % (dev, ready))
    chips.add(ready[0].split()[1])
    ticks = [(at, s) for at, s in lines if re.search(r"tick \d+ heap \d+ at \d+ ms$", s)]
    check(len(ticks) >= 8, "dev %d: ticks each second (%d)" % (dev, len(ticks)))
    gaps = {round(b[0] - a[0], 3) for a, b in zip(ticks, ticks[1:])}
    check(gaps == {1.0}, "dev %d: ALARM_AUTO every 1000 ms: %s" % (dev, gaps))
    check(all(int(re.search(r"tick (\d+)", s).group(1)) == i + 1 for i, (_, s) in enumerate(ticks)),
          "dev %d: its own tick count" % dev)
    check(text.count("single fired, state nil") == 1, "dev %d: ALARM_SINGLE once, unregistered after" % dev)
    check("semi start true again false" in text, "dev %d: a running SEMI timer does not start twice" % dev)
    semis = [s for s in text if s.startswith("semi ") and "running" in s]
    check(semis[:2] == ["semi 1 running false mode 2", "semi 2 running false mode 2"],
          "dev %d: ALARM_SEMI idle after each run, started again from its callback: %s" % (dev, semis))
    heap = [int(re.search(r"heap (\d+)", s).group(1)) for _, s in ticks]
    check(all(0 < h < 49152 for h in heap), "dev %d: node.heap() is the device heap's: %s" % (dev, heap[:3]))
    # The libraries are in "flash": after boot the state and the script hold a few KB of the heap.
    boot_heap = int(ready[0].split()[3])
    check(36000 < boot_heap < 49152 - 8, "dev %d: %d B free after boot" % (dev, boot_heap))
check(len(chips) == 10, "node.chipid() differs per device: %s" % sorted(chips))
for d in devices("timers"):
    check(d["boots"] == 1 and d["crashes"] == 0, "dev %d: no restart, no crash" % d["id"])

# A failing callback: the traceback, then NodeMCU's restart 2 s later, again and again.
for dev, lines in logs("cb_error").items():
    err = [at for at, s in lines if s.endswith("init.lua:6: attempt to index local 'cfg' (a nil value)")]
    restarts = [at for at, s in lines if s == "reset reason 4: ESP.restart()"]
    check(len(err) >= 2 and any(s == "\tinit.lua:6: in function <init.lua:4>" for _, s in lines),
          "dev %d: the error and its traceback, every boot" % dev)
    check(restarts and abs(restarts[0] - err[0] - 2.0) < 0.001, "dev %d: restarted 2 s after the error" % dev)
for d in devices("cb_error"):
    check(d["boots"] >= 3 and d["crashes"] == 0, "dev %d: software restarts, not crashes: %d boots" % (d["id"], d["boots"]))

# Out of memory: reported, then the restart; the heap really was exhausted.
for dev, lines in logs("oom").items():
    text = [s for _, s in lines]
    first = next(i for i, s in enumerate(text) if s.endswith("out of memory"))
    check(any(s.startswith("held ") for s in text[:first]), "dev %d: it held strings before" % dev)
    check("reset reason 4: ESP.restart()" in text[first:], "dev %d: restarted after running out" % dev)
for d in devices("oom"):
    # Down to a sixth of the 48 KB heap (the table's next array part is what no longer fits).
    check(d["heap_free_min"] < 8192 and d["boots"] >= 2, "dev %d: heap free min %d, %d boots" % (d["id"], d["heap_free_min"], d["boots"]))

# A syntax error in init.lua: said, and the device stays up.
for dev, lines in logs("syntax").items():
    check(any(s == "lua: init.lua:4: ')' expected (to close '(' at line 3) near '<eof>'" for _, s in lines),
          "dev %d: the interpreter's message" % dev)
for d in devices("syntax"):
    check(d["boots"] == 1, "dev %d: no restart" % d["id"])
# The file module: written, appended, read by line and by count, listed, renamed, removed; what
# was written is still there after a restart.
check(sorted(logs("files")) == [0, 1], "both file devices logged")
for dev, lines in logs("files").items():
    text = "\n".join(s for _, s in lines)
    check("line 1 [first\n" in text and "] line 2 [second\n" in text and "] rest [third] then nil" in text,
          "dev %d: read back by line and by count: %s" % (dev, text[-300:]))
    check(re.search(r"list boots=1 init\.lua=\d+ log\.txt=18", text), "dev %d: file.list" % dev)
    check("rename true exists false true" in text and "after remove false fsinfo true" in text,
          "dev %d: rename, remove, fsinfo" % dev)
    check("boot 2 kept kept|" in text, "dev %d: the files survive node.restart()" % dev)

# sjson: decoded and encoded as NodeMCU's module does; malformed text and a bad key are errors.
sj = [s for _, s in logs("sjson")[0]]
check("decoded\ttrue\t1\t2.5\t-300\ttrue\tfalse\ttrue\ttable" in sj, "sjson.decode: %s" % sj)
check('encoded [1,2.5,"q\\"x",null,{"k":true}]' in sj and 'object {"only":"one"}' in sj, "sjson.encode: %s" % sj)
check("null as\t0" in sj, "decode's null option")
check(any(s.startswith("malformed\tfalse\tsjson: expected a string key at offset 7") for s in sj), "malformed: %s" % sj)
check(any(s.startswith("bad key\tfalse\tsjson: cannot encode a table key of type boolean") for s in sj), sj)
check('round trip {"heap":true,"list":[3,2,1]}' in sj or 'round trip {"list":[3,2,1],"heap":true}' in sj, sj)

finish()
PY

# The exhausted device's history again from its tape: the same digest.
"$ESPFLEET" replay "$WORK/oom" --device 1 > "$WORK/replay.out" 2>&1 || fail "replay: $(cat "$WORK/replay.out")"
grep -q "^recorded: same as recorded" "$WORK/replay.out" || fail "the replay differs: $(cat "$WORK/replay.out")"

# Neither a sketch nor a NodeMCU project.
mkdir -p "$WORK/neither" && echo 'print(1)' > "$WORK/neither/main.lua"
if "$ESPFLEET" run "$WORK/fleet.toml" --firmware "$WORK/neither" --quiet --out "$WORK/neither-run" > "$WORK/neither.out" 2>&1; then
  fail "a folder without init.lua ran"
fi
grep -q "no neither.ino (an Arduino sketch folder NAME holds NAME.ino) and no init.lua" "$WORK/neither.out" ||
  fail "the refusal does not name both: $(cat "$WORK/neither.out")"
echo "PASS: NodeMCU projects as devices: timers, require, callback errors and out of memory restart as NodeMCU does, replayed"
