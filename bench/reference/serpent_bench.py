#!/usr/bin/python3
"""serpent 1.41 encode/decode throughput on the benchmark payloads, as Pyro4 4.82 calls it.

Usage: serpent_bench.py BUDGET_MS NAME=FILE [NAME=FILE ...]
Each FILE holds serpent text written by the TypeScript side. Decode is serpent.loads(bytes);
encode is serpent.dumps(value, module_in_classname=True) of the decoded value, as Pyro4's
SerpentSerializer does. Each is repeated for at least BUDGET_MS (and 3 times). Prints one JSON
line: {NAME: {"bytes", "decode_ops", "encode_ops"}} in operations per second."""
import json
import sys
import time

import serpent


def rate(fn, budget_s):
    fn()  # warm
    clock = time.perf_counter
    n = 0
    t0 = clock()
    while True:
        fn()
        n += 1
        elapsed = clock() - t0
        if n >= 3 and elapsed >= budget_s:
            return n / elapsed


def main():
    budget_s = float(sys.argv[1]) / 1000
    out = {}
    for spec in sys.argv[2:]:
        name, path = spec.split('=', 1)
        with open(path, 'rb') as f:
            data = f.read()
        value = serpent.loads(data)
        encoded = serpent.dumps(value, module_in_classname=True)
        out[name] = {
            'bytes': len(data),
            'encoded_bytes': len(encoded),
            'decode_ops': rate(lambda: serpent.loads(data), budget_s),
            'encode_ops': rate(lambda: serpent.dumps(value, module_in_classname=True), budget_s),
        }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
