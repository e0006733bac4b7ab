import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Readiness and liveness for systemd (`Type=notify`, `WatchdogSec=`), without a native module.
 *
 * Node has no Unix datagram sockets, so each message is handed to `systemd-notify`, a child
 * process. The unit says `NotifyAccess=all` so the manager accepts messages from it. That is
 * reliable since systemd 246: systemd-notify (without --no-block) waits until the manager has
 * read the message (a barrier), so the manager still finds the sender in the unit's cgroup; older
 * versions could exit first and have the message dropped. Checked on systemd 252 under the unit's
 * sandbox by test/system/booted.test.ts.
 *
 * Everything here is a no-op when NOTIFY_SOCKET is unset (focusd started by hand or by a test).
 * Nothing blocks focusd or brings it down: a systemd-notify that is missing, fails or hangs (killed
 * after NOTIFY_TIMEOUT_MS) is reported once through `warn`, and a heartbeat is skipped while the
 * previous one is still running.
 */
export interface SystemdNotifier {
  /** READY=1 (the Pyro port listens), with a status line for `systemctl status`; starts the watchdog heartbeat. */
  ready(status: string): void;
  /** STOPPING=1: focusd is shutting down; stops the heartbeat. */
  stopping(): void;
  /** Whether systemd asked for notifications (NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** The heartbeat period in ms, or null when systemd set no watchdog for this process. */
  readonly heartbeatMs: number | null;
}

export interface SystemdNotifierOptions {
  /** Where a failure is reported, once. */
  warn(message: string): void;
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** The program to run (default `systemd-notify` on PATH). */
  command?: string;
  /** How long one systemd-notify may run before it is killed (default NOTIFY_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** How long one systemd-notify may take before it is killed (its own barrier waits up to 5 s). */
export const NOTIFY_TIMEOUT_MS = 10_000;

/**
 * The watchdog period systemd asked for, as sd_watchdog_enabled() reads it: WATCHDOG_USEC, for
 * this process when WATCHDOG_PID is set. The heartbeat goes at half of it, as systemd advises.
 */
export function watchdogHeartbeatMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

export function systemdNotifier(options: SystemdNotifierOptions): SystemdNotifier {
  const env = options.env ?? process.env;
  const command = options.command ?? 'systemd-notify';
  const timeoutMs = options.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const enabled = (env.NOTIFY_SOCKET ?? '') !== '';
  const heartbeatMs = enabled ? watchdogHeartbeatMs(env, options.pid ?? process.pid) : null;
  let warned = false;
  let heartbeatRunning = false;
  let heartbeat: NodeJS.Timeout | null = null;

  const fail = (what: string, reason: string): void => {
    if (warned) return;
    warned = true;
    options.warn(`systemd-notify ${what} failed (${reason}): systemd may not see focusd as started or alive; is systemd-notify installed?`);
  };

  /** Runs systemd-notify with `args`; calls `done` when it has ended, whatever happened. */
  const send = (args: string[], done?: () => void): void => {
    let finished = false;
    const finish = (problem: string | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (problem !== null) fail(args.join(' '), problem);
      done?.();
    };
    let timer: NodeJS.Timeout | undefined;
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    } catch (e) {
      finish(e instanceof Error ? e.message : String(e));
      return;
    }
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 500) stderr += d;
    });
    child.on('error', (e) => finish(e.message));
    child.on('exit', (code, signal) => {
      if (code === 0) finish(null);
      else finish(signal !== null ? `killed by ${signal}` : `exit ${code}${stderr.trim() !== '' ? `: ${stderr.trim().split('\n')[0]}` : ''}`);
    });
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    timer.unref();
    // A pending notification never keeps focusd alive at exit.
    child.unref();
  };

  const beat = (): void => {
    if (heartbeatRunning) return;
    heartbeatRunning = true;
    send(['WATCHDOG=1'], () => (heartbeatRunning = false));
  };

  return {
    enabled,
    heartbeatMs,
    ready(status) {
      if (!enabled) return;
      send(['--ready', `--status=${status}`]);
      if (heartbeatMs !== null && heartbeat === null) {
        heartbeat = setInterval(beat, heartbeatMs);
        heartbeat.unref();
      }
    },
    stopping() {
      if (heartbeat !== null) clearInterval(heartbeat);
      heartbeat = null;
      if (enabled) send(['STOPPING=1', '--status=stopping']);
    },
  };
}
