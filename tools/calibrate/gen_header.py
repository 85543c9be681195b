#!/usr/bin/env python3
"""tools/calibrate/gen_header.py — sim/tls/chip_costs.json → chip_costs.h (a build step, see
chip_costs.cmake): one constexpr per measured operation, so the simulator's cost table is compiled
in and nothing is looked up at run time. The header also names the JSON file it came from, for
tests/sim/tls/test_cost_model.cpp to compare against.

usage: gen_header.py sim/tls/chip_costs.json build/generated/chip_costs.h
"""
import json
import os
import sys


def const_name(op):
    return "k" + "".join(part[:1].upper() + part[1:] for part in op.split("_"))


def c_string(s):
    return json.dumps(str(s))  # a JSON string literal is a valid C++ string literal for this text


def main():
    src, dst = sys.argv[1], sys.argv[2]
    table = json.load(open(src))
    ops = table["ops"]
    lines = [
        "// chip_costs.h — generated from sim/tls/chip_costs.json by tools/calibrate/gen_header.py. Do not edit:",
        "// re-measure with tools/calibrate/calibrate instead.",
        "#pragma once",
        "#include <cstddef>",
        "#include <cstdint>",
        "",
        "namespace espfleet::chip {",
        "",
        "// One measured operation: lx106 instructions per unit, stack high-water of one call.",
        "struct Op {",
        "  const char* name;",
        "  double instructions;",
        "  uint32_t stack_bytes;",
        "  const char* unit;",
        "};",
        "",
        f"inline constexpr const char* kJsonPath = {c_string(os.path.abspath(src))};",
        f"inline constexpr const char* kDate = {c_string(table.get('date', ''))};",
        f"inline constexpr const char* kBearSSL = {c_string(table.get('versions', {}).get('bearssl', ''))};",
        "",
    ]
    names = []
    for op, v in ops.items():
        name = const_name(op)
        names.append(name)
        ins = v["instructions"]
        lines.append(f"inline constexpr Op {name} = {{{c_string(op)}, {float(ins)!r}, {int(v['stack_bytes'])}u, "
                     f"{c_string(v.get('unit', ''))}}};")
    lines += ["", "inline constexpr Op kAll[] = {", *[f"    {n}," for n in names], "};",
              f"inline constexpr size_t kCount = {len(names)};", "", "}  // namespace espfleet::chip", ""]
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
