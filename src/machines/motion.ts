import { assign, fromPromise, sendParent, setup } from 'xstate';
import { RESTING, type DeviceStatus, type FocuserDevice } from './device.js';

/**
 * One move (or homing run) of the focuser, as an actor the connection machine invokes: start the
 * motion, poll position and status every `pollMs` until the motion bits clear, and halt the motor
 * when STOP arrives or `timeoutMs` passes. It always ends in a final state whose output says how
 * the motion ended and where the focuser truly is; device errors end it with outcome `fault`.
 */
export type MotionGoal = { kind: 'move'; target: number } | { kind: 'home' };

export type MotionInput = MotionGoal & {
  device: FocuserDevice;
  timeoutMs: number;
  pollMs: number;
};

export type MotionOutcome = 'arrived' | 'stopped' | 'timeout' | 'fault';

export interface MotionOutput {
  outcome: MotionOutcome;
  position: number;
  status: DeviceStatus;
  error?: unknown;
}

export interface MotionProgressEvent {
  type: 'MOTION.PROGRESS';
  position: number;
  status: DeviceStatus;
}

interface MotionContext {
  input: MotionInput;
  position: number;
  status: DeviceStatus;
  outcome: MotionOutcome;
  error?: unknown;
}

interface Reading {
  position: number;
  status: DeviceStatus;
}

/** The start of a motion gave up because the motion was stopped first (nobody reads this). */
class MotionAbandoned extends Error {
  override name = 'MotionAbandoned';
  constructor() {
    super('stopped before the move was sent');
  }
}

/**
 * Status before position: when the status says the motor has stopped, the position read after it
 * is where it stopped. Read the other way round, a motor arriving between the two reads would
 * report "stopped" with a position a few steps short of the target.
 */
async function readMotion(device: FocuserDevice): Promise<Reading> {
  const status = await device.status();
  return { status, position: await device.position() };
}

export const motionMachine = setup({
  types: {} as {
    context: MotionContext;
    input: MotionInput;
    events: { type: 'STOP' };
    output: MotionOutput;
  },
  actors: {
    startMotion: fromPromise<Reading, MotionInput>(async ({ input, signal }) => {
      const { device } = input;
      if (input.kind === 'home') {
        await device.home();
      } else {
        const position = await device.position();
        // A STOP during the position read has already queued its halt: a move sent now would
        // start the motor after that halt and leave it running with nobody watching.
        if (signal.aborted) throw new MotionAbandoned();
        await device.moveRelative(input.target - position);
      }
      return readMotion(device);
    }),
    readMotion: fromPromise<Reading, FocuserDevice>(({ input: device }) => readMotion(device)),
    haltMotion: fromPromise<Reading, FocuserDevice>(async ({ input: device }) => {
      await device.halt();
      return readMotion(device);
    }),
  },
  delays: {
    POLL: ({ context }) => context.input.pollMs,
    MOVE_TIMEOUT: ({ context }) => context.input.timeoutMs,
  },
  guards: {
    motionEnded: (_, reading: Reading) => !reading.status.moving,
  },
  actions: {
    record: assign((_, reading: Reading) => ({ position: reading.position, status: reading.status })),
    reportProgress: sendParent(({ context }): MotionProgressEvent => ({
      type: 'MOTION.PROGRESS',
      position: context.position,
      status: context.status,
    })),
    recordFault: assign((_, p: { error: unknown }) => ({ outcome: 'fault' as const, error: p.error })),
  },
}).createMachine({
  id: 'motion',
  context: ({ input }) => ({ input, position: 0, status: RESTING, outcome: 'arrived' }),
  initial: 'running',
  states: {
    running: {
      initial: 'starting',
      after: { MOVE_TIMEOUT: { target: 'halting', actions: assign({ outcome: 'timeout' }) } },
      on: { STOP: { target: 'halting', actions: assign({ outcome: 'stopped' }) } },
      states: {
        starting: {
          invoke: {
            src: 'startMotion',
            input: ({ context }) => context.input,
            onDone: { target: 'checking', actions: { type: 'record', params: ({ event }) => event.output } },
            onError: { target: '#motion.ended', actions: { type: 'recordFault', params: ({ event }) => ({ error: event.error }) } },
          },
        },
        checking: {
          always: [
            { guard: { type: 'motionEnded', params: ({ context }) => context }, target: '#motion.ended' },
            { target: 'waiting', actions: 'reportProgress' },
          ],
        },
        waiting: { after: { POLL: 'reading' } },
        reading: {
          invoke: {
            src: 'readMotion',
            input: ({ context }) => context.input.device,
            onDone: { target: 'checking', actions: { type: 'record', params: ({ event }) => event.output } },
            onError: { target: '#motion.ended', actions: { type: 'recordFault', params: ({ event }) => ({ error: event.error }) } },
          },
        },
      },
    },
    halting: {
      invoke: {
        src: 'haltMotion',
        input: ({ context }) => context.input.device,
        onDone: { target: 'ended', actions: { type: 'record', params: ({ event }) => event.output } },
        onError: { target: 'ended', actions: { type: 'recordFault', params: ({ event }) => ({ error: event.error }) } },
      },
    },
    ended: { type: 'final' },
  },
  output: ({ context }) => ({
    outcome: context.outcome,
    position: context.position,
    status: context.status,
    ...(context.outcome === 'fault' ? { error: context.error } : {}),
  }),
});
