#!/usr/bin/env bash
# tests/integration/test_signals.sh — signals at any moment of `espfleet run` lose nothing that
# was measured and leave no broker behind (docs/running.md, "Stopping a run"):
#   SIGINT, SIGTERM, SIGHUP mid-run; a second SIGINT while the outputs are written; SIGINT
#   during provisioning; SIGKILL of espfleet. Afterwards the run's Mosquitto is gone (checked by
#   its pid) and, except after SIGKILL, summary.json and devices.jsonl are whole JSON with
#   interrupted: true and the exit status is 128 + the signal. Last, a Mosquitto left by an
#   espfleet that is gone is stopped by the next run.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"

start_run() {  # start_run NAME [args]: espfleet in the background; RUN_PID, ERR
  local name="$1"; shift
  ERR="$WORK/$name.err"
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --out "$WORK/$name" --quiet \
    --set fleet.connect_spread=0s --set app.tele_period=10s "$@" > "$WORK/$name.out" 2> "$ERR" &
  RUN_PID=$!
  PIDS+=("$RUN_PID")
}
wait_line() {  # wait_line FILE PATTERN SECONDS
  for _ in $(seq 1 $(($3 * 20))); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  cat "$1" >&2; fail "no line matching '$2' in $1 within $3 s"
}
broker_pid() { sed -n 's/.*embedded mosquitto pid \([0-9]*\).*/\1/p' "$1" | head -1; }
wait_exit() {  # wait_exit PID: sets RC to its exit status (bounded)
  for _ in $(seq 1 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$1" 2>/dev/null && fail "espfleet (pid $1) still running 30 s after the signal"
  RC=0
  wait "$1" || RC=$?
}
expect_gone() {  # expect_gone PID WHAT: the process ends within 5 s
  for _ in $(seq 1 100); do
    [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null || return 0
    sleep 0.05
  done
  fail "$2 (pid $1) is still alive"
}
check_outputs() {  # check_outputs NAME SIGNAL DURING DEVICES
  python3 - "$WORK/$1" "$2" "$3" "$4" <<'PY' || fail "$1: outputs after $2"
import json, sys
d, sig, during, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = json.load(open(d + "/summary.json"))
devs = [json.loads(l) for l in open(d + "/devices.jsonl")]
assert s["interrupted"] is True and s["interrupted_by"] == sig, (s.get("interrupted"), s.get("interrupted_by"))
assert s["interrupted_during"] == during, s["interrupted_during"]
assert len(devs) == s["devices"], (len(devs), s["devices"])
assert (len(devs) == n) if during != "provisioning" else (len(devs) < n), (during, len(devs), n)
print(d.rsplit("/", 1)[1], ": interrupted by", sig, "during the", during, "-", len(devs), "device records")
PY
}

# 1-3: SIGINT, SIGTERM, SIGHUP in the middle of a run.
for sig in INT TERM HUP; do
  start_run "mid_$sig" --devices 30 --duration 60s
  wait_line "$ERR" "devices ready" 30
  B=$(broker_pid "$ERR")
  sleep 1.5
  kill -"$sig" "$RUN_PID"
  wait_exit "$RUN_PID"
  want=$((128 + $(kill -l "$sig")))
  [ "$RC" = "$want" ] || { cat "$ERR"; fail "SIG$sig mid-run: exit $RC, expected $want"; }
  expect_gone "$B" "the broker of the SIG$sig run"
  check_outputs "mid_$sig" "SIG$sig" run 30
done

# 4: a second SIGINT while the outputs are being written (many devices, timelines of all).
start_run second --devices 400 --duration 60s --timeline all
wait_line "$ERR" "devices ready" 60
B=$(broker_pid "$ERR")
sleep 2
kill -INT "$RUN_PID"
wait_line "$ERR" "writing the outputs" 30
kill -INT "$RUN_PID" 2>/dev/null || true
wait_exit "$RUN_PID"
[ "$RC" = 130 ] || { cat "$ERR"; fail "second SIGINT during the outputs: exit $RC, expected 130"; }
expect_gone "$B" "the broker of the twice-interrupted run"
check_outputs second SIGINT run 400
n=$(ls "$WORK/second/heap" | grep -c 'timeline\.csv$' || true)
[ "$n" = 400 ] || fail "second SIGINT: $n of 400 heap timelines written"
n=$(ls "$WORK/second/tapes" | grep -c '\.tape$' || true)
[ "$n" = 400 ] || fail "second SIGINT: $n of 400 tapes written"
! ls "$WORK/second" "$WORK/second/heap" "$WORK/second/tapes" | grep '\.tmp-' > /dev/null || fail "second SIGINT: a half-written file is left"

# 5: SIGINT while the devices are being provisioned (certificates signed).
start_run prov --devices 3000 --duration 60s
wait_line "$ERR" "embedded mosquitto pid" 30
B=$(broker_pid "$ERR")
kill -INT "$RUN_PID"
wait_exit "$RUN_PID"
[ "$RC" = 130 ] || { cat "$ERR"; fail "SIGINT during provisioning: exit $RC, expected 130"; }
expect_gone "$B" "the broker of the run interrupted while provisioning"
grep -q "during the provisioning" "$ERR" || { cat "$ERR"; fail "the signal did not land in provisioning (the test needs it to)"; }
check_outputs prov SIGINT provisioning 3000

# 6: SIGKILL of espfleet: nothing can be written, but the broker must not outlive it.
start_run killed --devices 30 --duration 60s
wait_line "$ERR" "devices ready" 30
B=$(broker_pid "$ERR")
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null || true
expect_gone "$B" "the broker of the SIGKILLed espfleet"
echo "SIGKILL: broker pid $B ended with espfleet"

# 7: a broker left by an espfleet that is gone (an older one, or one killed before it could tie
# its broker to itself) is stopped by the next run, which says so.
sh -c 'exit 0' & GONE=$!
wait "$GONE" || true
PORT="$(free_port)"
mkdir -p "$WORK/stale"
printf '# mosquitto.conf — generated by espfleet\n# owner: espfleet pid %s\nlistener %s 127.0.0.1\nallow_anonymous true\nuser root\n' \
  "$GONE" "$PORT" > "$WORK/stale/mosquitto.conf"
( exec mosquitto -c "$WORK/stale/mosquitto.conf" ) > /dev/null 2>&1 &
STALE=$!
PIDS+=("$STALE")
for _ in $(seq 1 100); do
  python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$PORT)))" 2>/dev/null && break
  sleep 0.05
done
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --duration 1s --mode fast --out "$WORK/after" --quiet \
  > /dev/null 2> "$WORK/after.err" || { cat "$WORK/after.err"; fail "the run after a stale broker failed"; }
grep -q "stopped a stale embedded mosquitto (pid $STALE" "$WORK/after.err" || { cat "$WORK/after.err"; fail "the stale broker was not reported"; }
expect_gone "$STALE" "the stale broker"
echo PASS
