import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { LogForwarder } from '../../src/logging/forwarder.js';
import { chooseLogTarget, logDaemonForAddress, LogTargetError } from '../../src/logging/target.js';
import { loadPhoneBook } from '../../src/config/index.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('log forwarder', () => {
  test('sends lines in order as log_info/log_warning/log_error(table, message)', async () => {
    const sent: string[][] = [];
    const fwd = new LogForwarder({ table: 'focusd@t', send: async (m, t, msg) => void sent.push([m, t, msg]) });
    fwd.forward('info', 'a');
    fwd.forward('warning', 'b');
    fwd.forward('error', 'c');
    await fwd.close();
    assert.deepEqual(sent, [
      ['log_info', 'focusd@t', 'a'],
      ['log_warning', 'focusd@t', 'b'],
      ['log_error', 'focusd@t', 'c'],
    ]);
    assert.equal(fwd.delivered, 3);
  });

  test('forward() returns at once while the log daemon hangs, and the queue stays bounded (oldest dropped)', async () => {
    let release: () => void = () => undefined;
    const sent: string[] = [];
    const failures: string[] = [];
    const fwd = new LogForwarder({
      table: 't',
      maxQueue: 3,
      send: (_m, _t, msg) => {
        sent.push(msg);
        return msg === 'first' ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      onFailure: (reason, _level, msg) => failures.push(`${reason}: ${msg}`),
    });
    fwd.forward('info', 'first');
    for (let i = 0; i < 5; i++) fwd.forward('info', `line ${i}`);
    assert.deepEqual(sent, ['first'], 'nothing else is sent while the first call hangs');
    assert.deepEqual(failures, ['queue full, line dropped: line 0', 'queue full, line dropped: line 1']);
    release();
    await fwd.close();
    assert.deepEqual(sent, ['first', 'line 2', 'line 3', 'line 4']);
  });

  test('a failing send drops that line, reports it, and later lines still go', async () => {
    const sent: string[] = [];
    const failures: string[] = [];
    const fwd = new LogForwarder({
      table: 't',
      send: async (_m, _t, msg) => {
        if (msg === 'bad') throw new Error('connection refused');
        sent.push(msg);
      },
      onFailure: (reason, level, msg) => failures.push(`${level} ${msg}: ${reason}`),
    });
    fwd.forward('error', 'bad');
    fwd.forward('info', 'good');
    await fwd.close();
    await tick();
    assert.deepEqual(sent, ['good']);
    assert.deepEqual(failures, ['error bad: connection refused']);
  });

  test('close() is bounded even when a send never finishes', async () => {
    const fwd = new LogForwarder({ table: 't', send: () => new Promise<void>(() => undefined) });
    fwd.forward('info', 'stuck');
    await fwd.close(20);
    fwd.forward('info', 'after close');
  });
});

describe('log daemon choice', () => {
  const book = loadPhoneBook({ FOCUSD_PHONEBOOK_DIR: '' });

  test("rockit's address rule: 10.2.6.x -> observatory_log, 172.19.0.x -> warwick_log, others none", () => {
    assert.equal(logDaemonForAddress('10.2.6.201'), 'observatory_log');
    assert.equal(logDaemonForAddress('172.19.0.160'), 'warwick_log');
    assert.equal(logDaemonForAddress('172.19.1.160'), null);
    assert.equal(logDaemonForAddress('127.0.0.1'), null);
  });

  test('FOCUSD_LOG_DAEMON: a URI, a phone book name, none, or an error for an unknown name', async () => {
    assert.deepEqual(await chooseLogTarget(book, { FOCUSD_LOG_DAEMON: 'PYRO:x@127.0.0.1:5' }), {
      uri: 'PYRO:x@127.0.0.1:5',
      timeout: 5,
      source: 'FOCUSD_LOG_DAEMON',
    });
    assert.equal((await chooseLogTarget(book, { FOCUSD_LOG_DAEMON: 'observatory_log' }))?.uri, 'PYRO:observatory_log_daemon@10.2.6.100:9016');
    assert.equal((await chooseLogTarget(book, { FOCUSD_LOG_DAEMON: 'warwick_log' }))?.uri, 'PYRO:warwick_operations_daemon@172.19.0.160:9015');
    assert.equal(await chooseLogTarget(book, { FOCUSD_LOG_DAEMON: 'none' }), null);
    await assert.rejects(chooseLogTarget(book, { FOCUSD_LOG_DAEMON: 'nope' }), LogTargetError);
  });
});
