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
