#!/usr/bin/python3
"""The machine's loopback floor: round trips of a 300-byte message between two Python processes
over a plain TCP socket (no Pyro). Usage: echo_floor.py CALLS [CPU]; with CPU both processes are
pinned to that CPU. Prints one JSON line {"p50_us", "p99_us"}."""
import json
import multiprocessing
import os
import socket
import sys
import time


def serve(listener, cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def main():
    calls = int(sys.argv[1])
    cpu = int(sys.argv[2]) if len(sys.argv) > 2 else None
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    server = multiprocessing.Process(target=serve, args=(listener, cpu), daemon=True)
    server.start()
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    client = socket.create_connection(listener.getsockname())
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    message = b'x' * 300
    samples = []
    for i in range(calls + calls // 10):
        t0 = time.perf_counter_ns()
        client.sendall(message)
        got = 0
        while got < len(message):
            got += len(client.recv(65536))
        if i >= calls // 10:
            samples.append(time.perf_counter_ns() - t0)
    client.close()
    server.join(5)
    samples.sort()
    print(json.dumps({'p50_us': samples[len(samples) // 2] / 1000, 'p99_us': samples[int(len(samples) * 0.99)] / 1000}))


if __name__ == '__main__':
    main()
