import { createActor, type Actor } from 'xstate';
import {
  AT_HOME_BIT,
  AT_LIMIT_BIT,
  CommandStatus,
  connectionMachine,
  focuserStatus,
  FocuserStatus,
  topState,
  type ConnectionSnapshot,
  type MachineLog,
  type OpenDevice,
} from '../machines/index.js';

export interface FocuserServiceOptions {
  open: OpenDevice;
  log: MachineLog;
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

/**
 * The focuser behind the Pyro object: runs the connection machine, turns commands into events
 * whose replies are the CommandStatus results, and reads report_status from the snapshot.
 */
export class FocuserService {
  readonly actor: Actor<typeof connectionMachine>;
  private lastReport: { snapshot: ConnectionSnapshot; second: number; report: Readonly<StatusReport> } | null = null;

  constructor(options: FocuserServiceOptions) {
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
    this.actor.start();
  }

  get snapshot(): ConnectionSnapshot {
    return this.actor.getSnapshot();
  }

  get state(): string {
    return topState(this.snapshot);
  }

  private send(event: { type: 'INITIALIZE' | 'SHUTDOWN' | 'HOME' | 'STOP' } | { type: 'MOVE'; steps: number; offset: boolean }): Promise<CommandStatus> {
    if (this.snapshot.status !== 'active') return Promise.resolve(CommandStatus.Blocked);
    return new Promise((resolve) => this.actor.send({ ...event, reply: resolve }));
  }

  initialize = (): Promise<CommandStatus> => this.send({ type: 'INITIALIZE' });
  shutdown = (): Promise<CommandStatus> => this.send({ type: 'SHUTDOWN' });
  home = (): Promise<CommandStatus> => this.send({ type: 'HOME' });
  stop = (): Promise<CommandStatus> => this.send({ type: 'STOP' });
  setFocus = (steps: number, offset: boolean): Promise<CommandStatus> => this.send({ type: 'MOVE', steps, offset });

  /**
   * What set_focus answers before looking at its argument, as upstream orders its checks:
   * Blocked while busy or moving, NotConnected while disabled, otherwise null (go on).
   */
  precheckMove(): CommandStatus | null {
    const state = this.state;
    if (state === 'disabled') return CommandStatus.NotConnected;
    if (state !== 'idle') return CommandStatus.Blocked;
    return null;
  }

  reportStatus(now = new Date()): Readonly<StatusReport> {
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
      report.at_home = (c.statusBits & AT_HOME_BIT) !== 0;
      report.at_limit = (c.statusBits & AT_LIMIT_BIT) !== 0;
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
