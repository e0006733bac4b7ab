import { createActor, type Actor } from 'xstate';
import {
  CommandStatus,
  connectionMachine,
  focuserStatus,
  FocuserStatus,
  topState,
  type Caller,
  type ConnectionEvent,
  type ConnectionSnapshot,
  type MachineLog,
  type OpenDevice,
  type Reply,
} from '../machines/index.js';

/** Where the audit trail goes: the journal only (pino's method shape). */
export interface AuditLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  isLevelEnabled(level: string): boolean;
}

export interface FocuserServiceOptions {
  open: OpenDevice;
  log: MachineLog;
  /** Who may command (not only query): the config's control machines, by address. */
  isControl: (address: string) => boolean;
  audit?: AuditLog;
  /** Seconds, from the config's move_timeout. */
  moveTimeout: number;
  pollMs?: number;
  settleMs?: number;
  idlePollMs?: number;
  /** XState's clock (setTimeout/clearTimeout), for simulated time. */
  clock?: { setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown; clearTimeout(id: unknown): void };
}

/** The report_status() dictionary: upstream's keys, plus extra facts while connected. */
export type StatusReport = Record<string, string | number | boolean | number[] | null>;

/** `YYYY-MM-DDTHH:MM:SSZ`, as upstream's `Time.now().strftime('%Y-%m-%dT%H:%M:%SZ')`. */
export const utcStamp = (date = new Date()): string => date.toISOString().slice(0, 19) + 'Z';

const silentAudit: AuditLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, isLevelEnabled: () => false };

/** A command's result in the audit trail's words. */
function outcome(code: CommandStatus, snap: ConnectionSnapshot): string {
  switch (code) {
    case CommandStatus.Succeeded:
      return 'succeeded';
    case CommandStatus.Failed:
      return `failed: ${snap.context.lastError ?? 'no reason recorded'}`;
    case CommandStatus.Blocked:
      return `refused: the focuser is busy (${topState(snap)})`;
    case CommandStatus.InvalidControlIP:
      return 'refused: not a control machine';
    case CommandStatus.DeviceNotFound:
      return `failed: ${snap.context.lastError ?? 'device not found'}`;
    case CommandStatus.PositionOutsideLimits:
      return `refused: outside 0 - ${snap.context.facts?.extent ?? '?'} steps`;
    case CommandStatus.NotConnected:
      return 'refused: the focuser is not connected';
    case CommandStatus.NotDisconnected:
      return 'refused: the focuser is already connected';
  }
}

/**
 * The focuser behind the Pyro object (and INDI): runs the connection machine, turns commands into
 * events whose replies are the CommandStatus results, checks who may command, writes the audit
 * trail, and reads report_status from the snapshot.
 */
export class FocuserService {
  readonly actor: Actor<typeof connectionMachine>;
  private readonly isControl: (address: string) => boolean;
  private readonly audit: AuditLog;
  private lastReport: { snapshot: ConnectionSnapshot; second: number; report: Readonly<StatusReport> } | null = null;

  constructor(options: FocuserServiceOptions) {
    this.isControl = options.isControl;
    this.audit = options.audit ?? silentAudit;
    this.actor = createActor(connectionMachine, {
      ...(options.clock ? { clock: options.clock } : {}),
      input: {
        open: options.open,
        log: options.log,
        moveTimeoutMs: Math.round(options.moveTimeout * 1000),
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
        ...(options.idlePollMs !== undefined ? { idlePollMs: options.idlePollMs } : {}),
      },
    });
    if (this.audit.isLevelEnabled('debug')) {
      let last = '';
      this.actor.subscribe((s) => {
        const state = topState(s);
        if (state !== last) this.audit.debug({ from: last || null, to: state }, `focuser state ${last || 'start'} -> ${state}`);
        last = state;
      });
    }
    this.actor.start();
  }

  get snapshot(): ConnectionSnapshot {
    return this.actor.getSnapshot();
  }

  get state(): string {
    return topState(this.snapshot);
  }

  initialize = (caller: Caller): Promise<CommandStatus> => this.command(caller, 'initialize()', (reply) => ({ type: 'INITIALIZE', reply }));
  shutdown = (caller: Caller): Promise<CommandStatus> => this.command(caller, 'shutdown()', (reply) => ({ type: 'SHUTDOWN', reply }));
  home = (caller: Caller): Promise<CommandStatus> => this.command(caller, 'home()', (reply) => ({ type: 'HOME', reply }));
  stop = (caller: Caller): Promise<CommandStatus> => this.command(caller, 'stop()', (reply) => ({ type: 'STOP', reply, caller }));

  /**
   * Moves to `steps` (or by it, with `offset`); `label` is the call as the client made it, for the
   * audit trail. A position beyond any double (a Python int too big) is outside every focuser's range.
   */
  setFocus(steps: number | bigint, offset: boolean, caller: Caller, label: string): Promise<CommandStatus> {
    if (typeof steps === 'bigint') {
      const refused = this.admit(caller, label) ?? this.answered(caller, label, CommandStatus.PositionOutsideLimits);
      return Promise.resolve(refused);
    }
    return this.command(caller, label, (reply) => ({ type: 'MOVE', steps, offset, reply }));
  }

