import type { SimulatedAtlas } from '../hardware/index.js';
import { PythonError, pyObject, pyTruthy, type CallContext, type ExposedObject, type PyValue } from '../pyro/index.js';
import { CommandStatus } from '../machines/index.js';
import type { ControlCheck } from './focuser-object.js';

const num = (v: PyValue | undefined, name: string): number => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new PythonError('builtins.TypeError', [`${name} must be a number`]);
};

/**
 * `<object id>.simulator`: fault injection on the simulated focuser for tests and demos. Only
 * control machines may use it (others get InvalidControlIP, 3); each method answers 0. `motor()`
 * reads the motor itself, not through USB, so a test can tell where it truly is; anyone may read it.
 */
export function simulatorObject(sim: SimulatedAtlas, isControl: ControlCheck): ExposedObject {
  const control =
    (run: (args: Record<string, PyValue>) => void) =>
    (args: Record<string, PyValue>, ctx: CallContext): number => {
      if (!isControl(ctx.clientHost)) return CommandStatus.InvalidControlIP;
      run(args);
      return CommandStatus.Succeeded;
    };
  return {
    methods: {
      motor: { call: () => pyObject([['position', sim.position], ['moving', sim.moving]]) },
      unplug: { call: control(() => sim.unplug()) },
      replug: { call: control(() => sim.replug()) },
      unplug_after: { params: [{ name: 'ms' }], call: control((a) => sim.unplugAfter(num(a.ms, 'ms'))) },
      stall: { params: [{ name: 'on', default: true }], call: control((a) => sim.setStalled(pyTruthy(a.on))) },
      set_step_rate: { params: [{ name: 'steps_per_second' }], call: control((a) => sim.setStepRate(num(a.steps_per_second, 'steps_per_second'))) },
      wrong_echo: { params: [{ name: 'on', default: true }], call: control((a) => sim.setWrongEcho(pyTruthy(a.on))) },
      short_reply: { params: [{ name: 'on', default: true }], call: control((a) => sim.setShortReply(pyTruthy(a.on))) },
      slow_reply: { params: [{ name: 'ms' }], call: control((a) => sim.setReplyDelay(num(a.ms, 'ms'))) },
    },
  };
}
