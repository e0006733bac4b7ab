import { assign, fromPromise, sendTo, setup, type SnapshotFrom } from 'xstate';
import {
  AT_HOME_BIT,
  NoFocuserError,
  serialized,
  type FocuserDevice,
  type FocuserFacts,
  type OpenDevice,
} from './device.js';
import { motionMachine, type MotionOutput, type MotionProgressEvent } from './motion.js';
import { CommandStatus, FocuserStatus, type MachineLog, type Reply } from './status.js';

/**
 * The focuser connection: disabled -> initializing -> idle <-> moving / homing / stopping, with
 * fault (a device error: close the device, back to disabled) and shuttingDown. The machine owns the
 * device, answers every command with a rockit CommandStatus through the command's `reply`, and its
 * snapshot is what report_status() reads. Busy states answer other commands with Blocked at once.
 */
export interface ConnectionInput {
  open: OpenDevice;
  log: MachineLog;
  /** Milliseconds a move may take before the motor is halted (the config's move_timeout). */
  moveTimeoutMs: number;
  /** Position/status poll interval during a move (upstream: 100 ms). */
  pollMs?: number;
  /** Wait after the initial halt before reading the position (upstream: 250 ms). */
  settleMs?: number;
  /** Position/status/temperature refresh while idle; 0 turns it off. */
  idlePollMs?: number;
}

export interface ConnectionContext {
  open: OpenDevice;
  log: MachineLog;
  moveTimeoutMs: number;
  pollMs: number;
  settleMs: number;
  idlePollMs: number;
  device: FocuserDevice | null;
  facts: FocuserFacts | null;
  current: number;
  target: number;
  statusBits: number;
  temperatures: number[];
  homed: boolean;
  /** The last fault or failure, for report_status and the logs. */
  lastError: string | null;
  /** The caller of the command in progress. */
  reply: Reply | null;
  /** Callers of stop() waiting for the halt to finish. */
  stopReplies: Reply[];
  terminating: boolean;
}

export type ConnectionEvent =
  | { type: 'INITIALIZE'; reply: Reply }
  | { type: 'SHUTDOWN'; reply: Reply }
  | { type: 'MOVE'; steps: number; offset: boolean; reply: Reply }
  | { type: 'HOME'; reply: Reply }
  | { type: 'STOP'; reply: Reply }
  /** SIGTERM/SIGINT: halt any motion, close the device, end in `stopped`. */
  | { type: 'TERMINATE' }
  | MotionProgressEvent;

