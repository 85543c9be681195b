#!/usr/bin/env bash
# tests/integration/test_chip_esp32c3.sh — a mixed fleet (docs/chips.md): ESP8266s at 80 and 160 MHz
# and ESP32-C3s (device.chip = "esp32c3") in one run, TLS with CA validation and client
# certificates, against one Mosquitto this test starts; an independent mosquitto_sub sees every
# device's LWT Online and STATE. devices.jsonl names each device's chip; the C3s run at 160 MHz
# on their TLSF heap (ESP-IDF's figures: 155648-byte region, the loop task's stack a block of it)
# with BearSSL on the 8192-byte loop task stack and no thunk; the summary splits its figures by
# chip. Then a C3 whose loop task stack is too small for CA validation dies in the handshake with
# ESP-IDF's stack guard post-mortem (Guru Meditation … Stack protection fault) and reboots, and
# `replay --until-crash` reaches the same crash digest. C3s sent Crash 1 / Crash 2 (access faults)
# and Tasmota's Wdt / BlockedLoop (the task watchdog's panic, 5 s after the command, replayed to
# the same digest) with mosquitto_pub reboot and come back; an ESP8266's Wdt is its soft WDT.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

make_pki "$WORK/pki"
PORT="$(free_port)"
start_mosquitto "$WORK/pki" "$PORT" true
start_checker_sub "$WORK/pki" "$PORT" "$WORK/sub.txt" 120 'tele/+/LWT' 'tele/+/STATE'

cat > "$WORK/mixed.toml" <<'TOML'
[fleet]
devices = 12
duration = "40s"
mode = "fast"
seed = 4
connect_spread = "4s"
[app]
tele_period = "10s"
[[group]]
name = "esp8266_160"
count = 4
device.cpu_mhz = 160
[[group]]
name = "c3"
count = 4
device.chip = "esp32c3"
TOML
run_mixed() {
  "$ESPFLEET" run "$WORK/mixed.toml" --broker "localhost:$PORT" --ca "$WORK/pki/ca.crt" \
    --device-ca-cert "$WORK/pki/ca.crt" --device-ca-key "$WORK/pki/ca.key" --quiet --out "$WORK/$1" "${@:2}" \
    > "$WORK/$1.out" 2> "$WORK/$1.err" || { cat "$WORK/$1.err"; fail "the mixed run $1 failed"; }
}
run_mixed mixed
sleep 1
kill -TERM "$SUB_PID"; wait "$SUB_PID" 2>/dev/null || true

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "the mixed fleet"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
devs = [json.loads(l) for l in open(os.path.join(w, "mixed", "devices.jsonl"))]
s = json.load(open(os.path.join(w, "mixed", "summary.json")))
sub = open(os.path.join(w, "sub.txt")).read()
by = lambda chip, mhz: [d for d in devs if d["chip"] == chip and d["cpu_mhz"] == mhz]
check(len(by("esp8266", 80)) == 4 and len(by("esp8266", 160)) == 4 and len(by("esp32c3", 160)) == 4,
      "4 ESP8266 at 80 MHz, 4 at 160, 4 ESP32-C3 at 160: %s" % [(d["id"], d["chip"], d["cpu_mhz"]) for d in devs])
for d in devs:
    check(d["state"] == "connected" and d["connects"] >= 1 and d["crashes"] == 0,
          "dev %d (%s): connected, no crash (%s, %d crashes)" % (d["id"], d["chip"], d["state"], d["crashes"]))
    check(re.search(r"^tele/%s/LWT Online$" % d["topic"], sub, re.M) and re.search(r"^tele/%s/STATE \{" % d["topic"], sub, re.M),
          "dev %d: mosquitto_sub saw its LWT Online and a STATE" % d["id"])
for d in by("esp32c3", 160):
    check(d["heap_bytes"] == 155648 and 100000 < d["heap_free_min"] < 150000,
          "dev %d: the C3's TLSF region, free heap at least %d" % (d["id"], d["heap_free_min"]))
    check("thunk_size" not in d and d["loop_stack_bytes"] == 8192 and 2000 < d["loop_stack_peak_bytes"] < 8192,
          "dev %d: no thunk; BearSSL on the 8192-byte loop task stack, deepest %s B" % (d["id"], d.get("loop_stack_peak_bytes")))
for d in by("esp8266", 80) + by("esp8266", 160):
    check(d["heap_bytes"] == 49152 and d["thunk_size"] > 0 and "loop_stack_bytes" not in d,
          "dev %d: the ESP8266's umm heap and thunk" % d["id"])
