#!/usr/bin/env bash
# tests/integration/test_metrics.sh — run --metrics against a real Prometheus server (Debian's
# prometheus) started here, scraping every second: while 20 devices connect over 10 s, its API's
# espfleet_devices_connected series rises from below 20 to 20, and the connects and handshake
# histogram it scraped count every device; the shard label says 0/1. Embedded broker, realtime.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
command -v prometheus >/dev/null || fail "prometheus not found: tools/deps installs it"
MPORT="$(free_port)"; PPORT="$(free_port)"
# Two free ports in a row for a 2-shard run (shard I serves at PORT+I).
SPORT="$(python3 -c '
import socket
for p in range(20000, 60000, 7):
    try:
        a, b = socket.socket(), socket.socket()
        a.bind(("127.0.0.1", p)); b.bind(("127.0.0.1", p + 1)); a.close(); b.close(); print(p); break
    except OSError:
        pass')"
cat > "$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: espfleet
    static_configs:
      - targets: ["127.0.0.1:$MPORT", "127.0.0.1:$SPORT", "127.0.0.1:$(( SPORT + 1 ))"]
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PPORT" > "$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PPORT/-/ready" > /dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PPORT/-/ready" > /dev/null || { cat "$WORK/prometheus.log"; fail "prometheus did not start"; }
START=$(date +%s)
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 20 --duration 18s --quiet --no-tapes \
  --set fleet.connect_spread=10s --metrics "127.0.0.1:$MPORT" --out "$WORK/run" > "$WORK/run.out" 2> "$WORK/run.err" ||
  fail "run: $(cat "$WORK/run.err")"
grep -q "Prometheus metrics at http://127.0.0.1:$MPORT/metrics" "$WORK/run.err" || fail "no metrics line: $(cat "$WORK/run.err")"
sleep 1
python3 - "http://127.0.0.1:$PPORT" "$START" "$(date +%s)" <<'PY' || fail "what Prometheus scraped"
import json, sys, urllib.parse, urllib.request
base, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def query_range(q):
    url = base + "/api/v1/query_range?" + urllib.parse.urlencode({"query": q, "start": start, "end": end, "step": 1})
    r = json.load(urllib.request.urlopen(url))
    assert r["status"] == "success", r
    return r["data"]["result"]
series = [x for x in query_range("espfleet_devices_connected") if x["metric"]["shard"] == "0/1"]
assert len(series) == 1, series
s = series[0]
assert s["metric"]["shard"] == "0/1" and s["metric"]["job"] == "espfleet", s["metric"]
values = [float(v) for _, v in s["values"]]
assert len(values) >= 8, values
assert values[0] < 20 and max(values) == 20, values
assert values == sorted(values), values  # rising, never falling: nobody dropped
connects = max(float(v) for _, v in query_range('espfleet_connects_total{shard="0/1"}')[0]["values"])
handshakes = max(float(v) for _, v in query_range('espfleet_handshake_milliseconds_count{shard="0/1"}')[0]["values"])
assert connects >= 20 and handshakes == 20, (connects, handshakes)
print("prometheus scraped espfleet_devices_connected rising:", values[0], "->", max(values),
      "over", len(values), "s; connects", connects, "handshakes", handshakes)
PY
# As 2 shards (the launcher): shard I serves at PORT+I, each series labelled with its shard.
START=$(date +%s)
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 10 --duration 10s --quiet --no-tapes --shards 2 \
  --set fleet.connect_spread=3s --metrics "127.0.0.1:$SPORT" --out "$WORK/sharded" > "$WORK/sharded.out" 2> "$WORK/sharded.err" ||
  fail "sharded run: $(cat "$WORK/sharded.err")"
sleep 1
python3 - "http://127.0.0.1:$PPORT" "$START" "$(date +%s)" <<'PY' || fail "the shards' metrics"
import json, sys, urllib.parse, urllib.request
base, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
url = base + "/api/v1/query_range?" + urllib.parse.urlencode(
    {"query": 'espfleet_devices_ever_connected{shard=~".*/2"}', "start": start, "end": end, "step": 1})
r = json.load(urllib.request.urlopen(url))["data"]["result"]
by = {x["metric"]["shard"]: max(float(v) for _, v in x["values"]) for x in r}
assert by == {"0/2": 5.0, "1/2": 5.0}, by
print("2 shards scraped at their own ports:", by)
PY
# An address it cannot listen on stops the run before anything is written.
set +e
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --duration 1s --quiet --metrics "no-such-host:xx" \
  --out "$WORK/bad" > /dev/null 2> "$WORK/bad.err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q -- "--metrics no-such-host:xx: cannot listen there" "$WORK/bad.err" && [ ! -e "$WORK/bad" ] ||
  fail "a bad --metrics address: exit $rc, $(cat "$WORK/bad.err")"
echo "PASS"
