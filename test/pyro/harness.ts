// Shared by the Pyro daemon tests: a daemon serving the test object on a free loopback port, and a
// runner for the real Python Pyro4 client script (test/fixtures/pyro/client.py) as a child process.
import { PyroDaemon } from '../../src/pyro/index.js';
import { fromRoot } from '../helpers/paths.js';
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

