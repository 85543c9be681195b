#!/usr/bin/env bash
# tests/integration/test_mixed_firmware.sh — scenarios/mixed_fleet.toml: Tasmota on ESP8266s, NodeMCU
# (device.firmware, scenarios/nodemcu/init.lua over TLS) on ESP8266s and Tasmota on ESP32-C3s in one
# run against the embedded Mosquitto. An independent mosquitto_sub on its plain listener sees every
# device's retained Online (Tasmota's tele/<topic>/LWT, NodeMCU's nodemcu/<id>/LWT); summary.json
# splits the figures by firmware and by chip, devices.jsonl names each device's firmware; a group
# that puts NodeMCU on an ESP32-C3, or names a folder without init.lua, is refused before the run.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
"$ESPFLEET" run "$ROOT/scenarios/mixed_fleet.toml" --duration 13s --no-tapes --out "$WORK/run" \
  > "$WORK/out.txt" 2> "$WORK/err.txt" &
RUN=$!
PIDS+=("$RUN")
plain="$(embedded_plain_port "$WORK/err.txt")"
mosquitto_sub -h 127.0.0.1 -p "$plain" -t 'tele/+/LWT' -t 'nodemcu/+/LWT' -v > "$WORK/seen.txt" 2>&1 &
SUB=$!
PIDS+=("$SUB")
wait "$RUN" || fail "the run: $(tail -5 "$WORK/err.txt")"
kill "$SUB" 2>/dev/null || true

PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "the mixed fleet"
import json, os, re, sys
from itcheck import check, finish
w = sys.argv[1]
online = {"tele": set(), "nodemcu": set()}
for line in open(os.path.join(w, "seen.txt")):
    topic, _, payload = line.rstrip("\n").partition(" ")
    m = re.match(r"(tele|nodemcu)/([^/]+)/LWT$", topic)
    if m and payload == "Online":
        online[m.group(1)].add(m.group(2))
check(len(online["nodemcu"]) == 10, "10 NodeMCU devices Online: %s" % sorted(online["nodemcu"]))
check(len(online["tele"]) == 20, "20 Tasmota devices Online (%d)" % len(online["tele"]))
s = json.load(open(os.path.join(w, "run", "summary.json")))
fw, chips = s["firmware"], s["chips"]
check(sorted(fw) == ["nodemcu", "tasmota"], "figures per firmware: %s" % sorted(fw))
check(fw["nodemcu"]["devices"] == 10 and fw["nodemcu"]["connected"] == 10, fw["nodemcu"])
check(fw["tasmota"]["devices"] == 20 and fw["tasmota"]["connected"] == 20, fw["tasmota"])
check(chips["esp32c3"]["devices"] == 10 and chips["esp8266"]["devices"] == 20, chips)
check(s["crashes"] == 0 and s["connected"] == 30, "connected %s crashes %s" % (s["connected"], s["crashes"]))
devs = {d["id"]: d for d in map(json.loads, open(os.path.join(w, "run", "devices.jsonl")))}
check(all(devs[i]["firmware"] == "nodemcu" and devs[i]["chip"] == "esp8266" for i in range(10)), "ids 0-9 NodeMCU")
check(all(devs[i]["firmware"] == "tasmota" and devs[i]["chip"] == "esp32c3" for i in range(10, 20)), "ids 10-19 C3")
check(all(devs[i]["firmware"] == "tasmota" and devs[i]["chip"] == "esp8266" for i in range(20, 30)), "ids 20-29")
check("fw    nodemcu" in open(os.path.join(w, "out.txt")).read(), "the printed summary splits by firmware")
finish("mixed fleet")
PY

# Refusals, before anything runs: NodeMCU on a C3 (the scenario names the key and why), a folder
# without init.lua (the run names the group and the folder).
refused c3 "[fleet]\ndevices = 2\n[[group]]\nname = \"bad\"\ncount = 1\ndevice.chip = \"esp32c3\"\ndevice.firmware = \"$ROOT/scenarios/nodemcu\"\n" \
  'device.firmware = .*NodeMCU runs on the esp8266 only' "NodeMCU on an ESP32-C3"
refused nolua "[fleet]\ndevices = 2\n[[group]]\nname = \"nolua\"\ncount = 1\ndevice.firmware = \"$WORK\"\n" \
  'group nolua: device.firmware = .*no init.lua' "a NodeMCU folder without init.lua"
[ ! -e "$WORK/nolua.run" ] || fail "a refused run left a run directory"
