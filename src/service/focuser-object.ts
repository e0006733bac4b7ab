import { PyFloat, PythonError, floatRepr, pyTruthy, pyTypeName, strRepr, type CallContext, type ExposedObject, type PyValue } from '../pyro/index.js';
import type { Caller } from '../machines/index.js';
import type { FocuserService } from './focuser-service.js';

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

/** An argument as Python's repr shows it, for the audit trail (long text cut, containers by type). */
function argumentText(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString().length > 50 ? `<int of ${v.toString().length} digits>` : v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (typeof v === 'string') return strRepr(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return `<${pyTypeName(v)}>`;
}

/** `set_focus(<steps>[, offset=<offset>])` with the caller's values (offset shown when it is not False). */
function setFocusLabel(args: Record<string, PyValue>): string {
  const offset = args.offset === undefined || args.offset === false ? '' : `, offset=${argumentText(args.offset)}`;
  return `set_focus(${args.steps === undefined ? '' : argumentText(args.steps)}${offset})`;
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
          const label = setFocusLabel(args);
          const early = service.checkMove(caller, label);
          if (early !== null) return early;
          let steps: number | bigint;
          try {
            steps = stepsArgument(args.steps ?? null);
          } catch (error) {
            service.rejected(caller, label, (error instanceof Error ? error.message : String(error)).replace(/^builtins\./, ''));
            throw error;
          }
          return service.setFocus(steps, pyTruthy(args.offset ?? false), caller, label);
        },
      },
    },
  };
}