# The C3 charges its own chip's instructions (RV32IMC, fewer for the big-integer work) at its assumed
# 1.2 cycles each: at the same clock its handshake is shorter than an ESP8266's (1.75 at 160 MHz).
hs = lambda ds: max(d["handshake_ms"] for d in ds)
check(hs(by("esp32c3", 160)) < 0.8 * min(d["handshake_ms"] for d in by("esp8266", 160)),
      "C3 handshakes %s shorter than the ESP8266's at 160 MHz %s" % ([d["handshake_ms"] for d in by("esp32c3", 160)],
                                                                     [d["handshake_ms"] for d in by("esp8266", 160)]))
chips = s.get("chips", {})
check(sorted(chips) == ["esp32c3", "esp8266"] and chips["esp8266"]["devices"] == 8 and chips["esp32c3"]["devices"] == 4
      and chips["esp8266"]["connected"] == 8 and chips["esp32c3"]["connected"] == 4,
      "summary.json splits by chip: %s" % {k: (v.get("devices"), v.get("connected")) for k, v in chips.items()})
check(chips.get("esp32c3", {}).get("heap_free_min", 0) > chips.get("esp8266", {}).get("heap_free_min", 1 << 30),
      "the C3s' free heap is above the ESP8266s'")
text = open(os.path.join(w, "mixed.out")).read()
check(re.search(r"^  chip  esp32c3 +4 devices, 4 connected", text, re.M) and re.search(r"^  chip  esp8266 +8 devices, 8 connected", text, re.M),
      "the text summary has a line per chip:\n" + text)
finish()
PY

# TCP connects into a partition: Tasmota's ESP32 client gives up after 3 s, the ESP8266's after 5 s.
printf '\n[[faults]]\nkind = "partition"\nat = "0s"\nduration = "12s"\n' >> "$WORK/mixed.toml"
run_mixed part --duration 20s
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/part" <<'PY' || fail "TCP connect timeouts by chip"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
chip = {d["id"]: d["chip"] for d in (json.loads(l) for l in open(os.path.join(w, "devices.jsonl")))}
tries = {}
for l in open(os.path.join(w, "devices.log")):
    m = re.match(r"^\[ *([0-9.]+)\] dev (\d+) MQT: (Attempting connection|Connect failed)", l)
    if m:
        tries.setdefault(int(m.group(2)), []).append((float(m.group(1)), m.group(3)))
for dev, ev in sorted(tries.items()):
    gaps = [round(b[0] - a[0], 2) for a, b in zip(ev, ev[1:]) if a[1].startswith("Attempting") and b[1] == "Connect failed" and b[0] < 12]
    want = 3.0 if chip[dev] == "esp32c3" else 5.0
    check(gaps and all(want <= g < want + 0.2 for g in gaps), "dev %d (%s): connects into the partition give up after %s s: %s" % (dev, chip[dev], want, gaps))
finish()
PY
sed -i '/^\[\[faults\]\]$/,$d' "$WORK/mixed.toml"

# A C3 whose loop task stack cannot hold CA validation's deepest call.
run_mixed small --set group.c3.device.loop_stack_bytes=4096 --duration 20s
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/small" <<'PY' || fail "the C3's stack overflow"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
devs = [json.loads(l) for l in open(os.path.join(w, "devices.jsonl"))]
log = open(os.path.join(w, "devices.log")).read()
for d in devs:
    if d["chip"] != "esp32c3":
        check(d["crashes"] == 0 and d["state"] == "connected", "dev %d (esp8266): unaffected" % d["id"])
        continue
    check(d["crashes"] >= 1 and d["boots"] == d["crashes"] + 1 and d["connects"] == 0,
          "dev %d: died in every handshake and rebooted (%d crashes, %d boots)" % (d["id"], d["crashes"], d["boots"]))
    check(all(r.startswith("Stack protection fault (loopTask stack 4096 B") for r in d["crash_reasons"])
          and set(d["crash_codes"]) == {4}, "dev %d: ESP_RST_PANIC, stack protection: %s %s" % (d["id"], d["crash_reasons"][:1], d["crash_codes"][:1]))
    mine = "\n".join(l for l in log.splitlines() if re.search(r"\] dev %d " % d["id"], l))
    for line in ("Guru Meditation Error: Core  0 panic'ed (Stack protection fault). ",
                 'Detected in task "loopTask" at 0x420', "Stack pointer: 0x3fc", "Stack bounds: 0x3fc",
                 "Core  0 register dump:", "MCAUSE  : 0x0000001b", "Stack memory:", "ELF file SHA256: ",
                 "Rebooting...", "rst:0xc (RTC_SW_CPU_RST),boot:0xc (SPI_FAST_FLASH_BOOT)"):
        check(line in mine, "dev %d's log has: %s" % (d["id"], line))
    m = re.search(r"Stack pointer: 0x([0-9a-f]+)\n.*Stack bounds: 0x([0-9a-f]+) - 0x([0-9a-f]+)", mine, re.S)
    check(m and int(m.group(1), 16) < int(m.group(2), 16) and int(m.group(3), 16) - int(m.group(2), 16) == 4096,
          "dev %d: the stack pointer below the 4096-byte stack's bounds" % d["id"])