  /**
   * What set_focus answers before looking at its argument, as upstream orders its checks: not a
   * control machine, then Blocked while busy or moving, NotConnected while disabled; null to go on.
   * A refusal is in the audit trail under `label` (the call as the client made it).
   */
  checkMove(caller: Caller, label: string): CommandStatus | null {
    const refused = this.admit(caller, label);
    if (refused !== null) return refused;
    const state = this.state;
    if (state === 'disabled') return this.answered(caller, label, CommandStatus.NotConnected);
    if (state !== 'idle') return this.answered(caller, label, CommandStatus.Blocked);
    return null;
  }

  /** A command refused for its arguments (the client gets an exception, not a code): a warning in the audit trail. */
  rejected(caller: Caller, label: string, reason: string): void {
    this.audit.warn({ client: caller.address, code: null, position: this.position() }, `${label} from ${caller.address} (${caller.protocol}): rejected: ${reason}`);
  }

  /** Where the focuser is, while the device is open (shutting down included); null once it is closed. */
  private position(): number | null {
    const snap = this.snapshot;
    return snap.context.facts !== null ? snap.context.current : null;
  }

  /** Null when `caller` may command; otherwise InvalidControlIP, in the audit trail. */
  admit(caller: Caller, label: string): CommandStatus | null {
    return this.isControl(caller.address) ? null : this.answered(caller, label, CommandStatus.InvalidControlIP);
  }

  private async command(caller: Caller, label: string, event: (reply: Reply) => ConnectionEvent): Promise<CommandStatus> {
    const refused = this.admit(caller, label);
    if (refused !== null) return refused;
    let code: CommandStatus;
    if (this.snapshot.status !== 'active') code = CommandStatus.Blocked;
    else code = await new Promise<CommandStatus>((reply) => this.actor.send(event(reply)));
    return this.answered(caller, label, code);
  }

  /** Writes a command's line in the audit trail (info when it succeeded, warning otherwise). */
  private answered(caller: Caller, label: string, code: CommandStatus): CommandStatus {
    const snap = this.snapshot;
    const position = this.position();
    const message = `${label} from ${caller.address} (${caller.protocol}): ${outcome(code, snap)}${position !== null ? `, at ${position} steps` : ''}`;
    const fields = { client: caller.address, code, position };
    if (code === CommandStatus.Succeeded) this.audit.info(fields, message);
    else this.audit.warn(fields, message);
    return code;
  }

  reportStatus(now = new Date(), caller?: Caller): Readonly<StatusReport> {
    if (caller !== undefined && this.audit.isLevelEnabled('debug')) this.audit.debug({ client: caller.address, protocol: caller.protocol }, `report_status() from ${caller.address} (${caller.protocol})`);
    // One report per state and per second (the date's resolution): many clients polling the status
    // get the same frozen object, which the Pyro layer serializes once.
    const snap = this.snapshot;
    const second = Math.floor(now.getTime() / 1000);
    const cached = this.lastReport;
    if (cached !== null && cached.snapshot === snap && cached.second === second) return cached.report;
    const report = Object.freeze(this.buildReport(snap, now));
    this.lastReport = { snapshot: snap, second, report };
    return report;
  }

  private buildReport(snap: ConnectionSnapshot, now: Date): StatusReport {
    const c = snap.context;
    const status = focuserStatus(snap);
    const report: StatusReport = { date: utcStamp(now), status };
    if (status === FocuserStatus.Idle || status === FocuserStatus.Moving) {
      report.current_steps = c.current;
      report.target_steps = c.target;
      if (c.facts) {
        report.max_steps = c.facts.extent;
        report.model = c.facts.model;
        report.serial_number = c.facts.serialNumber;
        report.firmware_revision = c.facts.firmwareRevision;
      }
      report.temperatures = Object.freeze([...c.temperatures]) as number[];
      report.homing = topState(snap) === 'homing';
      report.homed = c.homed;
      report.at_home = c.status.atHome;
      report.at_limit = c.status.atLimit;
    }
    if (c.lastError !== null) report.last_error = c.lastError;
    return report;
  }

  /** Halts any motion, closes the device and stops the machine; bounded by `timeoutMs`. */
  async terminate(timeoutMs = 5000): Promise<void> {
    if (this.snapshot.status !== 'active') return;
    const done = new Promise<void>((resolve) => {
      const sub = this.actor.subscribe({
        next: (s) => {
          if (s.status !== 'active') {
            sub.unsubscribe();
            resolve();
          }
        },
        complete: () => resolve(),
        error: () => resolve(),
      });
    });
    this.actor.send({ type: 'TERMINATE' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.actor.stop();
  }
}
