import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigFileError,
  ConfigSchemaError,
  loadConfig,
  loadPhoneBook,
  parseConfig,
  type Violation,
} from '../../src/config/index.js';
import { fromRoot } from '../helpers/paths.js';

const book = loadPhoneBook({});

function violations(document: unknown): Violation[] {
  try {
    parseConfig(JSON.stringify(document), 'case.json', book);
  } catch (e) {
    assert.ok(e instanceof ConfigSchemaError, `expected ConfigSchemaError, got ${String(e)}`);
    return [...e.violations];
  }
  assert.fail('the document was accepted');
}

const valid = { daemon: 'warwick_focuser', log_name: 'focusd@warwick', control_machines: ['WarwickTCS'], move_timeout: 180 };

describe('focusd config', () => {
  test("upstream's warwick.json loads with the phone book's daemon and control IPs", () => {
    const config = loadConfig(fromRoot('config', 'warwick.json'), book);
    assert.equal(config.daemonName, 'warwick_focuser');
    assert.equal(config.daemon.objectId, 'warwick_focuser_daemon');
    assert.equal(config.daemon.host, '172.19.0.160');
    assert.equal(config.daemon.port, 9004);
    assert.equal(config.daemon.uri, 'PYRO:warwick_focuser_daemon@172.19.0.160:9004');
    assert.equal(config.logName, 'focusd@warwick');
    assert.deepEqual(config.controlMachines, ['WarwickTCS']);
    assert.deepEqual(config.controlIps, ['172.19.0.160']);
    assert.equal(config.moveTimeout, 180);
  });

  test('the localhost test config loads and allows 127.0.0.1 to control', () => {
    const config = loadConfig(fromRoot('config', 'test.json'), book);
    assert.equal(config.daemon.objectId, 'localhost_test_daemon');
    assert.equal(config.daemon.host, '127.0.0.1');
    assert.deepEqual(config.controlIps, ['127.0.0.1']);
  });

  test('an unknown daemon name is reported at /daemon', () => {
    assert.deepEqual(violations({ ...valid, daemon: 'no_such_daemon' }), [
      { path: '/daemon', message: "'no_such_daemon' is not a valid daemon name" },
    ]);
  });

  test('an unknown machine name is reported at its index in control_machines', () => {
    assert.deepEqual(violations({ ...valid, control_machines: ['WarwickTCS', 'Nowhere'] }), [
      { path: '/control_machines/1', message: "'Nowhere' is not a valid machine name" },
    ]);
  });

  test('each missing key is reported at its own path', () => {
    assert.deepEqual(violations({}), [
      { path: '/control_machines', message: 'is required' },
      { path: '/daemon', message: 'is required' },
      { path: '/log_name', message: 'is required' },
      { path: '/move_timeout', message: 'is required' },
    ]);
  });

  test('an extra key is refused, as upstream refuses it', () => {
    assert.deepEqual(violations({ ...valid, serial: 'ATL1' }), [{ path: '/serial', message: 'is not an allowed key' }]);
  });

  test('wrong types are reported, every one of them', () => {
    const found = violations({ daemon: 5, log_name: null, control_machines: 'WarwickTCS', move_timeout: '180' });
    assert.deepEqual(
      found.map((v) => v.path),
      ['/control_machines', '/daemon', '/log_name', '/move_timeout'],
    );
    for (const v of found) assert.match(v.message, /must be (string|array|number)/);
  });

  test('a non-positive move_timeout is refused', () => {
    assert.deepEqual(violations({ ...valid, move_timeout: 0 }), [{ path: '/move_timeout', message: 'must be > 0' }]);
  });

  test('a document that is not an object is reported at the root', () => {
    assert.deepEqual(violations([1, 2]), [{ path: '', message: 'must be object' }]);
  });

  test('the error message lists every violation with its path', () => {
    assert.throws(
      () => parseConfig(JSON.stringify({ ...valid, daemon: 'x', extra: true }), 'site.json', book),
      (e: unknown) =>
        e instanceof ConfigSchemaError &&
        e.message === "Invalid configuration site.json:\n\t/daemon: 'x' is not a valid daemon name\n\t/extra: is not an allowed key",
    );
  });

  test('a missing file and invalid JSON are ConfigFileErrors naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'focusd-config-'));
    assert.throws(() => loadConfig(join(dir, 'absent.json'), book), (e: unknown) => e instanceof ConfigFileError && /absent\.json: no such file/.test(e.message));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"daemon": ');
    assert.throws(() => loadConfig(bad, book), (e: unknown) => e instanceof ConfigFileError && /bad\.json: not valid JSON at line 1, column 11: the text ends too early$/.test(e.message));
  });

  test('a JSON error names its line and column, and a comment is called one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'focusd-config-'));
    const commented = join(dir, 'commented.json');
    writeFileSync(commented, '{\n  "daemon": "localhost_test",   # which daemon\n  "log_name": "x"\n}\n');
    assert.throws(
      () => loadConfig(commented, book),
      (e: unknown) => e instanceof ConfigFileError && e.message === `cannot load configuration ${commented}: not valid JSON at line 2, column 33: expected a property name in double quotes (JSON has no comments)`,
    );
    const trailing = join(dir, 'trailing.json');
    writeFileSync(trailing, '{\n  "daemon": "localhost_test",\n}\n');
    assert.throws(() => loadConfig(trailing, book), (e: unknown) => e instanceof ConfigFileError && /line 3, column 1: expected a property name in double quotes$/.test(e.message));
  });

  test('the mistakes a Python hand makes are placed too, though V8 gives no position for them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'focusd-config-'));
    const cases: [string, string][] = [
      ['{\n  "daemon": "localhost_test",\n  "log_name": \'focusd@test\',\n}\n', "line 3, column 15: expecting value (JSON strings take double quotes)"],
      ['{\n  "daemon": "localhost_test",\n  "move_timeout": 20,\n  "x": True\n}\n', 'line 4, column 8: expecting value (JSON writes true, false and null)'],
      ['{\n  "daemon": None\n}', 'line 2, column 13: expecting value (JSON writes true, false and null)'],
      ['{"daemon": "localhost_test", "x": tru}', 'line 1, column 35: expecting value'],
      ['{"daemon": "localhost_test" "log_name": "x"}', "line 1, column 29: expected ',' or '}'"],
      ['{"move_timeout": NaN}', 'line 1, column 18: expecting value'],
      ['{"daemon": "localhost_test"} {}', 'line 1, column 30: extra data'],
    ];
    for (const [i, [text, expected]] of cases.entries()) {
      const file = join(dir, `case${i}.json`);
      writeFileSync(file, text);
      assert.throws(
        () => loadConfig(file, book),
        (e: unknown) => e instanceof ConfigFileError && e.message === `cannot load configuration ${file}: not valid JSON at ${expected}`,
        JSON.stringify(text),
      );
    }
  });

  test("the README's configuration example is valid JSON and a valid config", () => {
    const readme = readFileSync(fromRoot('README.md'), 'utf8');
    const example = /### Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'the README has a json block under Configuration');
    const dir = mkdtempSync(join(tmpdir(), 'focusd-config-'));
    const file = join(dir, 'readme.json');
    writeFileSync(file, example);
    const config = loadConfig(file, loadPhoneBook({ FOCUSD_PHONEBOOK_DIR: '' }));
    assert.equal(config.daemonName, 'warwick_focuser');
  });
});
