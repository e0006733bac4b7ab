#!/usr/bin/python3
"""report_status round trips from a Python Pyro4 proxy (the client rockit uses).

Usage: client_latency.py URI CALLS WARMUP
Connects one Pyro4.Proxy, makes WARMUP untimed calls, then CALLS timed calls one after another
and prints one JSON line: {"p50_us", "p99_us", "mean_us", "calls"}."""
import json
import sys
import time

import Pyro4


def main():
    uri, calls, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    proxy = Pyro4.Proxy(uri)
    proxy._pyroTimeout = 10
    for _ in range(warmup):
        proxy.report_status()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        t0 = clock()
        proxy.report_status()
        samples.append(clock() - t0)
    proxy._pyroRelease()
    samples.sort()

    def q(p):
        pos = (len(samples) - 1) * p
        lo, hi = int(pos), min(int(pos) + 1, len(samples) - 1)
        return samples[lo] + (samples[hi] - samples[lo]) * (pos - lo)

    print(json.dumps({
        'p50_us': q(0.5) / 1000,
        'p99_us': q(0.99) / 1000,
        'mean_us': sum(samples) / len(samples) / 1000,
        'calls': len(samples),
    }))


if __name__ == '__main__':
    main()
