import { assign, enqueueActions, fromPromise, sendTo, setup, type SnapshotFrom } from 'xstate';
import { NoFocuserError, RESTING, serialized, type DeviceStatus, type FocuserDevice, type FocuserFacts, type OpenDevice } from './device.js';
import { motionMachine, type MotionOutput, type MotionProgressEvent } from './motion.js';
import { CommandStatus, FocuserStatus, stopperName, type Caller, type MachineLog, type Reply } from './status.js';

/**
 * The focuser connection: disabled -> initializing -> idle <-> moving (a move or homing) / stopping,
 * with fault (a device error: close the device, back to disabled) and shuttingDown. The machine owns
 * the device, answers every command with a rockit CommandStatus through the command's `reply`, and
 * its snapshot is what report_status() reads. Busy states answer other commands with Blocked at once.
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

export type MotionKind = 'move' | 'home';

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
  status: DeviceStatus;
  temperatures: number[];
  homed: boolean;
  /** Why the last command failed, kept until a command succeeds: report_status's last_error. */
  lastError: string | null;
  /** What the `moving` state is doing. */
  motion: MotionKind;
  /** The caller of the command in progress. */
  reply: Reply | null;
  /** Callers of stop() waiting for the halt to finish. */
  stopReplies: Reply[];
  /** Who stopped the motion in progress, for its reason. */
  stoppedBy: string | null;
  terminating: boolean;
}

export type ConnectionEvent =
  | { type: 'INITIALIZE'; reply: Reply }
  | { type: 'SHUTDOWN'; reply: Reply }
  | { type: 'MOVE'; steps: number; offset: boolean; reply: Reply }
  | { type: 'HOME'; reply: Reply }
  | { type: 'STOP'; reply: Reply; caller: Caller }
  /** SIGTERM/SIGINT: halt any motion, close the device, end in `stopped`. */
  | { type: 'TERMINATE' }
  | MotionProgressEvent;

