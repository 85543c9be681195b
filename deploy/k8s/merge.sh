#!/bin/sh
# deploy/k8s/merge.sh — the command of the merge Job (merge-job.yaml), once every shard is done:
# one run directory, $RUNS/merged, with one summary and the fleet's thresholds checked on it. Its
# exit status is the merge's: 7 when a threshold failed, 2 when a shard is missing.
set -eu
: "${RUNS:?the shared volume's run directory}"
ESPFLEET="${ESPFLEET:-espfleet}"
exec "$ESPFLEET" merge "$RUNS"/shard-* --out "$RUNS/merged" --force
