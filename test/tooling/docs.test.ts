// The repository explains itself: no document sends the reader outside it (the team's notes in
// ../shared are not part of the product), and docs/protocol.md's request tables are the bytes the
// builders in src/hardware/atlas/commands.ts produce, so the page cannot drift from the driver.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  AtlasFocuser,
  AtlasStatusBits,
  Commands,
  ManualClock,
  SimulatedAtlas,
  SimulatedUsbTransport,
  legacyMoveCommand,
  moveCommand,
  temperatureCommand,
} from '../../src/hardware/index.js';
import { fromRoot, repoRoot } from '../helpers/paths.js';

/** Every Markdown file of the product: the top level, docs/ and bench/ (not dependencies or build output). */
function markdownFiles(): string[] {
  const found: string[] = [];
  for (const name of readdirSync(repoRoot)) if (name.endsWith('.md')) found.push(join(repoRoot, name));
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.md')) found.push(full);
    }
  };
  walk(fromRoot('docs'));
  walk(fromRoot('bench'));
  return found;
}

/** Links to these may stay: the upstream project focusd replaces, for context. */
const ALLOWED_SITES = [/^https:\/\/github\.com\/rockit-astro(\/|$)/];
/** Ways of naming the team's notes, which a clone does not have. */
const OUTSIDE = /\.\.\/shared|shared\/reference|\/work\/shared/;

interface Table {
  header: string[];
  rows: { cells: string[]; line: number }[];
}

/** The Markdown tables of `text`, cells trimmed; `\|` inside a cell is a literal bar. */
function tables(text: string): Table[] {
  const found: Table[] = [];
  const lines = text.split('\n');
  const cells = (line: string): string[] =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|[\s|:-]+\|\s*$/.test(lines[i + 1] ?? '')) continue;
    const table: Table = { header: cells(lines[i]!), rows: [] };
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) table.rows.push({ cells: cells(lines[j]!), line: j + 1 });
    found.push(table);
    i = j - 1;
  }
  return found;
}

