// The INDI server in this process on a loopback port, with a small test device: what clients are
// sent, and how it stands up to bad and greedy clients.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IndiDevice, IndiServer, type IndiClient, type IndiLimits, type WriteRequest } from '../../src/indi/index.js';
import { eventually } from '../cli/harness.js';
import { RawClient } from './harness.js';

interface Rig {
  server: IndiServer;
  device: IndiDevice;
  port: number;
  writes: Array<{ request: WriteRequest; client: IndiClient }>;
  warnings: string[];
  clients: RawClient[];
  open(options?: { localAddress?: string }): Promise<RawClient>;
  close(): Promise<void>;
}

async function rig(limits: Partial<IndiLimits> = {}): Promise<Rig> {
  const device = new IndiDevice('Test Focuser');
  device.define({
    type: 'Number', name: 'POS', label: 'Position', group: 'Main', state: 'Ok', perm: 'rw', timeout: 60,
    members: [{ name: 'STEPS', label: 'Steps', format: '%.f', min: 0, max: 1000, step: 1, value: 10 }],
  });
  device.define({
    type: 'Text', name: 'NOTE', label: 'Note', group: 'Main', state: 'Idle', perm: 'ro', timeout: 0,
    members: [{ name: 'TEXT', label: 'Text', value: '' }],
  });
  const writes: Rig['writes'] = [];
  const warnings: string[] = [];
  const log = (level: string) => (fields: object, message: string) => {
    if (level === 'warn' || level === 'error') warnings.push(`${message} ${JSON.stringify(fields)}`);
  };
  const server = new IndiServer({
    host: '127.0.0.1',
    port: 0,
    device,
    onWrite: (request, client) => writes.push({ request, client }),
    limits,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  });
  const { port } = await server.start();
  const clients: RawClient[] = [];
  return {
    server, device, port, writes, warnings, clients,
    async open(options = {}) {
      const c = await RawClient.open(port, options);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}

const GET = '<getProperties version="1.7"/>\n';
const setPos = (value: string, device = 'Test Focuser') =>
  `<newNumberVector device="${device}" name="POS"><oneNumber name="STEPS">${value}</oneNumber></newNumberVector>`;

describe('INDI server: what clients are sent', () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(async () => r.close());

  test('getProperties is answered with every property, defined with its current state and values', async () => {
    r.device.update('POS', { state: 'Busy', values: { STEPS: 123 } });
    const c = await r.open();
    c.send(GET);
    const pos = await c.waitFor((x) => x.element.name === 'defNumberVector', 'defNumberVector');
    assert.deepEqual(
      [pos.attr('device'), pos.attr('name'), pos.attr('state'), pos.attr('perm'), pos.attr('label'), pos.attr('group'), pos.attr('timeout')],
      ['Test Focuser', 'POS', 'Busy', 'rw', 'Position', 'Main', '60'],
    );
    assert.match(pos.attr('timestamp') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const member = pos.element.children[0];
    assert.deepEqual(Object.fromEntries(member?.attributes ?? []), { name: 'STEPS', label: 'Steps', format: '%.f', min: '0', max: '1000', step: '1' });
    assert.equal(member?.text, '123');
    await c.waitFor((x) => x.element.name === 'defTextVector' && x.attr('perm') === 'ro', 'defTextVector');
    r.device.update('POS', { state: 'Ok' });
  });

  test('changes go to clients that asked for the device (or that property), not to others', async () => {
    const all = await r.open();
    const onlyNote = await r.open();
    const silent = await r.open();
    all.send(GET);
    onlyNote.send('<getProperties version="1.7" device="Test Focuser" name="NOTE"/>');
    await all.waitFor((x) => x.attr('name') === 'NOTE', 'NOTE defined');
    await onlyNote.waitFor((x) => x.attr('name') === 'NOTE', 'NOTE defined');
    r.device.update('POS', { values: { STEPS: 77 } });
    r.device.update('NOTE', { values: { TEXT: 'hello <&> "there"' } });
    await all.waitFor((x) => x.element.name === 'setNumberVector' && x.members.get('STEPS') === '77', 'POS set to 77');
    const note = await onlyNote.waitFor((x) => x.element.name === 'setTextVector', 'NOTE set');
    assert.equal(note.members.get('TEXT'), 'hello <&> "there"');
    await all.waitFor((x) => x.element.name === 'setTextVector', 'NOTE set');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(onlyNote.received.some((x) => x.attr('name') === 'POS'), false, 'NOTE follower got POS');
    assert.equal(silent.received.length, 0, 'a client that never asked got something');
  });

  test('a client asking for endless property names ends up following everything, never a growing list', async () => {
    const c = await r.open();
    for (let i = 0; i < 300; i++) c.send(`<getProperties version="1.7" device="Test Focuser" name="P${i}"/>`);
    await c.waitForMessage(/has no property P299 now/);
    const from = c.received.length;
    r.device.update('POS', { values: { STEPS: 301 } });
    await c.waitFor((x) => x.element.name === 'setNumberVector' && x.members.get('STEPS') === '301', 'POS, never asked for by name', 5000, from);
  });

  test('a valid write reaches the device with the client address; ping is answered; enableBLOB is accepted silently', async () => {
    const c = await r.open();
    c.send(GET + setPos(' 500 ') + '<enableBLOB device="Test Focuser">Also</enableBLOB><pingRequest uid="abc"/>');
    await c.waitFor((x) => x.element.name === 'pingReply' && x.attr('uid') === 'abc', 'pingReply');
    const w = r.writes.at(-1);
    assert.deepEqual(w?.request, { type: 'Number', name: 'POS', values: new Map([['STEPS', 500]]) });
    assert.equal(w?.client.address, '127.0.0.1');
    assert.equal(c.received.some((x) => x.element.name === 'message'), false, 'enableBLOB got a message');
  });
});

describe('INDI server: bad input gets a clear message or a closed connection, and nothing else suffers', () => {
  let r: Rig;
  let watcher: RawClient;
  before(async () => {
    r = await rig({ maxElementBytes: 4096, elementTimeoutMs: 300 });
    watcher = await r.open();
    watcher.send(GET);
    await watcher.waitFor((x) => x.attr('name') === 'NOTE', 'the watcher defined');
  });
  after(async () => r.close());

  /** The watcher, a well-behaved client, still gets updates. */
  async function watcherStillServed(tag: string): Promise<void> {
    const from = watcher.received.length;
    r.device.update('NOTE', { values: { TEXT: tag } });
    await watcher.waitFor((x) => x.members.get('TEXT') === tag, `the watcher to see ${tag}`, 5000, from);
  }

  test('unknown devices, commands, properties and members each get a message naming them; the connection stays', async () => {
    const c = await r.open();
    c.send(GET);
    c.send(setPos('1', 'Other Device'));
    await c.waitForMessage(/^no device Other Device here: this server has only Test Focuser$/);
    c.send('<getProperties version="1.7" device="Nope"/>');
    await c.waitForMessage(/^no device Nope here/);
    c.send('<frobnicate/>');
    await c.waitForMessage(/^unknown INDI command <frobnicate>$/);
    c.send('<newNumberVector device="Test Focuser" name="SPEED"><oneNumber name="X">1</oneNumber></newNumberVector>');
    const unknown = await c.waitForMessage(/^Test Focuser has no property SPEED/);
    assert.equal(unknown.attr('device'), 'Test Focuser');
    c.send('<getProperties version="1.7" device="Test Focuser" name="SPEED"/>');
    await c.waitForMessage(/has no property SPEED now/);
    c.send('<newNumberVector device="Test Focuser" name="POS"><oneNumber name="STEP">1</oneNumber></newNumberVector>');
    const alert = await c.waitFor((x) => x.element.name === 'setNumberVector' && x.attr('state') === 'Alert', 'POS Alert');
    assert.equal(alert.attr('message'), 'POS has no member STEP (it has STEPS)');
    c.send(setPos('12')); // still served
    await eventually(() => r.writes.some((w) => w.request.type === 'Number' && w.request.values.get('STEPS') === 12), 5000, 'the write after the refusals');
    assert.equal(c.isClosed, false);
    await watcherStillServed('after unknowns');
  });

  test('values of the wrong type put the property in Alert with the reason, for every follower', async () => {
    const c = await r.open();
    c.send(GET);
    const from = watcher.received.length;
    c.send(setPos('twelve'));
    const seen = await watcher.waitFor((x) => x.attr('state') === 'Alert' && x.attr('name') === 'POS', 'POS Alert at the watcher', 5000, from);
    assert.equal(seen.attr('message'), "POS.STEPS: 'twelve' is not a number");
    c.send('<newTextVector device="Test Focuser" name="NOTE"><oneText name="TEXT">x</oneText></newTextVector>');
    await c.waitForMessage(/^NOTE is read-only$/);
    c.send('<newSwitchVector device="Test Focuser" name="POS"><oneSwitch name="STEPS">On</oneSwitch></newSwitchVector>');
    await c.waitForMessage(/^POS is a number property: send newNumberVector, not newSwitchVector$/);
    r.device.update('POS', { state: 'Ok' });
  });

  const closing: Array<[string, string | Buffer, RegExp]> = [
    ['malformed XML', '<getProperties version="1.7"><oops></getProperties>', /^focusd: closing the connection: malformed XML: <\/getProperties> closes <oops>/],
    ['binary garbage', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01]), /^focusd: closing the connection: malformed XML: character U\+0016/],
    ['an HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', /^focusd: closing the connection: malformed XML: text outside an element \('G'\)/],
    ['a DOCTYPE with entities', '<!DOCTYPE lol [<!ENTITY a "aaaaaaaa">]>', /a DOCTYPE is not accepted/],
    ['an element larger than the limit', `<newTextVector device="Test Focuser" name="NOTE"><oneText name="TEXT">${'x'.repeat(5000)}</oneText></newTextVector>`, /too much XML: an element longer than 4096 bytes/],
  ];
  for (const [what, input, expected] of closing) {
    test(`${what}: a message saying why, then the connection closes`, async () => {
      const c = await r.open();
      c.send(GET);
      await c.waitFor((x) => x.attr('name') === 'NOTE', 'the definitions');
      c.send(input);
      const m = await c.waitForMessage(expected);
      assert.equal(m.attr('device'), undefined, 'a message about the connection names no device');
      await c.closed;
      await watcherStillServed(what);
    });
  }

  test('commands before the bad XML in the same chunk are still carried out', async () => {
    const c = await r.open();
    c.send(setPos('321') + '<bad attr=></bad>');
    await c.closed;
    assert.ok(r.writes.some((w) => w.request.type === 'Number' && w.request.values.get('STEPS') === 321));
  });

  test('an endless document is cut off at the element limit: the sender is disconnected, memory stays bounded', async () => {
    const c = await r.open();
    c.send('<newTextVector device="Test Focuser" name="NOTE"><oneText name="TEXT">');
    const chunk = 'y'.repeat(1024);
    let sent = 0;
    while (!c.isClosed && sent < 10_000) {
      c.send(chunk);
      sent++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await c.closed;
    assert.ok(sent < 10_000, 'the server never closed the endless document');
    await watcherStillServed('after the endless document');
  });

  test('an element left unfinished is dropped after the element time-out', async () => {
    const c = await r.open();
    c.send('<newNumberVector device="Test Focuser" name="POS"><oneNum');
    await c.closed;
    assert.ok(r.warnings.some((w) => /an element left unfinished for 300 ms/.test(w)), r.warnings.join('\n'));
    await watcherStillServed('after the unfinished element');
  });
});

describe('INDI server: many and greedy clients', () => {
  test('hundreds of clients each get every update; past maxConnections a client is told and closed', async () => {
    const r = await rig({ maxConnections: 300 });
    try {
      const clients: RawClient[] = [];
      for (let i = 0; i < 300; i++) clients.push(await r.open());
      for (const c of clients) c.send(GET);
      await Promise.all(clients.map((c) => c.waitFor((x) => x.attr('name') === 'NOTE', 'definitions', 20_000)));
      const extra = await r.open();
      await extra.waitForMessage(/^focusd: too many INDI clients \(this server serves at most 300\); closing the connection$/);
      await extra.closed;
      for (let i = 1; i <= 20; i++) r.device.update('POS', { values: { STEPS: i } });
      await Promise.all(clients.map((c) => c.waitFor((x) => x.members.get('STEPS') === '20', 'the last update', 20_000)));
      for (const c of clients) {
        const seen = c.received.filter((x) => x.element.name === 'setNumberVector').map((x) => Number(x.members.get('STEPS')));
        assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
      }
      assert.equal(r.server.connectionCount, 300);
      for (const c of clients) c.close();
      await eventually(() => r.server.connectionCount === 0, 10_000, 'every connection to be forgotten');
    } finally {
      await r.close();
    }
  });

  test('a client that never reads is dropped once its unsent updates pass the limit; a reading client gets every update', async () => {
    const r = await rig({ maxUnsentBytes: 64 * 1024 });
    try {
      const reader = await r.open();
      const stalled = await r.open();
      reader.send(GET);
      stalled.send(GET);
      await stalled.waitFor((x) => x.attr('name') === 'NOTE', 'definitions');
      await reader.waitFor((x) => x.attr('name') === 'NOTE', 'definitions');
      stalled.socket.pause();
      const big = 'z'.repeat(8 * 1024);
      const updates = 2000; // 16 MB: more than the loopback socket buffers hold
      for (let i = 0; i < updates && r.server.connectionCount === 2; i++) {
        r.device.update('NOTE', { values: { TEXT: `${i} ${big}` } });
        if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await eventually(() => r.warnings.some((w) => /client is not reading: more than 65536 bytes unsent/.test(w)), 20_000, 'the stalled client to be dropped');
      assert.equal(r.server.connectionCount, 1);
      const last = r.device.get('NOTE');
      const lastText = last?.type === 'Text' ? last.members[0]?.value : '';
      const sent = Number(lastText?.split(' ')[0]);
      await reader.waitFor((x) => x.members.get('TEXT') === lastText, 'the last update', 20_000);
      const seen = reader.received.filter((x) => x.element.name === 'setTextVector').map((x) => Number(x.members.get('TEXT')?.split(' ')[0]));
      assert.deepEqual(seen, Array.from({ length: sent + 1 }, (_, i) => i), 'the reading client missed updates');
    } finally {
      await r.close();
    }
  });

  test('a client that sends faster than it reads is slowed, not dropped, and gets every answer', async () => {
    const r = await rig({ maxUnsentBytes: 64 * 1024 });
    try {
      // Without the slowing down, the answers would pass maxUnsentBytes and the client be dropped.
      r.device.update('NOTE', { values: { TEXT: 'w'.repeat(16_000) } });
      const c = await r.open();
      c.socket.pause();
      const asks = 800; // about 13 MB of definitions
      c.send(GET.repeat(asks));
      await new Promise((resolve) => setTimeout(resolve, 500));
      c.socket.resume();
      let notes = 0;
      await c.waitFor((x) => x.element.name === 'defTextVector' && ++notes === asks, `${asks} NOTE definitions`, 60_000);
      assert.equal(c.isClosed, false);
    } finally {
      await r.close();
    }
  });
});
