import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { focusdBin, fromRoot } from '../helpers/paths.js';
import { start, type Running } from '../helpers/process.js';
import { PYTHON, requirePythonPyro4 } from '../helpers/python.js';

export interface Focusd {
  proc: Running;
  uri: string;
  simUri: string;
  dir: string;
}

export interface FocusdOptions {
  moveTimeout?: number;
  controlMachines?: string[];
  /** FOCUSD_LOG_DAEMON for the child; `none` unless given. */
  logDaemon?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** More phone book files, merged after the scratch one. */
  phoneBooks?: string[];
}

/** A scratch phone book putting the test focuser on 127.0.0.1, any free port. */
export function scratchSetup(options: FocusdOptions = {}): { dir: string; config: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'focusd-e2e-'));
  const phonebook = join(dir, 'phonebook.json');
  writeFileSync(
    phonebook,
    JSON.stringify({
      machines: { E2EOther: '127.0.0.2' },
      daemons: { e2e_focuser: { object_id: 'e2e_focuser_daemon', host: '127.0.0.1', port: 0 } },
    }),
  );
  const config = join(dir, 'e2e.json');
  writeFileSync(
    config,
    JSON.stringify({
      daemon: 'e2e_focuser',
      log_name: 'focusd@e2e',
      control_machines: options.controlMachines ?? ['LocalHost'],
      move_timeout: options.moveTimeout ?? 20,
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FOCUSD_PHONEBOOK: [phonebook, ...(options.phoneBooks ?? [])].join(':'),
    FOCUSD_PHONEBOOK_DIR: '',
    FOCUSD_LOG_DAEMON: options.logDaemon ?? 'none',
    ...options.env,
  };
  return { dir, config, env };
}

/** Starts `bin/focusd --simulate` on a free loopback port and waits for its URI. */
export async function startFocusd(options: FocusdOptions = {}): Promise<Focusd> {
  requirePythonPyro4();
  const { dir, config, env } = scratchSetup(options);
  const proc = start(process.execPath, [focusdBin, '--simulate', ...(options.args ?? []), config], { env, lifetimeMs: 90_000 });
  const m = await proc.waitFor(/Starting daemon (PYRO:[^\s"]+)/);
  const uri = m[1] as string;
  return { proc, uri, simUri: uri.replace('@', '.simulator@'), dir };
}

const prelude = readFileSync(fromRoot('test', 'fixtures', 'service', 'client_prelude.py'), 'utf8');

/**
 * Runs a Python Pyro4 client script against `uri` (prelude: proxy(), sim(), in_thread(), wait_for(),
 * call_error(), results in R) and returns R. `source` binds the client to that local address.
 */
export function python(uri: string, body: string, options: { source?: string; timeoutMs?: number } = {}): Record<string, unknown> {
  requirePythonPyro4();
  const code = prelude + '\n' + body + '\nprint("RESULT " + json.dumps(R))\n';
  const r = spawnSync(PYTHON, ['-c', code, uri, options.source ?? ''], { encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 });
  if (r.error) throw r.error;
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`python client failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
}
