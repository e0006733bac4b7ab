import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWrite, CommandError, decodeCommand, IndiDevice, XmlStreamReader, type DeviceEvent, type Vector } from '../../src/indi/index.js';

const element = (xml: string) => {
  const { elements, error } = new XmlStreamReader().push(xml);
  assert.equal(error, null);
  return elements[0] as NonNullable<(typeof elements)[0]>;
};

function device(): IndiDevice {
  const d = new IndiDevice('Dev');
  d.define({
    type: 'Switch', name: 'CONNECTION', label: 'Connection', group: 'Main', state: 'Idle', perm: 'rw', rule: 'OneOfMany', timeout: 60,
    members: [{ name: 'CONNECT', label: 'Connect', on: false }, { name: 'DISCONNECT', label: 'Disconnect', on: true }],
  });
  d.define({
    type: 'Switch', name: 'ABORT', label: 'Abort', group: 'Main', state: 'Idle', perm: 'rw', rule: 'AtMostOne', timeout: 60,
    members: [{ name: 'ABORT', label: 'Abort', on: false }],
  });
  d.define({
    type: 'Number', name: 'POS', label: 'Position', group: 'Main', state: 'Ok', perm: 'rw', timeout: 60,
    members: [{ name: 'STEPS', label: 'Steps', format: '%.f', min: 0, max: 100, step: 1, value: 5 }],
  });
  d.define({
    type: 'Number', name: 'MAX', label: 'Max', group: 'Main', state: 'Ok', perm: 'ro', timeout: 0,
    members: [{ name: 'MAX_VALUE', label: 'Steps', format: '%.f', min: 0, max: 100, step: 1, value: 100 }],
  });
  return d;
}

const write = (d: IndiDevice, xml: string) => {
  const command = decodeCommand(element(xml));
  assert.equal(command.kind, 'new');
  return checkWrite(d, command as Extract<typeof command, { kind: 'new' }>);
};