s = json.load(open(os.path.join(w, "summary.json")))
check(s.get("crashes_by_reason", {}).get("stack_overflow", 0) == sum(d["crashes"] for d in devs),
      "summary: the crashes are stack overflows: %s" % s.get("crashes_by_reason"))
finish()
PY
dev=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["chip"] == "esp32c3"][0]["id"])' "$WORK/small/devices.jsonl")
digest=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["id"] == int(sys.argv[2])][0]["crash_digests"][0])' "$WORK/small/devices.jsonl" "$dev")
"$ESPFLEET" replay "$WORK/small" --device "$dev" --until-crash > "$WORK/replay.out" 2>&1 || fail "replay: $(cat "$WORK/replay.out")"
grep -q "Stack protection fault" "$WORK/replay.out" && grep -q "digest $digest" "$WORK/replay.out" ||
  fail "replay did not reach the same crash ($digest): $(cat "$WORK/replay.out")"
# Bad pointers on a C3 (the firmware's Crash 1: a store through NULL; Crash 2: a load): ESP-IDF's
# panic handler, "Store/Load access fault. Exception was unhandled.", MTVAL 0, then a reboot. And
# its watchdogs (Tasmota's debug commands): Wdt spins without yielding, BlockedLoop waits in
# delays of 10 s; the task watchdog on the loop task panics 5 s after its last feed either way.
PLAIN="$(free_port)"
start_mosquitto "$WORK" "$PLAIN" false plain
# commands_run NAME N "CMD [ARG]"...: a realtime run of $WORK/NAME.toml's N devices on the plain
# broker; once mosquitto_sub has seen all N online, the i-th topic (sorted) gets the i-th command
# with mosquitto_pub; it waits for the run to end ($WORK/NAME; what mosquitto_sub saw of
# tele/+/LWT and stat/+/RESULT in $WORK/NAME_seen.txt).
commands_run() {
  local name="$1" n="$2" t cmd arg sub run
  shift 2
  mosquitto_sub -h 127.0.0.1 -p "$PLAIN" -t 'tele/+/LWT' -t 'stat/+/RESULT' -F '%t %p' > "$WORK/${name}_seen.txt" 2>/dev/null &
  sub=$!
  PIDS+=("$sub")
  sleep 0.3
  "$ESPFLEET" run "$WORK/$name.toml" --broker "127.0.0.1:$PLAIN" --quiet --out "$WORK/$name" > "$WORK/$name.out" 2>&1 &
  run=$!
  PIDS+=("$run")
  online() { grep -c ' Online$' "$WORK/${name}_seen.txt" 2>/dev/null || true; }
  for _ in $(seq 1 100); do [ "$(online)" -ge "$n" ] && break; sleep 0.1; done
  [ "$(online)" -ge "$n" ] || fail "$name: the $n devices did not come online"
  for t in $(grep ' Online$' "$WORK/${name}_seen.txt" | cut -d/ -f2 | sort -u); do
    cmd="${1%% *}"
    arg="${1#"$cmd"}"
    mosquitto_pub -h 127.0.0.1 -p "$PLAIN" -t "cmnd/$t/$cmd" -m "${arg# }" || fail "$name: mosquitto_pub $1"
    shift
  done
  wait "$run" || { cat "$WORK/$name.out"; fail "the $name run failed"; }
  sleep 0.3
  kill "$sub" 2>/dev/null
  wait "$sub" 2>/dev/null || true
}
printf '[fleet]\ndevices = 5\nduration = "16s"\nseed = 4\nmode = "realtime"\n[device]\nchip = "esp32c3"\n[tls]\nenabled = false\n' > "$WORK/crash.toml"
commands_run crash 5 "Crash 1" "Crash 2" "Crash 3" "Wdt" "BlockedLoop"
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/crash" <<'PY' || fail "the C3's access faults"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
devs = [json.loads(l) for l in open(os.path.join(w, "devices.jsonl"))]
log = open(os.path.join(w, "devices.log")).read()
kinds = sorted(re.sub(r"0x[0-9a-f]+", "0x…", r.split(" (")[0]) for d in devs for r in d["crash_reasons"])
check(kinds == ["Load access fault", "Store access fault", "Task watchdog got triggered", "Task watchdog got triggered",
                "abort() was called at PC 0x… on core 0"],
      "a store fault, a load fault, an abort and two task watchdogs: %s" % kinds)
