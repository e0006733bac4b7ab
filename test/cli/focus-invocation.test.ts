import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atlasSimBin, focusdBin, fromRoot } from '../helpers/paths.js';
import { COMMAND_NAMES } from '../../src/cli/focus/program.js';
import { runFocus, runFocusOnTty, startSimulated } from './harness.js';

/** Upstream's message, with what the directory holds between its two sentences. */
const discoveryError = (holds: string): string =>
  `error: failed to guess the default config file (${holds}). Run as FOCUSD_CONFIG_PATH=/path/to/config.json focus <command>\n`;

/** An environment with no config path and the config directory pointed at `dir`. */
function discoveryEnv(dir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, FOCUSD_CONFIG_DIR: dir, FOCUSD_PHONEBOOK_DIR: '' };
  delete env.FOCUSD_CONFIG_PATH;
  delete env.NO_COLOR;
  return env;
}

describe('focus invocation', () => {
  test('bad arguments print the command usage and exit -1 (255)', async () => {
    const cases: Array<[string[], string]> = [
      [['set'], 'usage: focus set <step position>'],
      [['set', 'abc'], 'usage: focus set <step position>'],
      [['set', '1.5'], 'usage: focus set <step position>'],
      [['set', '1', '2'], 'usage: focus set <step position>'],
      [['offset'], 'usage: focus offset <step delta>'],
      [['offset', '--', 'x'], 'usage: focus offset <step delta>'],
      [['status', 'now'], 'usage: focus status'],
      [['stop', '-x'], 'usage: focus stop'],
      [['fly'], 'usage: focus <command> [<args>]'],
    ];
    for (const [args, usage] of cases) {
      const r = await runFocus(args, { ...process.env, FOCUSD_CONFIG_PATH: '/nonexistent/never-read.json' });
      assert.equal(r.code, 255, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0] as string, /^error: /, args.join(' '));
      assert.equal(lines.at(-1), usage, args.join(' '));
    }
  });

  test('--help lists every command; every command has --help; --version prints the version stamped at build time', async () => {
    const help = await runFocus(['--help'], process.env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: focus <command> \[<args>\]/);
    for (const name of COMMAND_NAMES) assert.match(help.stdout, new RegExp(`\\n  ${name}\\b`), name);
    const bare = await runFocus([], process.env);
    assert.equal(bare.code, 0);
    assert.equal(bare.stdout, help.stdout);
    for (const name of COMMAND_NAMES) {
      const r = await runFocus([name, '--help'], process.env);
      assert.equal(r.code, 0, name);
      assert.match(r.stdout, new RegExp(`^Usage: focus ${name}\\b`), name);
    }
    const version = await runFocus(['--version'], process.env);
    const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string };
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: fromRoot(), encoding: 'utf8' }).stdout.trim();
    assert.match(version.stdout, new RegExp(`^${pkg.version.replace(/\./g, '\\.')}\\+git\\.${commit}(\\.dirty)?\n$`));
    assert.equal(version.code, 0);
    // focusd and atlas-sim print the same one.
    for (const program of [focusdBin, atlasSimBin]) {
      const other = spawnSync(process.execPath, [program, '--version'], { encoding: 'utf8', timeout: 20_000 });
      assert.deepEqual([other.status, other.stdout], [0, version.stdout], program);
    }
  });

  test('no config file in the config directory: the discovery error, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'focus-etc-'));
    mkdirSync(join(dir, 'phonebook.d'));
    writeFileSync(join(dir, 'notes.txt'), 'not a config');
    writeFileSync(join(dir, '.hidden.json'), '{}');
    const r = await runFocus(['status'], discoveryEnv(dir));
    assert.equal(r.stderr, discoveryError(`${dir} holds no *.json`));
    assert.equal(r.stdout, '');
    assert.equal(r.code, 1);
    const absent = await runFocus(['status'], discoveryEnv(join(dir, 'absent')));
    assert.equal(absent.stderr, discoveryError(`${join(dir, 'absent')} cannot be read`));
  });

  test('several config files: the discovery error naming them, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'focus-etc-'));
    writeFileSync(join(dir, 'a.json'), readFileSync(fromRoot('config', 'test.json')));
    writeFileSync(join(dir, 'b.json'), readFileSync(fromRoot('config', 'warwick.json')));
    writeFileSync(join(dir, 'c.json'), readFileSync(fromRoot('config', 'warwick.json')));
    const r = await runFocus(['init'], discoveryEnv(dir));
    assert.equal(r.stderr, discoveryError(`${dir} holds a.json, b.json and c.json`));
    assert.equal(r.code, 1);
  });

  test('exactly one config file in the directory is used', async () => {
    const t = await startSimulated();
    const dir = mkdtempSync(join(tmpdir(), 'focus-etc-'));
    writeFileSync(join(dir, 'site.json'), readFileSync(t.config));
    const r = await runFocus(['status'], discoveryEnv(dir, t.env));
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'Focuser is OFFLINE\n');
    assert.equal(r.code, 0);
  });

  test('a config that cannot be read or is invalid is a one-line error, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'focus-etc-'));
    const missing = await runFocus(['status'], { ...process.env, FOCUSD_CONFIG_PATH: join(dir, 'missing.json') });
    assert.equal(missing.stderr, `error: cannot load configuration ${join(dir, 'missing.json')}: no such file\n`);
    assert.equal(missing.code, 1);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ daemon: 'nope', log_name: 'x', control_machines: [], move_timeout: 5 }));
    const invalid = await runFocus(['status'], { ...process.env, FOCUSD_CONFIG_PATH: bad, FOCUSD_PHONEBOOK_DIR: '' });
    assert.match(invalid.stderr, /^error: Invalid configuration .*bad\.json:\n\t\/daemon: 'nope' is not a valid daemon name\n$/);
    assert.equal(invalid.code, 1);
  });

  test('on a terminal the state is bold and coloured; NO_COLOR keeps bold only', async () => {
    const t = await startSimulated();
    const coloured = await runFocusOnTty(['status'], t.env);
    assert.equal(coloured.code, 0);
    assert.equal(coloured.output, 'Focuser is \x1b[1;91mOFFLINE\x1b[0m\r\n');
    const noColour = await runFocusOnTty(['status'], { ...t.env, NO_COLOR: '1' });
    assert.equal(noColour.output, 'Focuser is \x1b[1mOFFLINE\x1b[0m\r\n');
    const piped = await runFocus(['status'], t.env);
    assert.equal(piped.stdout, 'Focuser is OFFLINE\n');
  });

  test('the bash completion offers every command and nothing else', () => {
    const script = `compopt() { :; }; source ${JSON.stringify(fromRoot('completion', 'focus'))}
COMP_WORDS=(focus ""); COMP_CWORD=1; _focus; echo "\${COMPREPLY[@]}"
COMP_WORDS=(focus s); COMP_CWORD=1; _focus; echo "\${COMPREPLY[@]}"
COMP_WORDS=(focus set ""); COMP_CWORD=2; _focus; echo "[\${COMPREPLY[@]}]"
complete -p focus`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
    const [all, s, arg, registered] = r.stdout.trimEnd().split('\n');
    const offered = (all as string).split(' ');
    assert.deepEqual(offered.filter((w) => !w.startsWith('-')).sort(), [...COMMAND_NAMES].sort());
    assert.deepEqual(offered.filter((w) => w.startsWith('-')).sort(), ['--help', '--version']);
    assert.equal(s, 'set stop status');
    assert.equal(arg, '[]', 'no guesses for a step position');
    assert.equal(registered, 'complete -F _focus focus');
  });
});
