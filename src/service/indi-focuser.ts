import {
  IndiDevice,
  IndiServer,
  type IndiClient,
  type IndiLimits,
  type IndiLogger,
  type NumberVector,
  type PropertyState,
  type SwitchVector,
  type TextVector,
  type VectorChange,
  type WriteRequest,
} from '../indi/index.js';
import { CommandStatus, type Caller } from '../machines/index.js';
import { silentLogger } from '../net/index.js';
import type { FocuserService, StatusReport } from './focuser-service.js';

/**
 * The focuser as an INDI device with the standard focuser vocabulary (INDI's focuser interface):
 * CONNECTION and DRIVER_INFO always; once connected FOCUS_MOTION, REL_FOCUS_POSITION,
 * ABS_FOCUS_POSITION, FOCUS_MAX, FOCUS_ABORT_MOTION, FOCUS_TEMPERATURE and FOCUSER_INFO.
 *
 * One focuser, one lock: the properties follow the service's state whoever drives it (a rockit
 * move shows ABS_FOCUS_POSITION Busy with live positions), and INDI writes go through the same
 * service commands Pyro calls, so an INDI move during another move is refused as set_focus answers
 * Blocked, and a stop from either side halts a move from either side. Uses only the service's
 * public surface: its commands, `state`, `reportStatus()` and the actor's snapshots.
 */
export const DEFAULT_INDI_DEVICE = 'FLI Atlas';

export interface IndiFocuserOptions {
  service: FocuserService;
  deviceName: string;
  driverVersion: string;
  /** Where a failure inside the adapter is logged (it never reaches the process). */
  logger?: IndiLogger | undefined;
}

const MAIN = 'Main Control';
const CONNECTED_STATES = new Set(['idle', 'moving', 'homing', 'stopping']);
/** Focuser properties that exist only while connected, in the order they are defined. */
const CONNECTED_PROPERTIES = ['FOCUS_MOTION', 'REL_FOCUS_POSITION', 'ABS_FOCUS_POSITION', 'FOCUS_MAX', 'FOCUS_ABORT_MOTION', 'FOCUS_TEMPERATURE', 'FOCUSER_INFO'];
/** Temperature members by sensor channel (0 internal, 1 external), as report_status orders them. */
const TEMPERATURE_MEMBERS = [
  { name: 'TEMPERATURE', label: 'Internal (C)' },
  { name: 'TEMPERATURE_EXTERNAL', label: 'External (C)' },
];

interface Motion {
  kind: 'move' | 'home';
  target: number;
  /** Started by an INDI relative move of this many steps: REL_FOCUS_POSITION follows it too. */
  relative: number | null;
}

const numberOf = (report: Readonly<StatusReport>, key: string): number => {
  const value = report[key];
  return typeof value === 'number' ? value : 0;
};

const firmwareText = (revision: number): string => `0x${revision.toString(16).padStart(4, '0')}`;

export class IndiFocuser {
  readonly device: IndiDevice;
  private readonly service: FocuserService;
  private motion: Motion | null = null;
  /** The next motion the observer sees is an INDI relative move of this many steps. */
  private pendingRelative: number | null = null;
  /** Why the last connection attempt or connection failed, shown on CONNECTION until the next connect. */
  private connectionAlert: string | null = null;
  /** The connection machine's state as INDI last showed it. */
  private lastState = '';
  private readonly subscription: { unsubscribe(): void };
  private readonly logger: IndiLogger;