for d in devs:
    mine = "\n".join(l for l in log.splitlines() if re.search(r"\] dev %d " % d["id"], l))
    wdt = d["crash_reasons"] and d["crash_reasons"][0].startswith("Task watchdog")
    check(d["crash_codes"] == ([6] if wdt else [4]) and d["boots"] == 2 and d["state"] == "connected",
          "dev %d: ESP_RST_%s, rebooted, back online: %s %d %s" % (d["id"], "TASK_WDT" if wdt else "PANIC",
                                                                   d["crash_codes"], d["boots"], d["state"]))
    if d["crash_reasons"] and d["crash_reasons"][0].startswith("abort()"):
        # Crash 3: new beyond the heap, std::bad_alloc uncaught, ESP-IDF's abort().
        check("terminate called after throwing an instance of 'std::bad_alloc'" in mine
              and re.search(r"abort\(\) was called at PC 0x42[0-9a-f]{6} on core 0", mine) and "Guru Meditation" not in mine
              and "MCAUSE  : 0x00000007  MTVAL   : 0x00000000" in mine, "dev %d: terminate, abort(), the panic" % d["id"])
        continue
    if not wdt:
        check(re.search(r"Guru Meditation Error: Core  0 panic'ed \((Store|Load) access fault\)\. Exception was unhandled\.", mine)
              and "MTVAL   : 0x00000000" in mine and re.search(r"MCAUSE  : 0x0000000[57]", mine)
              and "rst:0xc (RTC_SW_CPU_RST)" in mine, "dev %d: ESP-IDF's access-fault post-mortem" % d["id"])
        continue
    # Wdt: the loop task was running; BlockedLoop: it waited in its delay and IDLE ran.
    spun = "APP: Wdt" in mine
    check(spun != ("APP: BlockedLoop" in mine), "dev %d: one of Wdt / BlockedLoop ran" % d["id"])
    running = "loopTask" if spun else "IDLE"
    check(re.search(r"E \(\d+\) task_wdt: Task watchdog got triggered\. The following tasks/users did not reset the watchdog in time:", mine)
          and "task_wdt:  - loopTask (CPU 0)" in mine and ("task_wdt: CPU 0: %s" % running) in mine
          and "task_wdt: Aborting." in mine and "Guru Meditation" not in mine and "rst:0xc (RTC_SW_CPU_RST)" in mine,
          "dev %d: the task watchdog's lines, %s running, and the restart" % (d["id"], running))
    # 5 s of device time after the command's line (the last feed: the command's own line comes
    # just before the spin, or just before the first 10 s delay, fed as it begins).
    at = lambda what: float(re.search(r"\[ *(\d+\.\d+)\] dev %d %s" % (d["id"], what), mine).group(1))
    took = at(r"E \(\d+\) task_wdt: Aborting") - at("APP: (Wdt|BlockedLoop)")
    check(5.0 <= took < 5.001, "dev %d: the task watchdog fired %.6f s after the command" % (d["id"], took))
s = json.load(open(os.path.join(w, "summary.json")))
check(s.get("crashes_by_reason") == {"bad_alloc": 1, "load_fault": 1, "store_fault": 1, "task_wdt": 2},
      "by reason: %s" % s.get("crashes_by_reason"))
finish()
PY
# Both watchdog deaths replay from their tapes to the digests the run recorded.
for dev in $(python3 -c 'import json,sys; print(" ".join(str(d["id"]) for d in map(json.loads, open(sys.argv[1])) if d["crash_codes"] == [6]))' "$WORK/crash/devices.jsonl"); do
  "$ESPFLEET" replay "$WORK/crash" --device "$dev" --until-crash > "$WORK/replay_wdt.out" 2>&1 || fail "replay of dev $dev: $(cat "$WORK/replay_wdt.out")"
  grep -q "crash: Task watchdog got triggered" "$WORK/replay_wdt.out" &&
    grep -q "crash digests so far same as recorded" "$WORK/replay_wdt.out" ||
    fail "replay of dev $dev did not die the same way: $(cat "$WORK/replay_wdt.out")"
