import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { focusdBin } from '../helpers/paths.js';
import { start, type Running } from '../helpers/process.js';
import { PYTHON } from '../helpers/python.js';
import { python, scratchSetup } from './harness.js';

// focusd's own log as the journal, a terminal and a log shipper see it. journald hands a service a
// stream whose device:inode it puts in JOURNAL_STREAM; here the stream is a file, so what focusd
// wrote is what journald would have read (it files `<N>` as the entry's priority and strips it).

interface Logged {
  proc: Running;
  uri: string;
  file: string;
  lines(): string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts focusd with stdout into a file; `journal` sets JOURNAL_STREAM to that file's device:inode. */
async function focusdLoggingTo(options: { journal?: boolean; env?: NodeJS.ProcessEnv; args?: string[]; controlMachines?: string[] } = {}): Promise<Logged> {
  const { dir, config, env } = scratchSetup(options.controlMachines ? { controlMachines: options.controlMachines } : {});
  const file = join(dir, 'stdout.log');
  const fd = openSync(file, 'a');
  const stat = statSync(file, { bigint: true });
  const childEnv: NodeJS.ProcessEnv = { ...env };
  delete childEnv.FOCUSD_LOG_FORMAT;
  delete childEnv.JOURNAL_STREAM;
  if (options.journal) childEnv.JOURNAL_STREAM = `${stat.dev}:${stat.ino}`;
  Object.assign(childEnv, options.env);
  const proc = start(process.execPath, [focusdBin, ...(options.args ?? ['--simulate']), config], { env: childEnv, stdio: ['ignore', fd, 'pipe'], lifetimeMs: 60_000 });
  closeSync(fd);
  const lines = (): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  for (let waited = 0; ; waited += 25) {
    const m = /Starting daemon (PYRO:[^\s"]+)/.exec(lines().join('\n'));
    if (m) return { proc, uri: m[1] as string, file, lines };
    if (waited > 20_000) throw new Error(`focusd did not start: ${proc.stderr()} ${lines().join('\n')}`);
    await sleep(25);
  }
}

async function lineMatching(log: Logged, pattern: RegExp): Promise<string> {
  for (let waited = 0; waited < 10_000; waited += 25) {
    const found = log.lines().find((l) => pattern.test(l));
    if (found !== undefined) return found;
    await sleep(25);
  }
  throw new Error(`no line matching ${pattern} in:\n${log.lines().join('\n')}`);
}

describe('focusd logs for the journal, a terminal and log shippers', () => {
  test('stdout is the journal: every record is one readable line with its syslog priority; "Focuser not found" is a warning (4)', async () => {
    const log = await focusdLoggingTo({ journal: true, args: [] }); // real hardware: none on this machine
    assert.equal(python(log.uri, `R['init'] = proxy().initialize()`).init, 4);
    const warning = await lineMatching(log, /Focuser not found/);
    assert.match(warning, /^<4>Focuser not found: \S.*$/);
    const audit = await lineMatching(log, /initialize\(\) from/);
    assert.match(audit, /^<4>initialize\(\) from 127\.0\.0\.1 \(pyro\): failed: Focuser not found: .* component=audit client=127\.0\.0\.1 code=4 position=null$/);
    assert.match(await lineMatching(log, /Starting daemon/), /^<6>Starting daemon PYRO:e2e_focuser_daemon@127\.0\.0\.1:\d+ version=\S+ simulate=false /);
    await log.proc.stop();
    for (const line of log.lines()) {
      assert.match(line, /^<[2-7]>[^<{]/, `every line carries a priority and no JSON: ${line}`);
      assert.doesNotMatch(line, /"level"/);
    }
    assert.match(log.lines().at(-1) as string, /^<6>Exiting daemon PYRO:/);
  });

  test('a JOURNAL_STREAM that is not this stdout (inherited by a redirected child) gives readable text lines', async () => {
    const log = await focusdLoggingTo({ env: { JOURNAL_STREAM: '1:2' } });
    await log.proc.stop();
    for (const line of log.lines()) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARNING|ERROR|DEBUG) +\S/, line);
  });

  test('FOCUSD_LOG_FORMAT=json: pino JSON lines, none with a key twice (checked by Python\'s json with a strict hook)', async () => {
    // A log daemon that is not there: the forward failure is a local warning about a warning.
    const log = await focusdLoggingTo({ env: { FOCUSD_LOG_FORMAT: 'json', FOCUSD_LOG_DAEMON: 'PYRO:observatory_log_daemon@127.0.0.1:9' } });
    python(log.uri, `proxy().initialize()`);
    await lineMatching(log, /Failed to forward/);
    await log.proc.stop();
    const check = spawnSync(
      PYTHON,
      [
        '-c',
        `import json, sys
def strict(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)): raise ValueError('duplicate key in ' + repr(keys))
    return dict(pairs)
levels = {}
for line in open(sys.argv[1]):
    record = json.loads(line, object_pairs_hook=strict)
    levels[record['msg'][:26]] = record['level']
print(json.dumps(levels))`,
        log.file,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(check.status, 0, check.stderr);
    const levels = JSON.parse(check.stdout) as Record<string, number>;
    assert.equal(levels['Failed to forward info mes'], 40, check.stdout);
  });

  test('FOCUSD_LOG_LEVEL takes Python names in any case; DEBUG adds status polls and state changes; WARNING keeps only warnings', async () => {
    const debug = await focusdLoggingTo({ env: { FOCUSD_LOG_LEVEL: 'DEBUG' } });
    python(debug.uri, `f = proxy(); f.report_status(); f.initialize()`);
    await lineMatching(debug, /DEBUG +report_status\(\) from 127\.0\.0\.1 \(pyro\)/);
    await lineMatching(debug, /DEBUG +focuser state disabled -> initializing/);
    await lineMatching(debug, /DEBUG +client connected component=pyro client=127\.0\.0\.1:\d+ connection=\d+$/);
    await lineMatching(debug, /DEBUG +client disconnected component=pyro/);
    await debug.proc.stop();

    const quiet = await focusdLoggingTo({ env: { FOCUSD_LOG_LEVEL: 'warning' }, args: [] });
    python(quiet.uri, `proxy().report_status(); proxy().initialize()`);
    await lineMatching(quiet, /WARNING Focuser not found/);
    await quiet.proc.stop();
    assert.deepEqual(
      quiet.lines().filter((l) => !/ WARNING /.test(l) && !/ INFO +(Starting|Exiting) daemon PYRO:/.test(l)),
      [],
      'nothing below warning but the start and exit lines',
    );
  });

  test('why focusd could not start reaches the journal as an error (3): a bad log level, a usage error, a bad combination', () => {
    const { config, env, dir } = scratchSetup();
    const file = join(dir, 'journal.log');
    const cases: [NodeJS.ProcessEnv, string[], RegExp][] = [
      [{ FOCUSD_LOG_LEVEL: 'LOUD' }, ['--simulate', config], /^<3>focusd: FOCUSD_LOG_LEVEL=LOUD is not a log level: /],
      [{}, ['--simulate', '--bogus', config], /^<3>focusd: unknown option '--bogus' \(focusd --help shows the usage\)$/],
      [{}, ['--simulator-socket', join(dir, 'sim.sock'), config], /^<3>focusd: --simulator-socket names a simulator: it needs --simulate/],
    ];
    for (const [extra, args, expected] of cases) {
      // As under systemd: stdout and stderr are both the journal's stream, named by JOURNAL_STREAM.
      const fd = openSync(file, 'w');
      const stat = statSync(file, { bigint: true });
      const r = spawnSync(process.execPath, [focusdBin, ...args], { env: { ...env, ...extra, JOURNAL_STREAM: `${stat.dev}:${stat.ino}` }, stdio: ['ignore', fd, fd], timeout: 20_000 });
      closeSync(fd);
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
      assert.notEqual(r.status, 0);
      assert.match(lines.at(-1) ?? '', expected, lines.join('\n'));
    }
  });

  test('an unknown FOCUSD_LOG_LEVEL or FOCUSD_LOG_FORMAT stops focusd with one line naming the valid values', () => {
    const { config, env } = scratchSetup();
    for (const [key, value, expected] of [
      ['FOCUSD_LOG_LEVEL', 'LOUD', 'focusd: FOCUSD_LOG_LEVEL=LOUD is not a log level: use DEBUG, INFO, WARNING, ERROR or CRITICAL (any case; also TRACE, WARN, FATAL, SILENT)\n'],
      ['FOCUSD_LOG_FORMAT', 'xml', 'focusd: FOCUSD_LOG_FORMAT=xml is not a log format: use journal, text, json or auto\n'],
    ] as const) {
      const r = spawnSync(process.execPath, [focusdBin, '--simulate', config], { env: { ...env, [key]: value }, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.stderr, expected);
      assert.equal(r.status, 1);
    }
  });
});

describe('the audit trail: who moved the focuser', () => {
  test('every command is logged with the client, its arguments, the result and the position; refusals are warnings', async () => {
    const log = await focusdLoggingTo({ journal: true });
    python(
      log.uri,
      `f = proxy()
sim().set_step_rate(20000)
f.initialize()
f.set_focus(2000)
f.set_focus(-500, offset=True)
f.set_focus(10**30)
call_error(lambda: f.set_focus('2000'))
f.stop()
f.home()
f.shutdown()`,
    );
    python(log.uri, `R['refused'] = proxy().set_focus(100, offset=1)`, { source: '127.0.0.2' });
    const expected = [
      /^<6>initialize\(\) from 127\.0\.0\.1 \(pyro\): succeeded, at 1000 steps component=audit client=127\.0\.0\.1 code=0 position=1000$/,
      /^<6>set_focus\(2000\) from 127\.0\.0\.1 \(pyro\): succeeded, at 2000 steps .*code=0 position=2000$/,
      /^<6>set_focus\(-500, offset=True\) from 127\.0\.0\.1 \(pyro\): succeeded, at 1500 steps .*code=0 position=1500$/,
      /^<4>set_focus\(1000000000000000000000000000000\) from 127\.0\.0\.1 \(pyro\): refused: outside 0 - 100000 steps, at 1500 steps .*code=6/,
      /^<4>set_focus\('2000'\) from 127\.0\.0\.1 \(pyro\): rejected: TypeError: set_focus\(\) steps must be an int \(a step position\), not str component=audit client=127\.0\.0\.1 code=null position=1500$/,
      /^<6>stop\(\) from 127\.0\.0\.1 \(pyro\): succeeded, at 1500 steps/,
      /^<6>home\(\) from 127\.0\.0\.1 \(pyro\): succeeded, at 0 steps/,
      /^<6>shutdown\(\) from 127\.0\.0\.1 \(pyro\): succeeded component=audit client=127\.0\.0\.1 code=0 position=null$/,
      /^<4>set_focus\(100, offset=1\) from 127\.0\.0\.2 \(pyro\): refused: not a control machine component=audit client=127\.0\.0\.2 code=3 position=null$/,
    ];
    await lineMatching(log, /from 127\.0\.0\.2/);
    await log.proc.stop();
    const audit = log.lines().filter((l) => /component=audit/.test(l));
    assert.equal(audit.length, expected.length, audit.join('\n'));
    expected.forEach((pattern, i) => assert.match(audit[i] as string, pattern));
    assert.equal(log.lines().filter((l) => /report_status/.test(l)).length, 0, 'status polls are not at info');
  });
});
