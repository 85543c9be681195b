#!/usr/bin/env python3
"""tools/calibrate/gen_header.py — the chip cost tables → chip_costs.h (a build step, see
chip_costs.cmake): one constexpr per measured operation and table, each table in its own namespace
(espfleet::chip for the ESP8266's sim/tls/chip_costs.json, espfleet::chip_esp32c3 for
sim/tls/chip_costs_esp32c3.json, espfleet::chip_mbedtls for the NodeMCU devices' mbed TLS on the
ESP8266, sim/tls/chip_costs_mbedtls.json), so the simulator's cost tables are compiled in and
nothing is looked up at run time. Tables of one library (the JSON's "lib", BearSSL's when absent)
must have the first such table's operations, in its order, so either chip's is used by the same
names. Each namespace also names the JSON file it came from, for tests/sim/tls/test_cost_model.cpp
to compare against.

usage: gen_header.py build/generated/chip_costs.h chip=sim/tls/chip_costs.json \
           chip_esp32c3=sim/tls/chip_costs_esp32c3.json chip_mbedtls=sim/tls/chip_costs_mbedtls.json
"""
import json
import os
import sys


def const_name(op):
    return "k" + "".join(part[:1].upper() + part[1:] for part in op.split("_"))


def c_string(s):
    return json.dumps(str(s))  # a JSON string literal is a valid C++ string literal for this text


def lib_of(table):
    return table.get("lib", "bearssl")


def table_lines(namespace, src, table, first_namespace):
    lines = [f"namespace espfleet::{namespace} {{", ""]
    if first_namespace is None:
        lines += [
            "// One measured operation: the chip's instructions per unit, stack high-water of one call.",
            "struct Op {",
            "  const char* name;",
            "  double instructions;",
            "  uint32_t stack_bytes;",
            "  const char* unit;",
            "};",
            "",
        ]
    else:
        lines += [f"using Op = {first_namespace}::Op;", ""]
    lines += [
        f"inline constexpr const char* kJsonPath = {c_string(os.path.abspath(src))};",
        f"inline constexpr const char* kDate = {c_string(table.get('date', ''))};",
        f"inline constexpr const char* kLib = {c_string(lib_of(table))};",
        f"inline constexpr const char* kLibVersion = {c_string(table.get('versions', {}).get(lib_of(table), ''))};",
        "",
    ]
    names = []
    for op, v in table["ops"].items():
        name = const_name(op)
        names.append(name)
        ins = v["instructions"]
        lines.append(f"inline constexpr Op {name} = {{{c_string(op)}, {float(ins)!r}, {int(v['stack_bytes'])}u, "
                     f"{c_string(v.get('unit', ''))}}};")
    lines += ["", "inline constexpr Op kAll[] = {", *[f"    {n}," for n in names], "};",
              f"inline constexpr size_t kCount = {len(names)};", "", f"}}  // namespace espfleet::{namespace}", ""]
    return lines


def main():
    if len(sys.argv) < 3 or not all("=" in a for a in sys.argv[2:]):
        sys.exit("usage: gen_header.py OUT.h NAMESPACE=TABLE.json [NAMESPACE=TABLE.json ...]")
    dst = sys.argv[1]
    tables = [a.split("=", 1) for a in sys.argv[2:]]
    lines = [
        "// chip_costs.h — generated from sim/tls/" + ", ".join(os.path.basename(src) for _, src in tables)
        + " by tools/calibrate/gen_header.py.",
        "// Do not edit: re-measure with tools/calibrate/calibrate [--chip esp32c3] [--lib mbedtls] instead.",
        "#pragma once",
        "#include <cstddef>",
        "#include <cstdint>",
        "",
    ]
    first_namespace = None
    first_of_lib = {}  # lib -> (its first table's ops, that table's path)
    for namespace, src in tables:
        try:
            table = json.load(open(src))
        except (OSError, ValueError) as e:
            sys.exit(f"gen_header.py: cannot read {src}: {e}")
        ops = list(table["ops"])
        first_ops, first_src = first_of_lib.setdefault(lib_of(table), (ops, src))
        if ops != first_ops:
            missing = [o for o in first_ops if o not in ops]
            extra = [o for o in ops if o not in first_ops]
            sys.exit(f"gen_header.py: {src} does not have {first_src}'s operations in its order "
                     f"(missing: {', '.join(missing) or '-'}; extra: {', '.join(extra) or '-'})")
        lines += table_lines(namespace, src, table, first_namespace)
        if first_namespace is None:
            first_namespace = namespace
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    if os.path.exists(dst) and open(dst).read() == text:
        return  # unchanged: keep the timestamp, spare the rebuild
    tmp = dst + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, dst)


if __name__ == "__main__":
    main()
