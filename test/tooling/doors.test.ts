// The doors of docs/architecture.md, checked on the source: each room imports only the rooms it may,
// so the protocols and the hardware never reach into the service.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fromRoot } from '../helpers/paths.js';

const src = fromRoot('src');

/** Room -> the rooms (top folders of src/) its files may import from, itself included. */
const DOORS: Record<string, string[]> = {
  common: ['common'],
  net: ['net', 'common'],
  pyro: ['pyro', 'net', 'common'],
  indi: ['indi', 'net', 'common'],
  hardware: ['hardware', 'common'],
  machines: ['machines', 'hardware', 'common'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Each relative import of a file, as the room it lands in (import type included). */
function importedRooms(file: string): Array<{ specifier: string; room: string }> {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => {
    const specifier = m[1] as string;
    const room = relative(src, resolve(dirname(file), specifier)).split(sep)[0] as string;
    return { specifier, room };
  });
}

describe('doors: which room may import which', () => {
  for (const [room, allowed] of Object.entries(DOORS)) {
    test(`src/${room} imports only ${allowed.map((r) => `src/${r}`).join(', ')}`, () => {
      const files = sourceFiles(join(src, room));
      assert.ok(files.length > 0, `no files in src/${room}`);
      const crossings = files.flatMap((file) =>
        importedRooms(file)
          .filter(({ room: to }) => !allowed.includes(to))
          .map(({ specifier }) => `${relative(src, file)} imports ${specifier}`),
      );
      assert.deepEqual(crossings, []);
    });
  }

  test('the check sees a crossing (src/service imports src/pyro and src/indi)', () => {
    const rooms = new Set(sourceFiles(join(src, 'service')).flatMap((f) => importedRooms(f).map((i) => i.room)));
    assert.ok(rooms.has('pyro') && rooms.has('indi'), [...rooms].join(' '));
  });
});
