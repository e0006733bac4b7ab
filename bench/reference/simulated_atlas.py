"""A simulated FLI Atlas behind the libfli calls the rockit daemon makes (FLIList, FLIOpen,
FLIStepMotorAsync, FLIGetStepperPosition, FLIGetDeviceStatus, FLIGetFocuserExtent, FLIClose).

The timing model is the TypeScript simulator's (src/hardware/simulator): a move runs at
`step_rate` steps per second from the moment the command arrives, position is linear in time and
clamped to [0, extent]; status bits 0x01 (moving in) / 0x02 (moving out) while it runs, 0x80 at
position 0 (home). A relative move of 0 steps is the halt: the motor freezes where it is.

Calls answer at once (no USB latency), as the TypeScript simulator does. Each call takes the
device lock, as libfli serialises calls on one handle. `on_halt(monotonic_ns)` is called the
moment a halt reaches the device, for the stop-latency benchmark.
"""
import threading
import time

MOVING_IN = 0x01
MOVING_OUT = 0x02
AT_HOME = 0x80


class SimulatedAtlas:
    def __init__(self, extent=10000, step_rate=1000, start=1000, on_halt=None):
        self.extent = extent
        self.step_rate = step_rate
        self.on_halt = on_halt
        self._lock = threading.Lock()
        self._from = self._to = start
        self._started = time.monotonic()
        self._open = False

    def _now(self):
        travelled = int((time.monotonic() - self._started) * self.step_rate)
        distance = abs(self._to - self._from)
        if travelled >= distance:
            return self._to
        return self._from + (travelled if self._to > self._from else -travelled)

    # libfli's calls, as the daemon uses them; each raises OSError when the device is not open,
    # as a libfli call on a closed handle fails.
    def list_devices(self):
        return ['FLI-01;Atlas Focuser']

    def open(self, name):
        with self._lock:
            self._open = True

    def close(self):
        with self._lock:
            self._open = False

    def _check(self):
        if not self._open:
            raise OSError('focuser is not open')

    def step_motor_async(self, steps):
        with self._lock:
            if steps == 0:
                halted_at = time.monotonic_ns()
                if self.on_halt is not None:
                    self.on_halt(halted_at)
            self._check()
            here = self._now()
            self._from = here
            self._to = max(0, min(self.extent, here + steps))
            self._started = time.monotonic()

    def get_stepper_position(self):
        with self._lock:
            self._check()
            return self._now()

    def get_device_status(self):
        with self._lock:
            self._check()
            here = self._now()
            if here != self._to:
                return MOVING_OUT if self._to > here else MOVING_IN
            return AT_HOME if here == 0 else 0

    def get_focuser_extent(self):
        with self._lock:
            self._check()
            return self.extent
