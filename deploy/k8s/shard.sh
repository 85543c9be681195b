#!/bin/sh
# deploy/k8s/shard.sh — the command of one pod of the Indexed Job (job.yaml): shard
# $JOB_COMPLETION_INDEX of $SHARDS of the fleet in $SCENARIO, its devices started at $START_AT
# (Unix seconds: every pod waits for it, so the shards begin together), its run directory on the
# shared volume. A retried index (Kubernetes runs it again after a pod failure) replaces its own
# directory. BROKER: a broker endpoint (a user's cluster, HOST:PORT[,...]); unset: the pod's
# embedded Mosquitto. ESPFLEET_ARGS: more `espfleet run` options.
set -eu
: "${JOB_COMPLETION_INDEX:?set by Kubernetes for an Indexed Job}"
: "${SHARDS:?the number of shards (the Job's completions)}"
: "${SCENARIO:?the scenario file}"
: "${RUNS:?the shared volume's run directory}"
: "${START_AT:?when the devices start, Unix seconds}"
ESPFLEET="${ESPFLEET:-espfleet}"
set -- run "$SCENARIO" --shard "$JOB_COMPLETION_INDEX/$SHARDS" --start-at "$START_AT" \
  --out "$RUNS/shard-$JOB_COMPLETION_INDEX" --force --quiet
[ -n "${BROKER:-}" ] && set -- "$@" --broker "$BROKER"
# shellcheck disable=SC2086  # ESPFLEET_ARGS is a list of options
exec "$ESPFLEET" "$@" ${ESPFLEET_ARGS:-}
