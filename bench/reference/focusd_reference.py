#!/usr/bin/python3
"""The Python reference daemon for the benchmarks: rockit's AtlasFocuserDaemon design (written
for this repository from its published behaviour) over the simulated Atlas in simulated_atlas.py.

Same API as rockit's focusd: report_status, initialize, shutdown, set_focus(steps, offset=False),
stop; rockit's CommandStatus codes; the control-IP check first; a command lock taken with a
non-blocking acquire (Blocked when busy) and a state lock; set_focus polls position and status
every 100 ms until the motion bits clear or move_timeout passes; stop halts at once without the
command lock. Served as rockit's PyroDaemon.launch does: Pyro4's default threadpool server,
serpent, REQUIRE_EXPOSE and DETAILED_TRACEBACK.

Differences from upstream, all in the reference's favour or neutral: the date comes from
datetime instead of astropy's Time.now() (astropy is slower, and not installed here); the log
calls go nowhere (upstream sends them to the observatory log daemon over Pyro).

Usage: focusd_reference.py --port N [--host 127.0.0.1] [--object-id ID] [--control-ip IP ...]
                           [--move-timeout S] [--step-rate R] [--extent N] [--report-halts]
Prints "Starting daemon PYRO:<id>@<host>:<port>" once serving (port 0: any free port). With
--report-halts it prints "HALT <CLOCK_MONOTONIC ns>" each time a halt reaches the simulated
device. SIGTERM or SIGINT: closes the daemon, prints "Exiting daemon ..." and exits 0.
"""
import argparse
import datetime
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import Pyro4  # noqa: E402

from simulated_atlas import SimulatedAtlas  # noqa: E402


class CommandStatus:
    Succeeded = 0
    Failed = 1
    Blocked = 2
    InvalidControlIP = 3
    DeviceNotFound = 4
    PositionOutsideLimits = 6
    NotConnected = 7
    NotDisconnected = 8


class FocuserStatus:
    Disabled = 0
    Idle = 1
    Moving = 2
    Initializing = 3


class TryLock:
    """`with TryLock(lock) as acquired:` takes the lock without waiting."""

    def __init__(self, lock):
        self._lock = lock
        self._held = False

    def __enter__(self):
        self._held = self._lock.acquire(False)
        return self._held

    def __exit__(self, *exc):
        if self._held:
            self._lock.release()
            self._held = False


def client_matches(control_ips):
    """The caller's IP is one of the control machines' (rockit's pyro_client_matches)."""
    return Pyro4.current_context.client.sock.getpeername()[0] in control_ips


class ReferenceFocuserDaemon:
    def __init__(self, device, control_ips, move_timeout):
        self._device = device
        self._control_ips = control_ips
        self._move_timeout = move_timeout
        self._max_steps = 0
        self._command_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._status = FocuserStatus.Disabled
        self._current_steps = 0
        self._target_steps = 0

    @Pyro4.expose
    def report_status(self):
        with self._state_lock:
            data = {
                'date': datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ'),
                'status': self._status,
            }
            if self._status in [FocuserStatus.Idle, FocuserStatus.Moving]:
                data.update({
                    'current_steps': self._current_steps,
                    'target_steps': self._target_steps,
                })
            return data

    @Pyro4.expose
    def initialize(self):
        if not client_matches(self._control_ips):
            return CommandStatus.InvalidControlIP
        with TryLock(self._command_lock) as acquired:
            if not acquired:
                return CommandStatus.Blocked
            if self._status != FocuserStatus.Disabled:
                return CommandStatus.NotDisconnected

            devices = self._device.list_devices()
            if not devices:
                return CommandStatus.DeviceNotFound
            self._device.open(devices[0].split(';')[0])

            # Make sure the device is not moving
            self._device.step_motor_async(0)
            time.sleep(0.25)

            current_steps = self._device.get_stepper_position()
            max_steps = self._device.get_focuser_extent()
            with self._state_lock:
                self._max_steps = max_steps
                self._current_steps = self._target_steps = current_steps
                self._status = FocuserStatus.Idle
            return CommandStatus.Succeeded

    @Pyro4.expose
    def shutdown(self):
        if not client_matches(self._control_ips):
            return CommandStatus.InvalidControlIP
        with TryLock(self._command_lock) as acquired:
            if not acquired:
                return CommandStatus.Blocked
            if self._status == FocuserStatus.Disabled:
                return CommandStatus.NotConnected
            with self._state_lock:
                self._device.close()
                self._status = FocuserStatus.Disabled
            return CommandStatus.Succeeded

    @Pyro4.expose
    def set_focus(self, steps, offset=False):
        if not client_matches(self._control_ips):
            return CommandStatus.InvalidControlIP
        with TryLock(self._command_lock) as acquired:
            if not acquired or self._status == FocuserStatus.Moving:
                return CommandStatus.Blocked
            if self._status == FocuserStatus.Disabled:
                return CommandStatus.NotConnected

            with self._state_lock:
                target_steps = self._target_steps + steps if offset else steps
                if target_steps < 0 or target_steps > self._max_steps:
                    return CommandStatus.PositionOutsideLimits
                self._target_steps = target_steps
                self._status = FocuserStatus.Moving

            self._device.step_motor_async(self._target_steps - self._current_steps)
            start = time.monotonic()
            while True:
                current = self._device.get_stepper_position()
                status = self._device.get_device_status()
                with self._state_lock:
                    self._current_steps = current
                if (status & 0x07) == 0:
                    with self._state_lock:
                        self._status = FocuserStatus.Idle
                    return CommandStatus.Succeeded
                if time.monotonic() - start > self._move_timeout:
                    return CommandStatus.Failed
                time.sleep(0.1)

    @Pyro4.expose
    def stop(self):
        if not client_matches(self._control_ips):
            return CommandStatus.InvalidControlIP
        if self._status in [FocuserStatus.Disabled, FocuserStatus.Initializing]:
            return CommandStatus.NotConnected
        self._device.step_motor_async(0)
        current = self._device.get_stepper_position()
        with self._state_lock:
            self._current_steps = self._target_steps = current
            return CommandStatus.Succeeded


def main():
    parser = argparse.ArgumentParser(description='Python reference focuser daemon (benchmarks)')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--object-id', default='bench_focuser_daemon')
    parser.add_argument('--control-ip', action='append', default=None)
    parser.add_argument('--move-timeout', type=float, default=180)
    parser.add_argument('--step-rate', type=float, default=1000)
    parser.add_argument('--extent', type=int, default=10000)
    parser.add_argument('--report-halts', action='store_true')
    args = parser.parse_args()

    on_halt = None
    if args.report_halts:
        def on_halt(ns):
            sys.stdout.write('HALT %d\n' % ns)
            sys.stdout.flush()

    device = SimulatedAtlas(extent=args.extent, step_rate=args.step_rate, on_halt=on_halt)
    focuser = ReferenceFocuserDaemon(device, args.control_ip or ['127.0.0.1'], args.move_timeout)

    # As rockit's PyroDaemon.launch
    Pyro4.config.DETAILED_TRACEBACK = True
    Pyro4.config.REQUIRE_EXPOSE = True
    pyro = Pyro4.Daemon(host=args.host, port=args.port)
    uri = pyro.register(focuser, objectId=args.object_id)

    def on_signal(signum, frame):
        # Only the first signal interrupts the request loop; closing is not interrupted again.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    print('Starting daemon {}'.format(uri), flush=True)
    try:
        pyro.requestLoop()
    except KeyboardInterrupt:
        pass
    pyro.close()
    print('Exiting daemon {}'.format(uri), flush=True)


if __name__ == '__main__':
    main()