  constructor(private readonly options: IndiFocuserOptions) {
    this.service = options.service;
    this.logger = options.logger ?? silentLogger;
    this.device = new IndiDevice(options.deviceName);
    this.device.define(this.connectionVector());
    this.device.define({
      type: 'Text',
      name: 'DRIVER_INFO',
      label: 'Driver Info',
      group: 'Connection',
      state: 'Idle',
      perm: 'ro',
      timeout: 60,
      members: [
        { name: 'DRIVER_NAME', label: 'Name', value: options.deviceName },
        { name: 'DRIVER_EXEC', label: 'Exec', value: 'focusd' },
        { name: 'DRIVER_VERSION', label: 'Version', value: options.driverVersion },
        // INDI's interface bits: 8 is FOCUSER_INTERFACE.
        { name: 'DRIVER_INTERFACE', label: 'Interface', value: '8' },
      ],
    });
    this.subscription = this.service.actor.subscribe(() => this.guarded('following the focuser', () => this.sync()));
    this.sync();
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  /**
   * Answers a write on `name` (sent even if nothing changed) if the property exists now. Commands
   * answer later, and by then a fault or a disconnect may have deleted the property the answer was
   * for: there is nothing left to show it on (the fault itself shows on CONNECTION).
   */
  private answer(name: string, change: VectorChange, message?: string): void {
    if (this.device.has(name)) this.device.answer(name, change, message);
  }

  /** Runs `work`; an exception in it is a bug, logged with its stack, and never reaches the process. */
  private guarded(what: string, work: () => void): void {
    try {
      work();
    } catch (e) {
      this.internalError(what, e);
    }
  }

  /** `then` on a command's result, with any failure in it logged (see `guarded`). */
  private afterCommand(result: Promise<CommandStatus>, what: string, then: (code: CommandStatus) => void): void {
    result.then(then).catch((e: unknown) => this.internalError(what, e));
  }

  private internalError(what: string, e: unknown): void {
    this.logger.error({ err: e instanceof Error ? (e.stack ?? e.message) : String(e) }, `INDI: internal error while ${what}`);
  }

  // ---- what the service's state looks like on INDI ------------------------------------------------

  /** Whether INDI shows the focuser connected (its connected-only properties defined). */
  private get connected(): boolean {
    return CONNECTED_STATES.has(this.lastState);
  }

  private sync(): void {
    const state = this.service.state;
    const report = this.service.reportStatus();
    const wasConnected = this.connected;
    const connectedNow = CONNECTED_STATES.has(state);
    // A fault, or a connect (INDI's or rockit's) that failed: CONNECTION says why, in the service's words.
    const failedToConnect = state === 'disabled' && this.lastState === 'initializing';
    let newAlert: string | undefined;
    if (state !== this.lastState && (state === 'fault' || failedToConnect)) {
      newAlert = typeof report.last_error === 'string' ? report.last_error : state === 'fault' ? 'Focuser fault' : 'The focuser could not be connected';
      this.connectionAlert = newAlert;
    }
    if (connectedNow && !wasConnected) {
      this.connectionAlert = null;
      this.defineConnected(report);
    }
    if (connectedNow) this.followMotion(state, report);
    if (!connectedNow && wasConnected) {
      this.motion = null;
      const why = this.connectionAlert ?? undefined;
      for (const name of CONNECTED_PROPERTIES) this.device.remove(name, name === 'ABS_FOCUS_POSITION' ? why : undefined);
    }
    this.device.update('CONNECTION', this.connectionState(state), newAlert);
    this.lastState = state;
  }

  private connectionState(state: string): { state: PropertyState; values: Record<string, boolean> } {
    const on = CONNECTED_STATES.has(state) || state === 'initializing';
    const propertyState: PropertyState =
      state === 'initializing' || state === 'shuttingDown' ? 'Busy' : CONNECTED_STATES.has(state) ? 'Ok' : this.connectionAlert !== null ? 'Alert' : 'Idle';
    return { state: propertyState, values: { CONNECT: on, DISCONNECT: !on } };
  }

  private followMotion(state: string, report: Readonly<StatusReport>): void {
    const position = numberOf(report, 'current_steps');
    const moving = state === 'moving' || state === 'homing';
    if (moving && this.motion === null) {
      const target = state === 'homing' ? 0 : numberOf(report, 'target_steps');
      this.motion = {
        kind: state === 'homing' ? 'home' : 'move',
        target,
        relative: this.pendingRelative,
      };
      this.pendingRelative = null;
      // The move is accepted: only now does REL take the value (libindi leaves a refused one's alone).
      if (this.motion.relative !== null) this.device.update('REL_FOCUS_POSITION', { state: 'Busy', values: { FOCUS_RELATIVE_POSITION: this.motion.relative } });
      const what = state === 'homing' ? 'Homing' : `Moving to ${target} steps`;
      this.device.update('ABS_FOCUS_POSITION', { state: 'Busy', values: { FOCUS_ABSOLUTE_POSITION: position } }, what);
    } else if (!moving && this.motion !== null) {
      this.endMotion(this.motion, position, report);
      this.motion = null;
    } else if (moving) {
      // Busy again after a refused write put it in Alert: the move it refused goes on.
      this.device.update('ABS_FOCUS_POSITION', { state: 'Busy', values: { FOCUS_ABSOLUTE_POSITION: position } });
    } else {
      this.device.update('ABS_FOCUS_POSITION', { values: { FOCUS_ABSOLUTE_POSITION: position } });
    }
    const temperatures = report.temperatures;
    if (Array.isArray(temperatures) && this.device.has('FOCUS_TEMPERATURE')) {
      const values: Record<string, number> = {};
      temperatures.forEach((t, i) => {
        const member = TEMPERATURE_MEMBERS[i];
        if (member && typeof t === 'number') values[member.name] = t;
      });
      this.device.update('FOCUS_TEMPERATURE', { state: 'Ok', values });
    }
  }

  /**
   * Ok at the target; otherwise the service's reason (report_status's last_error, the same text
   * rockit's `focus` prints): Idle after a stop (INDI abort or rockit's stop(), as INDI's focuser
   * interface leaves a property after an abort), Alert after a timeout.
   */
  private endMotion(motion: Motion, position: number, report: Readonly<StatusReport>): void {
    let state: PropertyState = 'Ok';
    let message: string | undefined = motion.kind === 'home' ? `Homed at ${position} steps` : undefined;
    if (position !== motion.target) {
      const reason = typeof report.last_error === 'string' ? report.last_error : `${motion.kind === 'home' ? 'Homing' : 'Move'} ended at ${position} steps (target ${motion.target})`;
      state = / stopped by /.test(reason) ? 'Idle' : 'Alert';
      message = reason;
    }
    this.device.update('ABS_FOCUS_POSITION', { state, values: { FOCUS_ABSOLUTE_POSITION: position } }, message);
    if (motion.relative !== null) this.device.update('REL_FOCUS_POSITION', { state });
  }

  private connectionVector(): SwitchVector {
    return {
      type: 'Switch',
      name: 'CONNECTION',
      label: 'Connection',
      group: MAIN,
      state: 'Idle',
      perm: 'rw',
      rule: 'OneOfMany',
      timeout: 60,
      members: [
        { name: 'CONNECT', label: 'Connect', on: false },
        { name: 'DISCONNECT', label: 'Disconnect', on: true },
      ],
    };
  }

  private defineConnected(report: Readonly<StatusReport>): void {
    const extent = numberOf(report, 'max_steps');
    const position = numberOf(report, 'current_steps');
    // The config's move_timeout, as the machine holds it: the position properties' timeout hint.
    const moveTimeout = Math.ceil(this.service.snapshot.context.moveTimeoutMs / 1000);
    const steps = (name: string, label: string, perm: 'rw' | 'ro', member: string, value: number, max: number, step: number, timeout: number): NumberVector => ({
      type: 'Number',
      name,
      label,
      group: MAIN,
      state: 'Ok',
      perm,
      timeout,
      members: [{ name: member, label: 'Steps', format: '%.f', min: 0, max, step, value }],
    });
    this.device.define({
      type: 'Switch',
      name: 'FOCUS_MOTION',
      label: 'Direction',
      group: MAIN,
      state: 'Ok',
      perm: 'rw',
      rule: 'OneOfMany',
      timeout: 60,
      members: [
        { name: 'FOCUS_INWARD', label: 'Focus In', on: true },
        { name: 'FOCUS_OUTWARD', label: 'Focus Out', on: false },
      ],
    });
    this.device.define(steps('REL_FOCUS_POSITION', 'Relative Position', 'rw', 'FOCUS_RELATIVE_POSITION', 0, extent, Math.max(1, Math.round(extent / 100)), moveTimeout));
    this.device.define(steps('ABS_FOCUS_POSITION', 'Absolute Position', 'rw', 'FOCUS_ABSOLUTE_POSITION', position, extent, Math.max(1, Math.round(extent / 50)), moveTimeout));
    this.device.define(steps('FOCUS_MAX', 'Max. Position', 'ro', 'FOCUS_MAX_VALUE', extent, extent, 1, 0));
    this.device.define({
      type: 'Switch',
      name: 'FOCUS_ABORT_MOTION',
      label: 'Abort Motion',
      group: MAIN,
      state: 'Idle',
      perm: 'rw',
      rule: 'AtMostOne',
      timeout: 60,
      members: [{ name: 'ABORT', label: 'Abort', on: false }],
    });
    const temperatures = Array.isArray(report.temperatures) ? report.temperatures : [];
    if (temperatures.length > 0) {
      this.device.define({
        type: 'Number',
        name: 'FOCUS_TEMPERATURE',
        label: 'Temperature',
        group: MAIN,
        state: 'Ok',
        perm: 'ro',
        timeout: 0,
        members: temperatures.slice(0, TEMPERATURE_MEMBERS.length).map((t, i) => ({
          ...(TEMPERATURE_MEMBERS[i] as { name: string; label: string }),
          format: '%6.2f',
          min: -50,
          max: 70,
          step: 0,
          value: t,
        })),
      });
    }
    const info: TextVector = {
      type: 'Text',
      name: 'FOCUSER_INFO',
      label: 'Focuser Info',
      group: 'General Info',
      state: 'Ok',
      perm: 'ro',
      timeout: 0,
      members: [
        { name: 'MODEL', label: 'Model', value: String(report.model ?? '') },
        { name: 'SERIAL_NUMBER', label: 'Serial Number', value: String(report.serial_number ?? '') },
        { name: 'FIRMWARE', label: 'Firmware', value: firmwareText(numberOf(report, 'firmware_revision')) },
      ],
    };
    this.device.define(info);
  }

  // ---- INDI writes -----------------------------------------------------------------------------------

  /** A client's checked write (the INDI server has checked names, types and ranges). */
  onWrite(request: WriteRequest, client: IndiClient): void {
    const caller: Caller = { protocol: 'indi', address: client.address };
    if (this.service.admit(caller, `INDI ${request.name}`) !== null) {
      this.device.update(
        request.name,
        { state: 'Alert' },
        `Refused: ${client.address} is not one of this focuser's control machines (control_machines in the config); it may only read`,
      );
      return;
    }
    switch (request.name) {
      case 'CONNECTION':
        if (request.type === 'Switch') this.connection(request.values.get('CONNECT') === true, caller);
        return;
      case 'ABS_FOCUS_POSITION':
        if (request.type === 'Number') this.moveTo('ABS_FOCUS_POSITION', Math.round(request.values.get('FOCUS_ABSOLUTE_POSITION') ?? NaN), caller);
        return;
      case 'REL_FOCUS_POSITION':
        if (request.type === 'Number') this.moveBy(Math.round(request.values.get('FOCUS_RELATIVE_POSITION') ?? NaN), caller);
        return;
      case 'FOCUS_MOTION':
        if (request.type === 'Switch') {
          this.device.answer('FOCUS_MOTION', { state: 'Ok', values: Object.fromEntries(request.values) });
        }
        return;
      case 'FOCUS_ABORT_MOTION':
        // Any write aborts, ABORT=Off included, and the switch stays Off: libindi's focuser does the same.
        this.abort(caller);
        return;
      default:
        this.device.update(request.name, { state: 'Alert' }, `${request.name} cannot be changed`);
    }
  }

  private connection(connect: boolean, caller: Caller): void {
    if (connect) {
      if (this.connected) return this.answer('CONNECTION', { state: 'Ok' }, 'Already connected');
      this.afterCommand(this.service.initialize(caller), 'answering CONNECT', (code) => {
        // A connect that failed shows through the state (sync), as rockit's does; refusals are left here.
        if (code === CommandStatus.Failed || code === CommandStatus.DeviceNotFound) return;
        const why = this.refusal(code, 'connect');
        if (why === null) return;
        this.connectionAlert = why;
        this.answer('CONNECTION', { state: 'Alert', values: { CONNECT: this.connected, DISCONNECT: !this.connected } }, why);
      });
      return;
    }
    this.afterCommand(this.service.shutdown(caller), 'answering DISCONNECT', (code) => {
      if (code === CommandStatus.NotConnected) {
        this.connectionAlert = null;
        this.answer('CONNECTION', { state: 'Idle', values: { CONNECT: false, DISCONNECT: true } });
        return;
      }
      const why = this.refusal(code, 'disconnect');
      if (why !== null) this.answer('CONNECTION', { state: this.connected ? 'Alert' : 'Idle', values: { CONNECT: this.connected, DISCONNECT: !this.connected } }, why);
    });
  }

  private moveBy(steps: number, caller: Caller): void {
    if (!(steps > 0)) {
      this.device.update('REL_FOCUS_POSITION', { state: 'Alert' }, 'Relative steps must be greater than zero (FOCUS_MOTION gives the direction)');
      return;
    }
    const inward = (this.device.get('FOCUS_MOTION') as SwitchVector | undefined)?.members.find((m) => m.name === 'FOCUS_INWARD')?.on ?? true;
    const position = numberOf(this.service.reportStatus(), 'current_steps');
    this.moveTo('REL_FOCUS_POSITION', inward ? position - steps : position + steps, caller, steps);
  }

  /** Starts a move to `target` (`relative` steps for REL); refusals put `property` in Alert with the reason. */
  private moveTo(property: 'ABS_FOCUS_POSITION' | 'REL_FOCUS_POSITION', target: number, caller: Caller, relative: number | null = null): void {
    const extent = numberOf(this.service.reportStatus(), 'max_steps');
    if (!(target >= 0 && target <= extent)) {
      this.device.update(property, { state: 'Alert' }, `Requested position ${target} is outside the focuser's range 0 to ${extent}`);
      return;
    }
    const label = `set_focus(${target})`;
    const early = this.service.checkMove(caller, label);
    if (early !== null) {
      this.device.update(property, { state: 'Alert' }, this.refusal(early, 'move') ?? 'Move refused');
      return;
    }
    this.pendingRelative = relative;
    const result = this.service.setFocus(target, false, caller, label);
    this.pendingRelative = null;
    this.afterCommand(result, `answering ${property}`, (code) => {
      // Arrival, a stop, a timeout or a fault show through the state; only refusals are left here.
      if (code === CommandStatus.Succeeded || code === CommandStatus.Failed) return;
      this.answer(property, { state: 'Alert' }, this.refusal(code, 'move') ?? 'Move refused');
    });
  }

  private abort(caller: Caller): void {
    this.afterCommand(this.service.stop(caller), 'answering FOCUS_ABORT_MOTION', (code) => {
      if (code !== CommandStatus.Succeeded) {
        this.answer('FOCUS_ABORT_MOTION', { state: 'Alert', values: { ABORT: false } }, this.refusal(code, 'abort') ?? 'Abort failed');
        return;
      }
      for (const name of ['ABS_FOCUS_POSITION', 'REL_FOCUS_POSITION']) {
        const vector = this.device.get(name);
        if (vector && vector.state !== 'Idle') this.device.update(name, { state: 'Idle' });
      }
      this.answer('FOCUS_ABORT_MOTION', { state: 'Ok', values: { ABORT: false } });
    });
  }

  /** What a command's CommandStatus means for an INDI client, or null when it succeeded. */
  private refusal(code: CommandStatus, what: 'connect' | 'disconnect' | 'move' | 'abort'): string | null {
    switch (code) {
      case CommandStatus.Succeeded:
      case CommandStatus.NotDisconnected:
        return null;
      case CommandStatus.Blocked:
        return what === 'move'
          ? 'Refused: the focuser is busy with another move or command (Pyro set_focus answers Blocked now); abort it first or wait'
          : `Refused: the focuser is busy with a move or another command; ${what === 'disconnect' ? 'abort the move first' : 'try again when it ends'}`;
      case CommandStatus.NotConnected:
        return 'The focuser is not connected: connect first';
      case CommandStatus.PositionOutsideLimits:
        return `Requested position is outside the focuser's range 0 to ${numberOf(this.service.reportStatus(), 'max_steps')}`;
      case CommandStatus.InvalidControlIP:
        return 'Refused: not one of this focuser\'s control machines';
      default: {
        const lastError = this.service.reportStatus().last_error;
        return typeof lastError === 'string' ? lastError : `The focuser failed to ${what}`;
      }
    }
  }
}

export interface IndiOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  deviceName: string;
}

export interface RunningIndi {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the focuser over INDI on `options.host:port` beside the Pyro daemon. */
export async function startIndiFocuser(
  options: IndiOptions & Omit<IndiFocuserOptions, 'deviceName'> & { logger?: IndiLogger; limits?: Partial<IndiLimits> },
): Promise<RunningIndi> {
  const focuser = new IndiFocuser({ ...options });
  const server = new IndiServer({
    host: options.host,
    port: options.port,
    device: focuser.device,
    onWrite: (request, client) => focuser.onWrite(request, client),
    logger: options.logger,
    limits: options.limits,
  });
  try {
    const bound = await server.start();
    return {
      ...bound,
      async close() {
        focuser.close();
        await server.close();
      },
    };
  } catch (e) {
    focuser.close();
    throw e;
  }
}
