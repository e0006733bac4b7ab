export * from './device.js';
export * from './status.js';
export { motionMachine, type MotionInput, type MotionOutput, type MotionOutcome } from './motion.js';
export {
  connectionMachine,
  focuserStatus,
  topState,
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionSnapshot,
  type MotionKind,
} from './connection.js';