done
# The same commands on an ESP8266: Wdt ends in the SDK's soft WDT at 3.2 s (reason 3);
# BlockedLoop is refused, in the reply mosquitto_sub sees (its OsWatch is not modelled).
printf '[fleet]\ndevices = 2\nduration = "10s"\nseed = 5\nmode = "realtime"\n[tls]\nenabled = false\n' > "$WORK/wdt8266.toml"
commands_run wdt8266 2 Wdt BlockedLoop
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK/wdt8266" "$WORK/wdt8266_seen.txt" <<'PY' || fail "the ESP8266's Wdt and BlockedLoop"
import json, os, sys
from itcheck import check, finish
devs = [json.loads(l) for l in open(os.path.join(sys.argv[1], "devices.jsonl"))]
seen = open(sys.argv[2]).read()
resets = sorted(r for d in devs for r in d["crash_reasons"])
check(len(resets) == 1 and resets[0].startswith("Soft WDT reset (ran 3.2"), "one soft WDT: %s" % resets)
check([c for d in devs for c in d["crash_codes"]] == [3], "REASON_SOFT_WDT_RST: %s" % [d["crash_codes"] for d in devs])
check('{"BlockedLoop":"Error: ESP32 only here' in seen, "BlockedLoop refused in stat/+/RESULT")
check(all(d["state"] == "connected" for d in devs), "both back online: %s" % [d["state"] for d in devs])
finish()
PY

# The C3's allocator on a trace: a 16 KiB region has 396 control bytes after multi_heap's 20, so
# the first block's data is at 420 and each block costs 4 bytes more than its size.
printf 'malloc mqtt.a 100\nmalloc tls:ctx 500\nmalloc x 40\nfree x\n' > "$WORK/t.trace"
"$ESPFLEET" heap --chip esp32c3 --heap-bytes 16384 "$WORK/t.trace" > "$WORK/t.jsonl" || fail "heap --chip esp32c3 failed"
python3 - "$WORK/t.jsonl" <<'PY' || fail "the TLSF trace replay"
import json, sys
ops = [json.loads(l) for l in open(sys.argv[1])]
assert [o["offset"] for o in ops] == [420, 524, 1028, None], ops
assert [o["free"] for o in ops] == [16384 - 20 - 396 - 104, 16384 - 20 - 396 - 608, 16384 - 20 - 396 - 652, 16384 - 20 - 396 - 608], ops
PY
"$ESPFLEET" heap --chip esp32c3 --heap-bytes 16384 --map "$WORK/t.trace" > "$WORK/map.txt" || fail "heap --chip esp32c3 --map"
grep -q "^one character = 4 unit(s) of 4 B$" "$WORK/map.txt" && grep -q "^T tls 504 B$" "$WORK/map.txt" ||
  { cat "$WORK/map.txt"; fail "the TLSF heap map"; }
"$ESPFLEET" heap --chip esp32c3 --heap-bytes 100 "$WORK/t.trace" > /dev/null 2> "$WORK/small.err" && fail "a 100-byte region ran"
grep -q -- "--heap-bytes 100 (esp32c3): a TLSF heap region of 100 bytes cannot hold" "$WORK/small.err" ||
  fail "a region too small: $(cat "$WORK/small.err")"
# What a chip cannot have, named by file, line and key.
refused chipname '[device]\nchip = "esp32"\n' 'chipname.toml:2:1: device.chip = "esp32": ' "an unknown chip"
refused bigheap '[fleet]\ndevices = 2\n[[group]]\nname = "g"\ncount = 1\ndevice.heap_bytes = 131072\n' \
  'group.g.device.heap_bytes = 131072: must be at most 81920 on the esp8266' "a C3-sized heap on an ESP8266"
refused stack8266 '[device]\nloop_stack_bytes = 4096\n' 'device.loop_stack_bytes = 4096: only an esp32c3 has a loop task' \
  "a loop task stack on an ESP8266"
echo "PASS: a mixed ESP8266/ESP32-C3 fleet, split by chip; a C3 stack overflow, replayed to digest $digest"
