import { PyFloat, PythonError, type CallContext, type ExposedObject, type PyValue } from '../pyro/index.js';
import { CommandStatus } from '../machines/index.js';
import type { FocuserService } from './focuser-service.js';
import { pyTruthy, pyTypeName } from './python-values.js';

/** Commands (everything but report_status) come only from the config's control machines. */
export type ControlCheck = (ctx: CallContext) => boolean;

export const controlIpCheck =
  (controlIps: readonly string[]): ControlCheck =>
  (ctx) =>
    controlIps.includes(ctx.clientHost);

/**
 * The steps argument as upstream uses it: Python ints (bools are ints) and integral floats are
 * positions; anything else is a TypeError. Ints too big for a double are outside any focuser's
 * range, so they come back as null (PositionOutsideLimits), as upstream's comparison would say.
 */
function stepsArgument(given: PyValue): number | null {
  const steps = given instanceof PyFloat ? given.value : given;
  if (typeof steps === 'boolean') return steps ? 1 : 0;
  if (typeof steps === 'number' && Number.isInteger(steps)) return steps;
  if (typeof steps === 'bigint') return null;
  const shown = typeof steps === 'number' ? `float ${steps}` : pyTypeName(steps);
  throw new PythonError('builtins.TypeError', [`set_focus() steps must be an int (a step position), not ${shown}`]);
}

/**
 * The focuser's Pyro object, method for method the upstream AtlasFocuserDaemon: report_status,
 * initialize, shutdown, set_focus(steps, offset=False), stop; plus home().
 */
export function focuserObject(service: FocuserService, isControl: ControlCheck): ExposedObject {
  const command =
    (run: (args: Record<string, PyValue>) => Promise<number> | number) =>
    (args: Record<string, PyValue>, ctx: CallContext): Promise<number> | number =>
      isControl(ctx) ? run(args) : CommandStatus.InvalidControlIP;

  return {
    className: 'AtlasFocuserDaemon',
    methods: {
      report_status: { call: () => service.reportStatus() },
      initialize: { call: command(() => service.initialize()) },
      shutdown: { call: command(() => service.shutdown()) },
      stop: { call: command(() => service.stop()) },
      home: { call: command(() => service.home()) },
      set_focus: {
        params: [{ name: 'steps' }, { name: 'offset', default: false }],
        call: command((args) => {
          const early = service.precheckMove();
          if (early !== null) return early;
          const steps = stepsArgument(args.steps ?? null);
          if (steps === null) return CommandStatus.PositionOutsideLimits;
          return service.setFocus(steps, pyTruthy(args.offset ?? false));
        }),
      },
    },
  };
}
