import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadPhoneBook, parseConfig, PhoneBookError } from '../../src/config/index.js';
import { fromRoot } from '../helpers/paths.js';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'focusd-phonebook-'));

describe('phone book', () => {
  test("holds rockit-common's focuser, log and localhost_test entries with their ports", () => {
    const book = loadPhoneBook({ FOCUSD_PHONEBOOK_DIR: '' });
    const expect: Record<string, [string, string, number]> = {
      warwick_focuser: ['warwick_focuser_daemon', '172.19.0.160', 9004],
      halfmetre_focuser: ['halfmetre_focuser_daemon', '10.2.6.120', 9041],
      onemetre_red_focuser: ['onemetre_red_focuser_daemon', '10.2.6.203', 9004],
      clasp_focus: ['clasp_focus_daemon', '10.2.6.181', 9036],
      portable_focus: ['portable_focus_daemon', '127.0.0.1', 9036],
      ngts_m06_focuser: ['ngts_m06_focuser_daemon', '10.2.5.115', 9002],
      pdt_focuser: ['pdt_focuser_daemon', '127.0.0.1', 9005],
      observatory_log: ['observatory_log_daemon', '10.2.6.100', 9016],
      warwick_log: ['warwick_operations_daemon', '172.19.0.160', 9015],
      localhost_test: ['localhost_test_daemon', '127.0.0.1', 9000],
      localhost_test2: ['localhost_test_daemon2', '127.0.0.1', 9001],
      localhost_test5: ['localhost_test_daemon5', '127.0.0.1', 9004],
    };
    for (const [name, [objectId, host, port]] of Object.entries(expect)) {
      const d = book.daemons.get(name);
      assert.ok(d, `${name} missing`);
      assert.deepEqual([d.objectId, d.host, d.port, d.defaultTimeout, d.defaultRetries], [objectId, host, port, 5, 0], name);
    }
    assert.equal(book.machines.get('LocalHost'), '127.0.0.1');
    assert.equal(book.machines.get('WarwickTCS'), '172.19.0.160');
  });

  test('FOCUSD_PHONEBOOK files add and override entries; a host may be a machine name', () => {
    const dir = scratch();
    const extra = join(dir, 'extra.json');
    writeFileSync(
      extra,
      JSON.stringify({
        machines: { TestBench: '127.0.0.3' },
        daemons: {
          bench_focuser: { object_id: 'bench_focuser_daemon', host: 'TestBench', port: 0 },
          localhost_test: { object_id: 'moved_daemon', host: '127.0.0.1', port: 9100, default_timeout: 2 },
        },
      }),
    );
    const book = loadPhoneBook({ FOCUSD_PHONEBOOK_DIR: '', FOCUSD_PHONEBOOK: extra });
    assert.equal(book.sources.at(-1), extra);
    assert.deepEqual(book.daemons.get('bench_focuser'), {
      name: 'bench_focuser',
      objectId: 'bench_focuser_daemon',
      host: '127.0.0.3',
      port: 0,
      defaultTimeout: 5,
      defaultRetries: 0,
      uri: 'PYRO:bench_focuser_daemon@127.0.0.3:0',
    });
    assert.equal(book.daemons.get('localhost_test')?.uri, 'PYRO:moved_daemon@127.0.0.1:9100');
    assert.equal(book.daemons.get('localhost_test')?.defaultTimeout, 2);
    // A config naming the new entries validates against the extended book.
    const config = parseConfig(
      JSON.stringify({ daemon: 'bench_focuser', log_name: 'x', control_machines: ['TestBench'], move_timeout: 1 }),
      'bench.json',
      book,
    );
    assert.deepEqual(config.controlIps, ['127.0.0.3']);
  });

  test('a phonebook.d directory is merged in name order before FOCUSD_PHONEBOOK', () => {
    const dir = join(scratch(), 'phonebook.d');
    mkdirSync(dir);
    writeFileSync(join(dir, '20-b.json'), JSON.stringify({ machines: { Bench: '127.0.0.20' } }));
    writeFileSync(join(dir, '10-a.json'), JSON.stringify({ machines: { Bench: '127.0.0.10', Other: '127.0.0.11' } }));
    writeFileSync(join(dir, 'notes.txt'), 'not a phone book');
    const last = join(dir, '..', 'last.json');
    writeFileSync(last, JSON.stringify({ machines: { Other: '127.0.0.99' } }));
    const book = loadPhoneBook({ FOCUSD_PHONEBOOK_DIR: dir, FOCUSD_PHONEBOOK: last });
    assert.equal(book.machines.get('Bench'), '127.0.0.20');
    assert.equal(book.machines.get('Other'), '127.0.0.99');
    assert.equal(book.sources.length, 4);
  });

  test('a malformed phone book file is refused with each violation and the file named', () => {
    const file = join(scratch(), 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ machines: { A: '300.1.1.1' }, daemons: { d: { object_id: 'x', host: 'h', port: 70000, colour: 1 } } }),
    );
    assert.throws(
      () => loadPhoneBook({ FOCUSD_PHONEBOOK_DIR: '', FOCUSD_PHONEBOOK: file }),
      (e: unknown) =>
        e instanceof PhoneBookError &&
        e.file === file &&
        e.violations.map((v) => v.path).join(',') === '/daemons/d/colour,/daemons/d/port,/machines/A',
    );
  });

  test('the built-in config files validate against the built-in phone book', () => {
    const book = loadPhoneBook({ FOCUSD_PHONEBOOK_DIR: '' });
    for (const name of ['warwick.json', 'test.json']) loadConfig(fromRoot('config', name), book);
  });
});
