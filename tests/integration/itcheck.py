"""tests/integration/itcheck.py — the soft assertion the integration scripts' Python checks share:
every failed check is printed (so one run shows all of them), and finish() exits non-zero if any
failed. Scripts run their checks with PYTHONPATH=$ROOT/tests/integration."""
import sys

failures = 0


def check(cond, what):
    global failures
    if not cond:
        print("  not so:", what)
        failures += 1


def finish(also=True):
    sys.exit(0 if failures == 0 and also else 1)
