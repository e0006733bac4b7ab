import { PyFloat, PythonError, type CallContext, type ExposedObject, type PyValue } from '../pyro/index.js';
import type { Caller } from '../machines/index.js';
import type { FocuserService } from './focuser-service.js';
import { pyTruthy, pyTypeName } from '../pyro/index.js';

/** Who may command (not only query): the config's control machines, by address. */
export type ControlCheck = (address: string) => boolean;

export const controlIpCheck =
  (controlIps: readonly string[]): ControlCheck =>
  (address) =>
    controlIps.includes(address);

export const pyroCaller = (ctx: CallContext): Caller => ({ protocol: 'pyro', address: ctx.clientHost });

/**
 * The steps argument as upstream uses it: Python ints (bools are ints) and integral floats are
 * positions; anything else is a TypeError. Ints too big for a double stay bigint: outside any
 * focuser's range (PositionOutsideLimits), as upstream's comparison would say.
 */
function stepsArgument(given: PyValue): number | bigint {
  const steps = given instanceof PyFloat ? given.value : given;
  if (typeof steps === 'boolean') return steps ? 1 : 0;
  if (typeof steps === 'number' && Number.isInteger(steps)) return steps;
  if (typeof steps === 'bigint') return steps;
  const shown = typeof steps === 'number' ? `float ${steps}` : pyTypeName(steps);
  throw new PythonError('builtins.TypeError', [`set_focus() steps must be an int (a step position), not ${shown}`]);
}

/**
 * The focuser's Pyro object, method for method the upstream AtlasFocuserDaemon: report_status,
 * initialize, shutdown, set_focus(steps, offset=False), stop; plus home(). Who may command, and the
 * audit trail, are the service's.
 */
export function focuserObject(service: FocuserService): ExposedObject {
  return {
    className: 'AtlasFocuserDaemon',
    methods: {
      report_status: { call: (_, ctx) => service.reportStatus(new Date(), pyroCaller(ctx)) },
      initialize: { call: (_, ctx) => service.initialize(pyroCaller(ctx)) },
      shutdown: { call: (_, ctx) => service.shutdown(pyroCaller(ctx)) },
      stop: { call: (_, ctx) => service.stop(pyroCaller(ctx)) },
      home: { call: (_, ctx) => service.home(pyroCaller(ctx)) },
      set_focus: {
        params: [{ name: 'steps' }, { name: 'offset', default: false }],
        call: (args, ctx) => {
          const caller = pyroCaller(ctx);
          const early = service.checkMove(caller);
          if (early !== null) return early;
          return service.setFocus(stepsArgument(args.steps ?? null), pyTruthy(args.offset ?? false), caller);
        },
      },
    },
  };
}
