// Shared by the Pyro daemon tests: a daemon serving the test object on a free loopback port, and a
// runner for the real Python Pyro4 client script (test/fixtures/pyro/client.py) as a child process.
import { PyroDaemon } from '../../src/pyro/index.js';
import { fromRoot } from '../helpers/paths.js';
import { spawn } from 'node:child_process';
import { start, type Running } from '../helpers/process.js';
import { PYTHON, requirePythonPyro4 } from '../helpers/python.js';
import { OBJECT_ID, newState, testObject, type TestState } from './test-object.js';

export type DaemonOptions = ConstructorParameters<typeof PyroDaemon>[0];

export interface TestDaemon {
  daemon: PyroDaemon;
  state: TestState;
  port: number;
  uri: string;
  uriFor(objectId: string): string;
}

/** Starts a daemon with the test object; the caller closes it (`after(() => d.daemon.close())`). */
export async function startTestDaemon(options: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  const state = newState();
  const daemon = new PyroDaemon({ host: '127.0.0.1', port: 0, ...options });
  daemon.register(OBJECT_ID, testObject(state));
  const { port } = await daemon.start();
  const uriFor = (id: string): string => `PYRO:${id}@127.0.0.1:${port}`;
  return { daemon, state, port, uri: uriFor(OBJECT_ID), uriFor };
}

/**
 * Runs one scenario of client.py against `uri` and returns what it printed after `RESULT `.
 * Asynchronous (the daemon under test runs in this process), and bounded by `timeoutMs`.
 */
export async function pythonClient<T>(scenario: string, uri: string, opts: object = {}, timeoutMs = 60_000): Promise<T> {
  requirePythonPyro4();
  const script = fromRoot('test', 'fixtures', 'pyro', 'client.py');
  const run = start(PYTHON, [script, scenario, uri, JSON.stringify(opts)], { lifetimeMs: timeoutMs });
  const { code, signal } = await run.exited;
  const line = run
    .stdout()
    .split('\n')
    .find((l) => l.startsWith('RESULT '));
  if (code !== 0 || line === undefined) {
    throw new Error(`client.py ${scenario} exited ${code ?? signal}; stdout: ${run.stdout().slice(0, 4000)}\nstderr: ${run.stderr().slice(-4000)}`);
  }
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** What client.py reports for an exception it caught. */
export interface PyErrorInfo {
  class: string;
  args: unknown[];
  str: string;
  remote_tb: string[];
  pyro_tb_has_remote: boolean;
  is_communication_error: boolean;
  is_security_error: boolean;
}

export type Attempt = { ok: true; value: unknown } | { ok: false; error: PyErrorInfo };

/**
 * A long-lived child process for a `before` hook. (test/helpers/process.ts `start()` registers its
 * kill-all `after` hook in whichever test context makes the first call, so a process first started
 * inside a `before` hook is killed as soon as that hook returns.) The caller stops it in `after`;
 * `lifetimeMs` bounds it regardless, and it is killed if this test process exits.
 */
export function startLongLived(command: string, args: string[], lifetimeMs: number): Running {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), lifetimeMs);
  timer.unref();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = (out + '\n' + err).match(pattern);
          if (m) {
            cleanup();
            resolve(m);
          }
          return m !== null;
        };
        const onData = (): void => void check();
        const onExit = (): void => {
          if (!check()) {
            cleanup();
            reject(new Error(`process exited before ${pattern}; stdout: ${out}\nstderr: ${err}`));
          }
        };
        const t = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; stdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(t);
          child.stdout.removeListener('data', onData);
          child.stderr.removeListener('data', onData);
          child.removeListener('exit', onExit);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        t.unref();
      }
      return exited;
    },
  };
}