interface Reading {
  position: number;
  statusBits: number;
  temperatures: number[];
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const readAll = async (device: FocuserDevice): Promise<Reading> => ({
  position: await device.position(),
  statusBits: await device.status(),
  temperatures: await device.temperatures(),
});

export const connectionMachine = setup({
  types: {} as { context: ConnectionContext; events: ConnectionEvent; input: ConnectionInput },
  actors: {
    openDevice: fromPromise<FocuserDevice, OpenDevice>(async ({ input: open }) => {
      const device = serialized(await open());
      try {
        await device.halt(); // the upstream daemon halts any motion before trusting the position
      } catch (error) {
        await device.close().catch(() => undefined);
        throw error;
      }
      return device;
    }),
    readDevice: fromPromise<Reading, FocuserDevice>(({ input }) => readAll(input)),
    haltDevice: fromPromise<Reading, FocuserDevice>(async ({ input }) => {
      await input.halt();
      return readAll(input);
    }),
    closeDevice: fromPromise<void, FocuserDevice | null>(async ({ input }) => {
      await input?.close();
    }),
    motion: motionMachine,
  },
  delays: {
    SETTLE: ({ context }) => context.settleMs,
    IDLE_POLL: ({ context }) => context.idlePollMs,
  },
  guards: {
    terminating: ({ context }) => context.terminating,
    idlePolling: ({ context }) => context.idlePollMs > 0,
    noFocuser: (_, p: { error: unknown }) => p.error instanceof NoFocuserError,
    outsideLimits: ({ context }, p: { steps: number; offset: boolean }) => {
      const target = p.offset ? context.target + p.steps : p.steps;
      return !(target >= 0 && target <= (context.facts?.extent ?? 0));
    },
    outcomeIs: (_, p: { output: MotionOutput; outcome: MotionOutput['outcome'] }) => p.output.outcome === p.outcome,
  },
  actions: {
    answer: (_, p: { reply: Reply; code: CommandStatus }) => p.reply(p.code),
    /** Settles the running command and any waiting stop() callers. */
    settle: assign(({ context }, p: { code: CommandStatus; stopCode?: CommandStatus }) => {
      context.reply?.(p.code);
      for (const r of context.stopReplies) r(p.stopCode ?? p.code);
      return { reply: null, stopReplies: [] };
    }),
    holdReply: assign((_, p: { reply: Reply }) => ({ reply: p.reply })),
    queueStop: assign(({ context }, p: { reply: Reply }) => ({ stopReplies: [...context.stopReplies, p.reply] })),
    applyReading: assign((_, r: Reading) => ({ current: r.position, statusBits: r.statusBits, temperatures: r.temperatures })),
    /** The focuser is where it is: current and target both become the true position (as upstream's stop()). */
    restAt: assign((_, position: number) => ({ current: position, target: position })),
    recordError: assign(({ context }, p: { error: unknown; what: string }) => {
      const message = `${p.what}: ${describe(p.error)}`;
      context.log.error(message);
      return { lastError: message };
    }),
    forgetDevice: assign({ device: null, facts: null, temperatures: [], statusBits: 0, homed: false }),
    markTerminating: assign({ terminating: true }),
    info: ({ context }, message: string) => context.log.info(message),
    warning: ({ context }, message: string) => context.log.warning(message),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    open: input.open,
    log: input.log,
    moveTimeoutMs: input.moveTimeoutMs,
    pollMs: input.pollMs ?? 100,
    settleMs: input.settleMs ?? 250,
    idlePollMs: input.idlePollMs ?? 1000,
    device: null,
    facts: null,
    current: 0,
    target: 0,
    statusBits: 0,
    temperatures: [],
    homed: false,
    lastError: null,
    reply: null,
    stopReplies: [],
    terminating: false,
  }),
  initial: 'disabled',
  // Defaults for busy states; each resting state overrides what it accepts.
  on: {
    INITIALIZE: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.Blocked }) } },
    SHUTDOWN: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.Blocked }) } },
    MOVE: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.Blocked }) } },
    HOME: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.Blocked }) } },
    STOP: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.NotConnected }) } },
    TERMINATE: { actions: 'markTerminating' },
  },
  states: {
    disabled: {
      always: { guard: 'terminating', target: 'stopped' },
      on: {
        INITIALIZE: { target: 'initializing', actions: { type: 'holdReply', params: ({ event }) => ({ reply: event.reply }) } },
        SHUTDOWN: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.NotConnected }) } },
        MOVE: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.NotConnected }) } },
        HOME: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.NotConnected }) } },
        TERMINATE: { target: 'stopped' },
      },
    },
    initializing: {
      initial: 'opening',
      states: {
        opening: {
          invoke: {
            src: 'openDevice',
            input: ({ context }) => context.open,
            onDone: {
              target: 'settling',
              actions: assign(({ event }) => ({ device: event.output, facts: event.output.facts })),
            },
            onError: [
              {
                guard: { type: 'noFocuser', params: ({ event }) => ({ error: event.error }) },
                target: '#connection.disabled',
                actions: [
                  { type: 'warning', params: ({ event }) => `Focuser not found: ${describe(event.error)}` },
                  { type: 'settle', params: { code: CommandStatus.DeviceNotFound } },
                ],
              },
              {
                target: '#connection.disabled',
                actions: [
                  { type: 'recordError', params: ({ event }) => ({ error: event.error, what: 'Failed to initialize focuser' }) },
                  { type: 'settle', params: { code: CommandStatus.Failed } },
                ],
              },
            ],
          },
        },
        settling: { after: { SETTLE: 'reading' } },
        reading: {
          invoke: {
            src: 'readDevice',
            input: ({ context }) => context.device as FocuserDevice,
            onDone: {
              target: '#connection.idle',
              actions: [
                { type: 'applyReading', params: ({ event }) => event.output },
                { type: 'restAt', params: ({ event }) => event.output.position },
                assign(({ event }) => ({ homed: false, lastError: null, statusBits: event.output.statusBits })),
                { type: 'info', params: 'Focuser initialized' },
                { type: 'settle', params: { code: CommandStatus.Succeeded } },
              ],
            },
            onError: {
              target: '#connection.fault',
              actions: [
                { type: 'recordError', params: ({ event }) => ({ error: event.error, what: 'Failed to initialize focuser' }) },
                { type: 'settle', params: { code: CommandStatus.Failed } },
              ],
            },
          },
        },
      },
    },
    idle: {
      always: { guard: 'terminating', target: 'shuttingDown' },
      initial: 'waiting',
      on: {
        INITIALIZE: { actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.NotDisconnected }) } },
        SHUTDOWN: { target: 'shuttingDown', actions: { type: 'holdReply', params: ({ event }) => ({ reply: event.reply }) } },
        MOVE: [
          {
            guard: { type: 'outsideLimits', params: ({ event }) => event },
            actions: { type: 'answer', params: ({ event }) => ({ reply: event.reply, code: CommandStatus.PositionOutsideLimits }) },
          },
          {
            target: 'moving',
            actions: [
              { type: 'holdReply', params: ({ event }) => ({ reply: event.reply }) },
              assign(({ context, event }) => ({ target: event.offset ? context.target + event.steps : event.steps })),
            ],
          },
        ],
        HOME: {
          target: 'homing',
          actions: [{ type: 'holdReply', params: ({ event }) => ({ reply: event.reply }) }, assign({ target: 0 })],
        },
        STOP: { target: 'stopping', actions: { type: 'queueStop', params: ({ event }) => ({ reply: event.reply }) } },
        TERMINATE: { target: 'shuttingDown', actions: 'markTerminating' },
      },
      states: {
        waiting: {
          after: { IDLE_POLL: { guard: 'idlePolling', target: 'refreshing' } },
        },
        refreshing: {
          invoke: {
            src: 'readDevice',
            input: ({ context }) => context.device as FocuserDevice,
            onDone: { target: 'waiting', actions: { type: 'applyReading', params: ({ event }) => event.output } },
            onError: {
              target: '#connection.fault',
              actions: { type: 'recordError', params: ({ event }) => ({ error: event.error, what: 'Focuser lost while idle' }) },
            },
          },
        },
      },
    },
    stopping: {
      on: { STOP: { actions: { type: 'queueStop', params: ({ event }) => ({ reply: event.reply }) } } },
      invoke: {
        src: 'haltDevice',
        input: ({ context }) => context.device as FocuserDevice,
        onDone: {
          target: 'idle',
          actions: [
            { type: 'applyReading', params: ({ event }) => event.output },
            { type: 'restAt', params: ({ event }) => event.output.position },
            { type: 'settle', params: { code: CommandStatus.Succeeded } },
          ],
        },
        onError: {
          target: 'fault',
          actions: [
            { type: 'recordError', params: ({ event }) => ({ error: event.error, what: 'Focuser fault while stopping' }) },
            { type: 'settle', params: { code: CommandStatus.Failed } },
          ],
        },
      },
    },
    moving: {
      on: {
        'MOTION.PROGRESS': { actions: assign(({ event }) => ({ current: event.position, statusBits: event.statusBits })) },
        STOP: {
          actions: [{ type: 'queueStop', params: ({ event }) => ({ reply: event.reply }) }, sendTo('motion', { type: 'STOP' })],
        },
        TERMINATE: { actions: ['markTerminating', sendTo('motion', { type: 'STOP' })] },
      },
      invoke: {
        id: 'motion',
        src: 'motion',
        input: ({ context }) => ({
          kind: 'move' as const,
          target: context.target,
          device: context.device as FocuserDevice,
          timeoutMs: context.moveTimeoutMs,
          pollMs: context.pollMs,
        }),
        onDone: [
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ output: event.output, outcome: 'arrived' }) },
            target: 'idle',
            actions: [
              assign(({ event }) => ({ current: event.output.position, statusBits: event.output.statusBits })),
              { type: 'settle', params: { code: CommandStatus.Succeeded } },
            ],
          },
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ output: event.output, outcome: 'stopped' }) },
            target: 'idle',
            actions: [
              { type: 'restAt', params: ({ event }) => event.output.position },
              { type: 'info', params: ({ event }) => `Move stopped at ${event.output.position} steps` },
              { type: 'settle', params: { code: CommandStatus.Failed, stopCode: CommandStatus.Succeeded } },
            ],
          },
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ output: event.output, outcome: 'timeout' }) },
            target: 'idle',
            actions: [
              {
                type: 'warning',
                params: ({ context, event }) =>
                  `Move timed out after ${context.moveTimeoutMs / 1000} s at ${event.output.position} steps ` +
                  `(target ${context.target}); motor halted`,
              },
              { type: 'restAt', params: ({ event }) => event.output.position },
              { type: 'settle', params: { code: CommandStatus.Failed, stopCode: CommandStatus.Succeeded } },
            ],
          },
          {
            target: 'fault',
            actions: [
              { type: 'recordError', params: ({ event }) => ({ error: event.output.error, what: 'Focuser fault during move' }) },
              { type: 'settle', params: { code: CommandStatus.Failed } },
            ],
          },
        ],
      },
    },
    homing: {
      on: {
        'MOTION.PROGRESS': { actions: assign(({ event }) => ({ current: event.position, statusBits: event.statusBits })) },
        STOP: {
          actions: [{ type: 'queueStop', params: ({ event }) => ({ reply: event.reply }) }, sendTo('homeMotion', { type: 'STOP' })],
        },
        TERMINATE: { actions: ['markTerminating', sendTo('homeMotion', { type: 'STOP' })] },
      },
      invoke: {
        id: 'homeMotion',
        src: 'motion',
        input: ({ context }) => ({
          kind: 'home' as const,
          device: context.device as FocuserDevice,
          timeoutMs: context.moveTimeoutMs,
          pollMs: context.pollMs,
        }),
        onDone: [
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ output: event.output, outcome: 'arrived' }) },
            target: 'idle',
            actions: [
              { type: 'restAt', params: ({ event }) => event.output.position },
              assign(({ event }) => ({ statusBits: event.output.statusBits, homed: (event.output.statusBits & AT_HOME_BIT) !== 0 || event.output.position === 0 })),
              { type: 'info', params: ({ event }) => `Focuser homed at ${event.output.position} steps` },
              { type: 'settle', params: { code: CommandStatus.Succeeded } },
            ],
          },
          {
            guard: ({ event }) => event.output.outcome !== 'fault',
            target: 'idle',
            actions: [
              { type: 'restAt', params: ({ event }) => event.output.position },
              { type: 'warning', params: ({ event }) => `Homing ${event.output.outcome === 'timeout' ? 'timed out' : 'stopped'} at ${event.output.position} steps` },
              { type: 'settle', params: { code: CommandStatus.Failed, stopCode: CommandStatus.Succeeded } },
            ],
          },
          {
            target: 'fault',
            actions: [
              { type: 'recordError', params: ({ event }) => ({ error: event.output.error, what: 'Focuser fault during homing' }) },
              { type: 'settle', params: { code: CommandStatus.Failed } },
            ],
          },
        ],
      },
    },
    fault: {
      // The cause is already logged and recorded; close what is left of the device.
      invoke: {
        src: 'closeDevice',
        input: ({ context }) => context.device,
        onDone: { target: 'disabled', actions: 'forgetDevice' },
        onError: { target: 'disabled', actions: 'forgetDevice' },
      },
    },
    shuttingDown: {
      invoke: {
        src: 'closeDevice',
        input: ({ context }) => context.device,
        onDone: {
          target: 'disabled',
          actions: ['forgetDevice', { type: 'info', params: 'Focuser disconnected' }, { type: 'settle', params: { code: CommandStatus.Succeeded } }],
        },
        onError: {
          target: 'disabled',
          actions: [
            'forgetDevice',
            { type: 'recordError', params: ({ event }) => ({ error: event.error, what: 'Error closing focuser' }) },
            { type: 'settle', params: { code: CommandStatus.Succeeded } },
          ],
        },
      },
    },
    stopped: { type: 'final' },
  },
});

export type ConnectionSnapshot = SnapshotFrom<typeof connectionMachine>;

/** The state name at the top level (`idle`, `moving`, ...). */
export function topState(snapshot: ConnectionSnapshot): string {
  const v = snapshot.value;
  return typeof v === 'string' ? v : Object.keys(v)[0] ?? '';
}

/** What report_status() calls `status`: Idle while resting connected, Moving during any motion. */
export function focuserStatus(snapshot: ConnectionSnapshot): FocuserStatus {
  switch (topState(snapshot)) {
    case 'idle':
    case 'stopping':
      return FocuserStatus.Idle;
    case 'moving':
    case 'homing':
      return FocuserStatus.Moving;
    default:
      return FocuserStatus.Disabled;
  }
}

