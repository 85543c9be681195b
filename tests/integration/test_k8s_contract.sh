#!/usr/bin/env bash
# tests/integration/test_k8s_contract.sh — the Kubernetes run's contract, here without a cluster:
# the pod command of deploy/k8s/job.yaml (deploy/k8s/shard.sh) run once per index with
# JOB_COMPLETION_INDEX set, index 2 twice (as Kubernetes reruns an index after a pod failure),
# all waiting for one START_AT; then the merge Job's command (deploy/k8s/merge.sh). The merged
# run's totals equal an unsharded run of the same fleet, device for device; a failing threshold
# fails the merge Job (exit 7).
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
K8S="$ROOT/deploy/k8s"
grep -q "completionMode: Indexed" "$K8S/job.yaml" && grep -q "deploy/k8s/shard.sh" "$K8S/job.yaml" &&
  grep -q "deploy/k8s/merge.sh" "$K8S/merge-job.yaml" || fail "the Job manifests do not run the scripts tested here"
cat > "$WORK/fleet.toml" <<'TOML'
[fleet]
devices = 12
duration = "30s"
mode = "fast"
connect_spread = "4s"

[tls]
client_cert = false

[broker]
require_certificate = false

[thresholds]
ever_connected = 12
TOML
export ESPFLEET SHARDS=4 SCENARIO="$WORK/fleet.toml" RUNS="$WORK/runs" START_AT=$(( $(date +%s) + 2 ))
mkdir -p "$RUNS"
pids=()
for i in 0 1 2 3; do
  JOB_COMPLETION_INDEX=$i "$K8S/shard.sh" > "$WORK/pod-$i.out" 2> "$WORK/pod-$i.err" &
  pids+=($!)
done
for i in 0 1 2 3; do wait "${pids[$i]}" || fail "pod $i: $(cat "$WORK/pod-$i.err")"; done
grep -q "the devices start at" "$WORK/pod-0.err" || fail "pod 0 did not wait for START_AT: $(cat "$WORK/pod-0.err")"
JOB_COMPLETION_INDEX=2 "$K8S/shard.sh" > "$WORK/pod-2-retry.out" 2> "$WORK/pod-2-retry.err" ||
  fail "retried index 2: $(cat "$WORK/pod-2-retry.err")"
grep -q "has passed" "$WORK/pod-2-retry.err" || fail "the retry should start at once: $(cat "$WORK/pod-2-retry.err")"
"$K8S/merge.sh" > "$WORK/merge.out" 2> "$WORK/merge.err" || fail "merge Job: $(cat "$WORK/merge.err" "$WORK/merge.out")"

"$ESPFLEET" run "$WORK/fleet.toml" --quiet --out "$WORK/whole" > /dev/null 2> "$WORK/whole.err" || fail "whole: $(cat "$WORK/whole.err")"
python3 - "$RUNS/merged" "$WORK/whole" <<'PY' || fail "merged Kubernetes run differs from the unsharded one"
import json, sys
merged, whole = sys.argv[1], sys.argv[2]
m, w = (json.load(open(d + "/summary.json")) for d in (merged, whole))
for k in ("devices", "connected", "ever_connected", "handshakes", "published", "connect_failures", "crashes"):
    assert m[k] == w[k], (k, m[k], w[k])
assert m["handshake_ms"] == w["handshake_ms"], (m["handshake_ms"], w["handshake_ms"])
dm = {j["id"]: j["digest"] for j in map(json.loads, open(merged + "/devices.jsonl"))}
dw = {j["id"]: j["digest"] for j in map(json.loads, open(whole + "/devices.jsonl"))}
assert dm == dw and len(dm) == 12, "device digests differ"
assert [t["passed"] for t in m["thresholds"]] == [True], m["thresholds"]
print("merged 4 pods (index 2 twice) = the unsharded fleet: %d devices, %d handshakes, digests equal" %
      (m["devices"], m["handshakes"]))
PY
# A threshold the fleet misses fails the merge Job.
sed -i 's/ever_connected = 12/ever_connected = 13/' "$WORK/fleet.toml"
START_AT=$(date +%s)
for i in 0 1 2 3; do JOB_COMPLETION_INDEX=$i "$K8S/shard.sh" > /dev/null 2>&1 || fail "pod $i (second fleet)"; done
set +e
"$K8S/merge.sh" > /dev/null 2> "$WORK/merge2.err"
rc=$?
set -e
[ "$rc" = 7 ] && grep -q "ever_connected == 13 (was 12)" "$WORK/merge2.err" || fail "merge Job exit $rc: $(cat "$WORK/merge2.err")"
echo "a missed threshold fails the merge Job: $(tail -1 "$WORK/merge2.err")"
echo "PASS"