describe('INDI commands and writes, checked against the device', () => {
  test('decodes the commands clients send, and names what is wrong with anything else', () => {
    assert.deepEqual(decodeCommand(element('<getProperties version="1.7" device="Dev"/>')), { kind: 'getProperties', device: 'Dev', name: undefined });
    assert.deepEqual(decodeCommand(element('<enableBLOB device="Dev">Never</enableBLOB>')), { kind: 'enableBLOB', device: 'Dev' });
    assert.deepEqual(decodeCommand(element('<pingRequest uid="7"/>')), { kind: 'pingRequest', uid: '7' });
    const cases: Array<[string, RegExp]> = [
      ['<frobnicate/>', /^unknown INDI command <frobnicate>$/],
      ['<setNumberVector device="Dev" name="POS"/>', /that is what a device sends, not a client/],
      ['<newNumberVector name="POS"><oneNumber name="STEPS">1</oneNumber></newNumberVector>', /needs a device attribute/],
      ['<newNumberVector device="Dev" name="POS"><oneSwitch name="STEPS">On</oneSwitch></newNumberVector>', /only <oneNumber> belongs there/],
      ['<newNumberVector device="Dev" name="POS"><oneNumber name="STEPS">1</oneNumber><oneNumber name="STEPS">2</oneNumber></newNumberVector>', /sets STEPS twice/],
      ['<newNumberVector device="Dev" name="POS"/>', /sets nothing/],
    ];
    for (const [xml, expected] of cases) {
      assert.throws(() => decodeCommand(element(xml)), (e: unknown) => e instanceof CommandError && expected.test(e.message), xml);
    }
  });

  test('numbers: decimal text inside min..max; anything else is refused on that property', () => {
    const ok = write(device(), '<newNumberVector device="Dev" name="POS"><oneNumber name="STEPS"> 42.5 </oneNumber></newNumberVector>');
    assert.deepEqual(ok, { type: 'Number', name: 'POS', values: new Map([['STEPS', 42.5]]) });
    assert.deepEqual(write(device(), '<newNumberVector device="Dev" name="POS"><oneNumber name="STEPS">1e2</oneNumber></newNumberVector>'), {
      type: 'Number', name: 'POS', values: new Map([['STEPS', 100]]),
    });
    const refused: Array<[string, string]> = [
      ['abc', "POS.STEPS: 'abc' is not a number"],
      ['NaN', "POS.STEPS: 'NaN' is not a number"],
      ['Infinity', "POS.STEPS: 'Infinity' is not a number"],
      ['0x10', "POS.STEPS: '0x10' is not a number"],
      ['', "POS.STEPS: '' is not a number"],
      ['101', 'POS.STEPS: 101 is outside 0 to 100'],
      ['-1', 'POS.STEPS: -1 is outside 0 to 100'],
    ];
    for (const [text, message] of refused) {
      assert.deepEqual(write(device(), `<newNumberVector device="Dev" name="POS"><oneNumber name="STEPS">${text}</oneNumber></newNumberVector>`), { property: 'POS', message }, text);
    }
  });

  test('unknown properties and members, the wrong vector type and read-only properties are refused', () => {
    assert.deepEqual(write(device(), '<newNumberVector device="Dev" name="NOPE"><oneNumber name="X">1</oneNumber></newNumberVector>'), {
      property: undefined, message: 'Dev has no property NOPE (some exist only while connected)',
    });
    assert.deepEqual(write(device(), '<newSwitchVector device="Dev" name="POS"><oneSwitch name="STEPS">On</oneSwitch></newSwitchVector>'), {
      property: undefined, message: 'POS is a number property: send newNumberVector, not newSwitchVector',
    });
    assert.deepEqual(write(device(), '<newNumberVector device="Dev" name="POS"><oneNumber name="STEP">1</oneNumber></newNumberVector>'), {
      property: 'POS', message: 'POS has no member STEP (it has STEPS)',
    });
    assert.deepEqual(write(device(), '<newNumberVector device="Dev" name="MAX"><oneNumber name="MAX_VALUE">1</oneNumber></newNumberVector>'), {
      property: 'MAX', message: 'MAX is read-only',
    });
  });

  test("switches come back as the vector's whole state under its rule", () => {
    const sw = (name: string, members: string) => write(device(), `<newSwitchVector device="Dev" name="${name}">${members}</newSwitchVector>`);
    const on = (m: string) => `<oneSwitch name="${m}">On</oneSwitch>`;
    const off = (m: string) => `<oneSwitch name="${m}">Off</oneSwitch>`;
    const state = (entries: Array<[string, boolean]>) => ({ type: 'Switch', name: 'CONNECTION', values: new Map(entries) });
    assert.deepEqual(sw('CONNECTION', on('CONNECT')), state([['CONNECT', true], ['DISCONNECT', false]]));
    assert.deepEqual(sw('CONNECTION', on('CONNECT') + off('DISCONNECT')), state([['CONNECT', true], ['DISCONNECT', false]]));
    // Turning one of two OneOfMany switches off turns the other on.
    assert.deepEqual(sw('CONNECTION', off('CONNECT')), state([['CONNECT', false], ['DISCONNECT', true]]));
    assert.deepEqual(sw('CONNECTION', on('CONNECT') + on('DISCONNECT')), { property: 'CONNECTION', message: 'CONNECTION: OneOfMany: only one switch may be On (CONNECT, DISCONNECT were)' });
    assert.deepEqual(sw('CONNECTION', off('CONNECT') + off('DISCONNECT')), { property: 'CONNECTION', message: 'CONNECTION: OneOfMany: one switch must be On' });
    assert.deepEqual(sw('CONNECTION', '<oneSwitch name="CONNECT">yes</oneSwitch>'), { property: 'CONNECTION', message: "CONNECTION.CONNECT: a switch is On or Off, not 'yes'" });
    assert.deepEqual(sw('ABORT', off('ABORT')), { type: 'Switch', name: 'ABORT', values: new Map([['ABORT', false]]) });
  });

  test('updates reach subscribers only when something changed or a message comes with them', () => {
    const d = device();
    const events: DeviceEvent[] = [];
    d.subscribe((e) => events.push(e));
    d.update('POS', { values: { STEPS: 5 } });
    d.update('POS', { state: 'Ok' });
    assert.equal(events.length, 0);
    d.update('POS', { values: { STEPS: 6 } });
    d.update('POS', { state: 'Ok' }, 'said again');
    d.remove('MAX');
    d.remove('MAX');
    d.message('hello');
    assert.deepEqual(
      events.map((e) => [e.kind, e.kind === 'set' ? [e.vector.state, (e.vector as Extract<Vector, { type: 'Number' }>).members[0]?.value, e.message] : null]),
      [['set', ['Ok', 6, undefined]], ['set', ['Ok', 6, 'said again']], ['delete', null], ['message', null]],
    );
    assert.throws(() => d.update('MAX', { state: 'Ok' }), /has no property MAX/);
    assert.throws(() => d.update('POS', { values: { NOPE: 1 } }), /has no member NOPE/);
  });
});
