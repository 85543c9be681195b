"""tests/integration/itcheck.py — the soft assertion the integration scripts' Python checks share:
every failed check is printed (so one run shows all of them), and finish() exits non-zero if any
failed. Scripts run their checks with PYTHONPATH=$ROOT/tests/integration. Also the checks of a
run's crash heap maps that more than one script makes."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

failures = 0


def check(cond, what):
    global failures
    if not cond:
        print("  not so:", what)
        failures += 1


def finish(also=True):
    sys.exit(0 if failures == 0 and also else 1)


SVG = "{http://www.w3.org/2000/svg}"


def check_heap_maps(run, owners_required=()):
    """Every crash in devices.jsonl has its map RUN/heap/ID-crash-N.svg; in every map the
    per-owner bytes add up to the used bytes, used + free + the two marker blocks make the heap,
    and the outlined largest free chunk is the max block. Returns the number of maps checked."""
    devs = {d["id"]: d for d in (json.loads(l) for l in open(os.path.join(run, "devices.jsonl")))}
    hdir = os.path.join(run, "heap")
    files = sorted(f for f in os.listdir(hdir) if "-crash-" in f and f.endswith(".svg")) if os.path.isdir(hdir) else []
    for i, d in devs.items():
        mine = [f for f in files if f.startswith("%d-crash-" % i)]
        check(len(mine) == d["crashes"], "dev %d: %d crashes, %d heap maps" % (i, d["crashes"], len(mine)))
        for n in range(1, d["crashes"] + 1):
            check("%d-crash-%d.svg" % (i, n) in mine, "dev %d: crash %d has a map" % (i, n))
            pm = os.path.join(hdir, "%d-crash-%d.txt" % (i, n))
            check(os.path.isfile(pm) and d["crash_reasons"][n - 1] in open(pm).read(),
                  "dev %d: crash %d has its post-mortem beside the map, naming its reason" % (i, n))
    for f in files:
        root = ET.parse(os.path.join(hdir, f)).getroot()
        texts = {t.get("id"): (t.text or "") for t in root.iter(SVG + "text") if t.get("id")}
        fig = re.match(r"free (\d+) B, max block (\d+) B, fragmentation (\d+)%, used (\d+) B of (\d+) B",
                       texts.get("figures", ""))
        check(fig is not None, f + ": figures line")
        if not fig:
            continue
        free, maxb, frag, used, total = map(int, fig.groups())
        owners = {k[len("legend-"):]: int(re.search(r"(\d+) B", v).group(1)) for k, v in texts.items()
                  if k.startswith("legend-") and k not in ("legend-free", "legend-largest-free")}
        check(sum(owners.values()) == used, f + ": owners %s add up to used %d" % (owners, used))
        check(used + free + 16 == total, f + ": used + free + head/end marker = heap")
        for o in owners_required:
            check(o in owners, f + ": %s lives at the crash" % o)
        g = [e for e in root.iter(SVG + "g") if e.get("id") == "largest-free"]
        check(len(g) == 1 and int(g[0].get("data-bytes")) == maxb, f + ": largest free chunk outlined at max block")
        if g:
            cells = sum(int(r.get("width")) for r in g[0].iter(SVG + "rect")) // 10
            check(cells * 8 == maxb, f + ": outline spans max block")
    return len(files)


def tape_events(path):
    """The events of an espfleet tape (docs/replay.md), decoded independently of espfleet:
    (kind, slice, handle, status, stamp_ns, payload, payload_offset) — payload: the data bytes
    (kind 2) or (hash, length) (kind 5); payload_offset: where the data bytes start in the file."""
    b = open(path, "rb").read()
    i = b.index(b"\n") + 1
    body = b.index(b"\n", i) + 1
    k = body
    out = []

    def varint():
        nonlocal k
        v, s = 0, 0
        while True:
            c = b[k]
            k += 1
            v |= (c & 0x7F) << s
            s += 7
            if not c & 0x80:
                return v

    zz = lambda v: (v >> 1) ^ -(v & 1)
    while k < len(b):
        kind = b[k]
        k += 1
        sl, h, st, stamp = varint(), varint(), zz(varint()), zz(varint())
        payload, off = None, None
        if kind == 5:
            payload = (varint(), varint())
        elif kind == 2:
            n = varint()
            payload, off = b[k:k + n], k
            k += n
        out.append((kind, sl, h, st, stamp, payload, off))
    return out


SERIAL_LINE = re.compile(r"^\[ *([0-9.]+)\] dev (\d+) (.*)$")


def serial_log(run):
    """RUN/devices.log as {device id: [(device time s, text), ...]} in the order logged."""
    log = {}
    for l in open(os.path.join(run, "devices.log")):
        m = SERIAL_LINE.match(l.rstrip("\n"))
        if m:
            log.setdefault(int(m.group(2)), []).append((float(m.group(1)), m.group(3)))
    return log
