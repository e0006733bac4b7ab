#!/usr/bin/python3
"""Runs commands to completion and measures each run, the same way for every program:
wall time from fork to reap, and (one more run) the peak resident set of the program itself.

Usage: run_measured.py SPEC_JSON
SPEC_JSON: {"runs": N, "commands": {"name": {"argv": [...], "env": {...}}}}; the commands run in
turn, N rounds, so no command always runs first. Then one more round takes the peak: a thread
reads /proc/<pid>/status every 0.2 ms and keeps VmHWM (the program's own peak resident set: unlike
ru_maxrss it leaves out the measuring process's memory the child had before exec) and the largest
RssAnon (the process's own memory) and RssFile (pages of the interpreter's binary and libraries,
shared with every process running them). That round is not timed. Prints one JSON line:
{"name": {"wall_ms": [...], "peak_kb": n, "peak_anon_kb": n, "peak_file_kb": n,
          "stdout": "<last run's output>", "codes": [...]}}
"""
import json
import os
import re
import subprocess
import sys
import threading
import time


def run_once(argv, env):
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = child.stdout.read()
    _, status, _ = os.wait4(child.pid, 0)
    wall_ms = (time.perf_counter() - started) * 1000
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall_ms, out.decode('utf-8', 'replace'), child.returncode


def sample_memory(argv, env):
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peaks = {'VmHWM': 0, 'RssAnon': 0, 'RssFile': 0}
    done = threading.Event()

    def poll():
        path = f'/proc/{child.pid}/status'
        while not done.is_set():
            try:
                with open(path, encoding='ascii') as f:
                    text = f.read()
            except OSError:
                return
            for key, value in re.findall(r'^(VmHWM|RssAnon|RssFile):\s+(\d+)', text, re.M):
                peaks[key] = max(peaks[key], int(value))
            time.sleep(0.0002)

    thread = threading.Thread(target=poll)
    thread.start()
    child.wait()
    done.set()
    thread.join()
    return peaks['VmHWM'], peaks['RssAnon'], peaks['RssFile']


def main():
    spec = json.loads(sys.argv[1])
    results = {name: {'wall_ms': [], 'stdout': '', 'codes': []} for name in spec['commands']}
    for _ in range(spec['runs']):
        for name, command in spec['commands'].items():
            env = dict(os.environ)
            env.update(command.get('env', {}))
            wall, out, code = run_once(command['argv'], env)
            r = results[name]
            r['wall_ms'].append(wall)
            r['stdout'] = out
            r['codes'].append(code)
    for name, command in spec['commands'].items():
        env = dict(os.environ)
        env.update(command.get('env', {}))
        r = results[name]
        r['peak_kb'], r['peak_anon_kb'], r['peak_file_kb'] = sample_memory(command['argv'], env)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
