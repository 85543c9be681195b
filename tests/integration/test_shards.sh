#!/usr/bin/env bash
# tests/integration/test_shards.sh — a fleet split into shards is the same fleet: run whole and
# as 3 shards (the local launcher, each shard with its own embedded Mosquitto), fast mode, the
# devices' histories are the same device for device (digests), the merged counts equal the whole
# run's and the merged percentiles are those of the union of the shards' devices; with one CA
# (--pki) a shard's devices get the same client ids and certificates as in the whole fleet; and
# merge refuses shards that do not belong together, naming them.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
common=(run "$ROOT/scenarios/quickstart.toml" --devices 15 --duration 40s --mode fast --quiet
        --set tls.client_cert=false --set broker.require_certificate=false --set fleet.connect_spread=5s
        --set fleet.observe=true)
"$ESPFLEET" "${common[@]}" --out "$WORK/whole" > "$WORK/whole.out" 2> "$WORK/whole.err" \
  || { cat "$WORK/whole.err"; fail "whole run failed"; }
"$ESPFLEET" "${common[@]}" --shards 3 --set 'thresholds.ever_connected=15' --out "$WORK/sharded" \
  > "$WORK/sharded.out" 2> "$WORK/sharded.err" || { cat "$WORK/sharded.err" "$WORK"/sharded/logs/*; fail "sharded run failed"; }
grep -q "3 shards of a 15-device fleet" "$WORK/sharded.out" || { cat "$WORK/sharded.out"; fail "no merged table"; }
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "shards differ from the whole fleet"
import json, sys, math
from itcheck import check, finish
w = sys.argv[1]
def devices(d): return {j["id"]: j for j in map(json.loads, open(d + "/devices.jsonl"))}
whole, merged = devices(w + "/whole"), devices(w + "/sharded")
check(sorted(whole) == sorted(merged) == list(range(15)), "ids 0-14 in both (%s)" % sorted(merged))
for i in whole:
    check(whole[i]["digest"] == merged[i]["digest"], "device %d digest %s whole, %s sharded" % (i, whole[i]["digest"], merged[i]["digest"]))
    check(whole[i]["client_id"] == merged[i]["client_id"], "device %d client id" % i)
s, m = (json.load(open(w + p + "/summary.json")) for p in ("/whole", "/sharded"))
for k in ("devices", "connected", "ever_connected", "handshakes", "published", "connect_failures", "crashes", "heap_free_min"):
    check(s[k] == m[k], "%s: whole %s, merged %s" % (k, s[k], m[k]))
check(m["devices"] == 15 and m["ever_connected"] == 15, "all 15 connected (%s)" % m["ever_connected"])
check(s["histograms"]["handshake_ms"] == m["histograms"]["handshake_ms"], "handshake histograms equal")
check(s["activity"] == m["activity"], "the merged activity series is the whole fleet's, bin for bin")
# Counts equal; latencies are the host's (each run its own), but every delivered message has one.
counts = lambda d: {k: v for k, v in d.items() if not k.startswith("latency")}
check(counts(s["delivery"]) == counts(m["delivery"]) and m["delivery"]["published"] == m["published"] > 0
      and m["delivery"]["lost"] == 0, "delivery whole %s, merged from the shards' observers %s" % (s["delivery"], m["delivery"]))
check(m["delivery"]["latency_ms"]["count"] == m["delivery"]["delivered"] == m["delivery"]["latency_us_histogram"]["count"],
      "the merged latency histogram counts every delivered message: %s" % m["delivery"]["latency_ms"])
check(s["groups"] == m["groups"] and sorted(m["groups"]) == ["default", "fast"],
      "the merged groups' figures and histograms are the whole fleet's (%s)" % sorted(m["groups"]))
check(s["handshake_ms"] == m["handshake_ms"], "handshake_ms whole %s merged %s" % (s["handshake_ms"], m["handshake_ms"]))
# The union of the shards' own devices, ranked here (nearest rank; every value is below 2048 ms,
# where a histogram bucket holds one value).
union = []
for i in range(3):
    sh = json.load(open(w + "/sharded/shard-%d/summary.json" % i))
    check(sh["shard"]["index"] == i and sh["shard"]["count"] == 3, "shard-%d says it is %s" % (i, sh["shard"]))
    ids = [j["id"] for j in map(json.loads, open(w + "/sharded/shard-%d/devices.jsonl" % i))]
    check(ids == list(range(5 * i, 5 * i + 5)), "shard-%d runs ids %s" % (i, ids))
    for j in map(json.loads, open(w + "/sharded/shard-%d/devices.jsonl" % i)):
        union += j["handshakes_ms"]
union.sort()
check(max(union) < 2048, "handshakes below 2048 ms")
rank = lambda p: union[max(1, min(len(union), math.ceil(p / 100 * len(union)))) - 1]
for p in (50, 99):
    check(m["handshake_ms"]["p%d" % p] == rank(p), "merged p%d %s, union %s" % (p, m["handshake_ms"]["p%d" % p], rank(p)))
check(m["handshake_ms"]["max"] == union[-1], "merged max")
check(m["shards_missing"] == [], "no shard missing")
# The fleet's threshold is checked on the merged figures, not on each shard's.
check([t["threshold"] for t in m["thresholds"]] == ["ever_connected == 15"] and m["thresholds"][0]["passed"],
      "merged thresholds %s" % m.get("thresholds"))
for i in range(3):
    check("thresholds" not in json.load(open(w + "/sharded/shard-%d/summary.json" % i)), "shard-%d has no thresholds" % i)
finish()
PY
set +e
"$ESPFLEET" "${common[@]}" --shards 3 --set 'thresholds.ever_connected=16' --out "$WORK/sharded16" \
  > "$WORK/sharded16.out" 2> "$WORK/sharded16.err"
rc=$?
set -e
[ "$rc" = 7 ] && grep -q "a threshold failed: ever_connected == 16 (was 15)" "$WORK/sharded16.err" ||
  { cat "$WORK/sharded16.err"; fail "a failed threshold on the merged fleet: exit $rc"; }
# Certificates: one CA for the whole run and for a lone shard 1/3 (--pki), client certificates on.
"$ESPFLEET" pki init --dir "$WORK/ca" > /dev/null 2>&1 || fail "pki init"
cert_run=(run "$ROOT/scenarios/quickstart.toml" --devices 9 --duration 8s --mode fast --quiet --pki "$WORK/ca" --no-tapes)
"$ESPFLEET" "${cert_run[@]}" --out "$WORK/cwhole" > /dev/null 2> "$WORK/cwhole.err" || { cat "$WORK/cwhole.err"; fail "cert run"; }
"$ESPFLEET" "${cert_run[@]}" --shard 1/3 --out "$WORK/cshard" > /dev/null 2> "$WORK/cshard.err" || { cat "$WORK/cshard.err"; fail "cert shard"; }
grep -q "ids 3-5, shard 1/3" "$WORK/cshard.err" || { cat "$WORK/cshard.err"; fail "the shard does not say its ids"; }
PYTHONPATH="$ROOT/tests/integration" python3 - "$WORK" <<'PY' || fail "a shard's certificates differ"
import json, sys
from itcheck import check, finish
w = sys.argv[1]
whole = {j["id"]: j for j in map(json.loads, open(w + "/cwhole/devices.jsonl"))}
shard = [json.loads(l) for l in open(w + "/cshard/devices.jsonl")]
check([j["id"] for j in shard] == [3, 4, 5], "shard 1/3 of 9 holds ids 3-5 (%s)" % [j["id"] for j in shard])
for j in shard:
    check(j.get("client_cert_sha256") and j["client_cert_sha256"] == whole[j["id"]].get("client_cert_sha256"),
          "device %d certificate %s, whole fleet %s" % (j["id"], j.get("client_cert_sha256"), whole[j["id"]].get("client_cert_sha256")))
    check(j["client_id"] == whole[j["id"]]["client_id"], "device %d client id" % j["id"])
    check(j["connects"] >= 1, "device %d connected with its certificate" % j["id"])
check(len({j["client_cert_sha256"] for j in whole.values()}) == 9, "nine different certificates")
finish()
PY
# Merge refuses what does not belong together, and says when a shard is missing.
expect_fail() {  # WANT_TEXT ARGS...
  local want="$1"; shift
  "$ESPFLEET" merge "$@" > "$WORK/m.out" 2> "$WORK/m.err" && fail "merge $* succeeded"
  grep -q "$want" "$WORK/m.err" || { cat "$WORK/m.err"; fail "merge $*: no '$want'"; }
}
expect_fail "are both shard 1" "$WORK/sharded/shard-1" "$WORK/sharded/shard-1" --out "$WORK/m1"
expect_fail "is not of the fleet" "$WORK/sharded/shard-0" "$WORK/cshard" --out "$WORK/m2"
expect_fail "shards \[2\] are missing" "$WORK/sharded/shard-0" "$WORK/sharded/shard-1" --out "$WORK/m3"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["devices"] == 10 and s["shards_missing"] == [2], s["shards_missing"]' \
  "$WORK/m3/summary.json" || fail "partial merge"
echo '{"devices": 3' > "$WORK/bad.json"; mkdir -p "$WORK/bad"; cp "$WORK/bad.json" "$WORK/bad/summary.json"
expect_fail "bad/summary.json: not valid JSON" "$WORK/bad" --out "$WORK/m4"
echo PASS