/** The first code span of a cell, or null. */
const code = (cell: string | undefined): string | null => /`([^`]+)`/.exec(cell ?? '')?.[1] ?? null;
/** Every code span of a cell. */
const codes = (cell: string | undefined): string[] => [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** Runs the builder a table names: only these four shapes, so the page cannot hide an expression we do not check. */
function build(expression: string): Buffer {
  let m = /^Commands\.(\w+)$/.exec(expression);
  if (m) {
    const command = (Commands as Record<string, Buffer | undefined>)[m[1]!];
    if (!command) throw new Error(`commands.ts has no Commands.${m[1]}`);
    return command;
  }
  if ((m = /^moveCommand\((-?\d+)\)$/.exec(expression))) return moveCommand(Number(m[1]));
  if ((m = /^legacyMoveCommand\((-?1), (\d+)\)$/.exec(expression))) return legacyMoveCommand(Number(m[1]) as 1 | -1, Number(m[2]));
  if ((m = /^temperatureCommand\((\d+)\)$/.exec(expression))) return temperatureCommand(Number(m[1]));
  throw new Error(`"${expression}" is not a builder this check understands`);
}

async function readEveryTemperature(f: AtlasFocuser): Promise<void> {
  for (let channel = 0; channel < f.info.temperatureSensors; channel++) await f.temperature(channel);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?=.)/g, '$1 ');

const protocol = readFileSync(fromRoot('docs', 'protocol.md'), 'utf8');

describe('docs/protocol.md against src/hardware/atlas/commands.ts', () => {
  const requestRows = tables(protocol)
    .filter((t) => t.header.includes('builder') && t.header.includes('write'))
    .flatMap((t) => t.rows.map((r) => ({ builder: code(r.cells[t.header.indexOf('builder')]), write: code(r.cells[t.header.indexOf('write')]), line: r.line })));

  test('every row of a request table writes the bytes its builder returns', () => {
    assert.ok(requestRows.length >= 20, `only ${requestRows.length} request rows found: has the table layout changed?`);
    const wrong: string[] = [];
    for (const row of requestRows) {
      if (row.builder === null || row.write === null) {
        wrong.push(`line ${row.line}: a request row needs a builder and the bytes written, each in backticks`);
        continue;
      }
      let actual: string;
      try {
        actual = hex(build(row.builder));
      } catch (e) {
        wrong.push(`line ${row.line}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (actual !== row.write) wrong.push(`line ${row.line}: ${row.builder} writes ${actual}, the page says ${row.write}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('every command commands.ts builds has a row', () => {
    const named = new Set(requestRows.map((r) => r.builder ?? ''));
    const missing = Object.keys(Commands).filter((name) => !named.has(`Commands.${name}`));
    for (const builder of ['moveCommand', 'legacyMoveCommand', 'temperatureCommand']) {
      if (![...named].some((b) => b.startsWith(`${builder}(`))) missing.push(builder);
    }
    assert.deepEqual(missing, [], 'commands with no row in docs/protocol.md');
  });

  test('the table of firmware forms is what the driver writes to a simulator of each form', async () => {
    const forms = tables(protocol).find((t) => t.header[0] === 'form');
    assert.ok(forms, 'docs/protocol.md has a "| form | open ... |" table');
    const column = (start: string): number => {
      const at = forms.header.findIndex((h) => h.startsWith(start));
      assert.ok(at > 0, `the forms table has a "${start}" column`);
      return at;
    };
    const operations: [number, (f: AtlasFocuser) => Promise<unknown>][] = [
      [column('read position'), (f) => f.position()],
      [column('move +500'), (f) => f.moveRelative(500)],
      [column('move -300'), (f) => f.moveRelative(-300)],
      [column('halt'), (f) => f.halt()],
      [column('poll status'), (f) => f.status()],
      [column('temperature'), (f) => readEveryTemperature(f)],
    ];
    assert.equal(forms.rows.length, 5, 'the five forms the referee transcripts cover');
    for (const row of forms.rows) {
      const [hw, fw] = codes(row.cells[0]).map((c) => Number(c.replace(/^hw /, '')));
      assert.ok(hw !== undefined && fw !== undefined && Number.isInteger(hw) && Number.isInteger(fw), `line ${row.line}: a form is \`hw 0x..\`, fw \`0x....\``);
      const sim = new SimulatedAtlas({ clock: new ManualClock(0), firmwareRevision: fw, hardwareType: hw, position: 1000 });
      const written = (): string[] => sim.commands.map((c) => hex(c.bytes));
      const f = await AtlasFocuser.open(new SimulatedUsbTransport(sim));
      try {
        assert.deepEqual(written().slice(3), codes(row.cells[column('open')]), `line ${row.line}: open`);
        for (const [at, operation] of operations) {
          sim.clearCommands();
          await operation(f);
          assert.deepEqual(written(), codes(row.cells[at]), `line ${row.line}: ${forms.header[at]}`);
        }
      } finally {
        await f.close();
      }
    }
  });

  test('the status bit table is AtlasStatusBits', () => {
    const bitTable = tables(protocol).find((t) => t.header[0] === 'bit' && t.header[1] === 'name');
    assert.ok(bitTable, 'docs/protocol.md has a "| bit | name | meaning |" table');
    const documented = Object.fromEntries(bitTable.rows.map((r) => [code(r.cells[1]), Number(code(r.cells[0]))]));
    assert.deepEqual(documented, { ...AtlasStatusBits });
  });
});

describe('documents link nowhere outside the repository', () => {
  const files = markdownFiles();

  test('the documents are found', () => {
    const names = files.map((f) => relative(repoRoot, f));
    for (const expected of ['README.md', join('docs', 'hardware.md'), join('docs', 'protocol.md')]) assert.ok(names.includes(expected), `${expected} among ${names.join(', ')}`);
  });

  test('no document names the team notes, links another site, or links a file that is not in the repository', () => {
    const problems: string[] = [];
    for (const file of files) {
      const name = relative(repoRoot, file);
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const where = `${name}:${i + 1}`;
        if (OUTSIDE.test(line)) problems.push(`${where}: names the team's notes, which are not in the repository`);
        for (const [url] of line.matchAll(/https?:\/\/[^\s)>\]"'`]+/g)) {
          if (!ALLOWED_SITES.some((site) => site.test(url))) problems.push(`${where}: links ${url}`);
        }
        for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(target!) || target!.startsWith('#')) continue;
          const path = resolve(dirname(file), decodeURIComponent(target!.split('#')[0]!));
          if (path !== repoRoot && !path.startsWith(repoRoot + sep)) problems.push(`${where}: ${target} leaves the repository`);
          else if (!existsSync(path)) problems.push(`${where}: ${target} does not exist`);
        }
      });
    }
    assert.deepEqual(problems, []);
  });
});