interface Reading {
  position: number;
  status: DeviceStatus;
  temperatures: number[];
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// Status first, as in the motion machine: a position read after "not moving" is final.
const readAll = async (device: FocuserDevice): Promise<Reading> => ({
  status: await device.status(),
  position: await device.position(),
  temperatures: await device.temperatures(),
});

/** The device of a connected state: the machine enters none without one. */
function connected(context: ConnectionContext): FocuserDevice {
  if (context.device === null) throw new Error('connection machine: a connected state has no device');
  return context.device;
}

/** Why a motion that did not arrive failed, and how loud that is. */
function motionFailure(context: ConnectionContext, output: MotionOutput): { level: keyof MachineLog; message: string } {
  if (output.outcome === 'fault') return { level: 'error', message: `Focuser fault during ${context.motion === 'home' ? 'homing' : 'move'}: ${describe(output.error)}` };
  const what = context.motion === 'home' ? 'Homing' : 'Move';
  const where = `at ${output.position} steps (target ${context.target})`;
  if (output.outcome === 'timeout') return { level: 'warning', message: `${what} timed out after ${context.moveTimeoutMs / 1000} s ${where}; motor halted` };
  return { level: 'info', message: `${what} stopped by ${context.stoppedBy ?? 'focusd shutting down'} ${where}` };
}

/** Answers the event's caller with `code` at once. */
const answerWith = (code: CommandStatus) => ({
  type: 'answer' as const,
  params: ({ event }: { event: { reply: Reply } }) => ({ reply: event.reply, code }),
});
/** Logs `<what>: <the error>` as an error and keeps it as the last failure. */
const failedWith = (what: string) => ({
  type: 'fail' as const,
  params: ({ event }: { event: { error: unknown } }) => ({ level: 'error' as const, message: `${what}: ${describe(event.error)}` }),
});
const settleWith = (code: CommandStatus) => ({ type: 'settle' as const, params: { code } });
const holdReply = { type: 'holdReply' as const, params: ({ event }: { event: { reply: Reply } }) => ({ reply: event.reply }) };
const queueStop = { type: 'queueStop' as const, params: ({ event }: { event: { reply: Reply; caller: Caller } }) => event };

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
    holdReply: assign((_, p: { reply: Reply }) => ({ reply: p.reply })),
    queueStop: assign(({ context }, p: { reply: Reply; caller: Caller }) => ({
      stopReplies: [...context.stopReplies, p.reply],
      stoppedBy: context.stoppedBy ?? stopperName(p.caller),
    })),
    /** Answers the command in progress (and any waiting stop() callers) and forgets them. */
    settle: enqueueActions(({ context, enqueue }, p: { code: CommandStatus; stopCode?: CommandStatus }) => {
      const { reply, stopReplies } = context;
      enqueue.assign({ reply: null, stopReplies: [], stoppedBy: null });
      enqueue(() => {
        reply?.(p.code);
        for (const r of stopReplies) r(p.stopCode ?? p.code);
      });
    }),
    /** A command succeeded: the last failure no longer describes the focuser. */
    clearError: assign({ lastError: null }),
    /** Logs why a command failed and keeps it for report_status. */
    fail: enqueueActions(({ context, enqueue }, p: { level: keyof MachineLog; message: string }) => {
      enqueue.assign({ lastError: p.message });
      enqueue(() => context.log[p.level](p.message));
    }),
    applyReading: assign((_, r: Reading) => ({ current: r.position, status: r.status, temperatures: r.temperatures })),
    applyProgress: assign((_, p: MotionProgressEvent) => ({ current: p.position, status: p.status })),
    /** The focuser is where it is: current and target both become the true position (as upstream's stop()). */
    restAt: assign((_, position: number) => ({ current: position, target: position })),
    /** A move or homing reached its end: where it is, and for homing whether it found home. */
    arrive: enqueueActions(({ context, enqueue }, output: MotionOutput) => {
      const at = output.position;
      if (context.motion === 'move') {
        enqueue.assign({ current: at, status: output.status });
        return;
      }
      enqueue.assign({ current: at, target: at, status: output.status, homed: output.status.atHome || at === 0 });
      enqueue(() => context.log.info(`Focuser homed at ${at} steps`));
    }),
    forgetDevice: assign({ device: null, facts: null, temperatures: [], status: RESTING, homed: false }),
    markTerminating: assign({ terminating: true }),
    info: ({ context }, message: string) => context.log.info(message),
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
    status: RESTING,
    temperatures: [],
    homed: false,
    lastError: null,
    motion: 'move',
    reply: null,
    stopReplies: [],
    stoppedBy: null,
    terminating: false,
  }),
  initial: 'disabled',
  // Defaults for busy states; each resting state overrides what it accepts.
  on: {
    INITIALIZE: { actions: answerWith(CommandStatus.Blocked) },
    SHUTDOWN: { actions: answerWith(CommandStatus.Blocked) },
    MOVE: { actions: answerWith(CommandStatus.Blocked) },
    HOME: { actions: answerWith(CommandStatus.Blocked) },
    STOP: { actions: answerWith(CommandStatus.NotConnected) },
    TERMINATE: { actions: 'markTerminating' },
  },
  states: {
    disabled: {
      always: { guard: 'terminating', target: 'stopped' },
      on: {
        INITIALIZE: { target: 'initializing', actions: holdReply },
        SHUTDOWN: { actions: answerWith(CommandStatus.NotConnected) },
        MOVE: { actions: answerWith(CommandStatus.NotConnected) },
        HOME: { actions: answerWith(CommandStatus.NotConnected) },
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
            onDone: { target: 'settling', actions: assign(({ event }) => ({ device: event.output, facts: event.output.facts })) },
            onError: [
              {
                guard: { type: 'noFocuser', params: ({ event }) => ({ error: event.error }) },
                target: '#connection.disabled',
                actions: [
                  { type: 'fail', params: ({ event }) => ({ level: 'warning' as const, message: `Focuser not found: ${describe(event.error)}` }) },
                  settleWith(CommandStatus.DeviceNotFound),
                ],
              },
              { target: '#connection.disabled', actions: [failedWith('Failed to initialize focuser'), settleWith(CommandStatus.Failed)] },
            ],
          },
        },
        settling: { after: { SETTLE: 'reading' } },
        reading: {
          invoke: {
            src: 'readDevice',
            input: ({ context }) => connected(context),
            onDone: {
              target: '#connection.idle',
              actions: [
                { type: 'applyReading', params: ({ event }) => event.output },
                { type: 'restAt', params: ({ event }) => event.output.position },
                assign({ homed: false }),
                'clearError',
                { type: 'info', params: 'Focuser initialized' },
                settleWith(CommandStatus.Succeeded),
              ],
            },
            onError: { target: '#connection.fault', actions: [failedWith('Failed to initialize focuser'), settleWith(CommandStatus.Failed)] },
          },
        },
      },
    },
    idle: {
      always: { guard: 'terminating', target: 'shuttingDown' },
      initial: 'waiting',
      on: {
        INITIALIZE: { actions: answerWith(CommandStatus.NotDisconnected) },
        SHUTDOWN: { target: 'shuttingDown', actions: holdReply },
        MOVE: [
          { guard: { type: 'outsideLimits', params: ({ event }) => event }, actions: answerWith(CommandStatus.PositionOutsideLimits) },
          {
            target: 'moving',
            actions: [holdReply, assign(({ context, event }) => ({ motion: 'move' as const, target: event.offset ? context.target + event.steps : event.steps }))],
          },
        ],
        HOME: { target: 'moving', actions: [holdReply, assign({ motion: 'home' as const, target: 0 })] },
        STOP: { target: 'stopping', actions: queueStop },
        TERMINATE: { target: 'shuttingDown', actions: 'markTerminating' },
      },
      states: {
        waiting: { after: { IDLE_POLL: { guard: 'idlePolling', target: 'refreshing' } } },
        refreshing: {
          invoke: {
            src: 'readDevice',
            input: ({ context }) => connected(context),
            onDone: { target: 'waiting', actions: { type: 'applyReading', params: ({ event }) => event.output } },
            onError: { target: '#connection.fault', actions: failedWith('Focuser lost while idle') },
          },
        },
      },
    },
    stopping: {
      on: { STOP: { actions: queueStop } },
      invoke: {
        src: 'haltDevice',
        input: ({ context }) => connected(context),
        onDone: {
          target: 'idle',
          actions: [
            { type: 'applyReading', params: ({ event }) => event.output },
            { type: 'restAt', params: ({ event }) => event.output.position },
            settleWith(CommandStatus.Succeeded),
          ],
        },
        onError: { target: 'fault', actions: [failedWith('Focuser fault while stopping'), settleWith(CommandStatus.Failed)] },
      },
    },
    moving: {
      on: {
        'MOTION.PROGRESS': { actions: { type: 'applyProgress', params: ({ event }) => event } },
        STOP: { actions: [queueStop, sendTo('motion', { type: 'STOP' })] },
        TERMINATE: { actions: ['markTerminating', sendTo('motion', { type: 'STOP' })] },
      },
      invoke: {
        id: 'motion',
        src: 'motion',
        input: ({ context }) => ({
          ...(context.motion === 'home' ? { kind: 'home' as const } : { kind: 'move' as const, target: context.target }),
          device: connected(context),
          timeoutMs: context.moveTimeoutMs,
          pollMs: context.pollMs,
        }),
        onDone: [
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ output: event.output, outcome: 'fault' as const }) },
            target: 'fault',
            actions: [{ type: 'fail', params: ({ context, event }) => motionFailure(context, event.output) }, settleWith(CommandStatus.Failed)],
          },
          {
            guard: { type: 'outcomeIs', params: ({ event }) => ({ output: event.output, outcome: 'arrived' as const }) },
            target: 'idle',
            actions: [{ type: 'arrive', params: ({ event }) => event.output }, 'clearError', settleWith(CommandStatus.Succeeded)],
          },
          {
            // Stopped or timed out: the motor is halted where it is.
            target: 'idle',
            actions: [
              { type: 'fail', params: ({ context, event }) => motionFailure(context, event.output) },
              { type: 'restAt', params: ({ event }) => event.output.position },
              { type: 'settle', params: { code: CommandStatus.Failed, stopCode: CommandStatus.Succeeded } },
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
          actions: ['forgetDevice', 'clearError', { type: 'info', params: 'Focuser disconnected' }, settleWith(CommandStatus.Succeeded)],
        },
        onError: { target: 'disabled', actions: ['forgetDevice', failedWith('Error closing focuser'), settleWith(CommandStatus.Succeeded)] },
      },
    },
    stopped: { type: 'final' },
  },
});

export type ConnectionSnapshot = SnapshotFrom<typeof connectionMachine>;

/** What the focuser is doing: the top-level state, with a motion named by its kind (`moving` or `homing`). */
export function topState(snapshot: ConnectionSnapshot): string {
  const v = snapshot.value;
  const top = typeof v === 'string' ? v : (Object.keys(v)[0] ?? '');
  return top === 'moving' && snapshot.context.motion === 'home' ? 'homing' : top;
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
