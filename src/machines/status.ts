/** rockit's `CommandStatus` codes, as `rockit.focuser.atlas.constants` numbers them. */
export const CommandStatus = {
  Succeeded: 0,
  Failed: 1,
  Blocked: 2,
  InvalidControlIP: 3,
  DeviceNotFound: 4,
  PositionOutsideLimits: 6,
  NotConnected: 7,
  NotDisconnected: 8,
} as const;
export type CommandStatus = (typeof CommandStatus)[keyof typeof CommandStatus];

/** rockit's `FocuserStatus`: what report_status() calls `status`. */
export const FocuserStatus = { Disabled: 0, Idle: 1, Moving: 2 } as const;
export type FocuserStatus = (typeof FocuserStatus)[keyof typeof FocuserStatus];

/** How a command's caller learns its result. */
export type Reply = (code: CommandStatus) => void;

/** Where the machine writes what a person should know (the service forwards it to the logs). */
export interface MachineLog {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

/** Who sent a command: for the audit trail and for reasons such as "stopped by stop() from 127.0.0.1". */
export interface Caller {
  protocol: 'pyro' | 'indi';
  /** The client's address (IPv4-mapped IPv6 already normalised). */
  address: string;
}

/** How a caller's stop reads in a reason: `stop() from 127.0.0.1`, `INDI abort from 127.0.0.1`. */
export function stopperName(caller: Caller): string {
  return `${caller.protocol === 'indi' ? 'INDI abort' : 'stop()'} from ${caller.address}`;
}
