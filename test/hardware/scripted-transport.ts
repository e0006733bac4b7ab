import assert from 'node:assert/strict';
import type { UsbIdentity, UsbTransport } from '../../src/hardware/index.js';

/** One expected exchange: the exact bytes written and the device's reply, as hex ("80 00"). */
export interface Step {
  write: string;
  reply: string;
  /** The transfer time-out the driver must ask for, when it matters. */
  timeoutMs?: number;
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?=.)/g, '$1 ');
export const bytes = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/**
 * A transport that plays the device side from a script of golden vectors: each exchange must write
 * exactly the next step's bytes and ask for exactly its reply length. The judge of the byte layout
 * is libfli's byte layout (docs/protocol.md), not our simulator.
 */
export class ScriptedTransport implements UsbTransport {
  readonly identity: UsbIdentity = { serialNumber: 'GOLDEN-1', bcdDevice: 0x0100 };
  readonly written: string[] = [];
  opened = 0;
  closed = 0;
  private steps: Step[] = [];

  constructor(steps: Step[] = []) {
    this.steps = [...steps];
  }

  expect(...steps: Step[]): this {
    this.steps.push(...steps);
    return this;
  }

  get remaining(): number {
    return this.steps.length;
  }

  async open(): Promise<void> {
    this.opened++;
  }
  async close(): Promise<void> {
    this.closed++;
  }


  async exchange(write: Uint8Array, readLength: number, timeoutMs?: number): Promise<Buffer> {
    const step = this.steps.shift();
    this.written.push(hex(write));
    assert.ok(step, `unexpected exchange: wrote ${hex(write)}`);
    assert.equal(hex(write), step.write, 'bytes written');
    const reply = bytes(step.reply);
    assert.equal(readLength, reply.length, `read length for ${step.write}`);
    if (step.timeoutMs !== undefined) assert.equal(timeoutMs, step.timeoutMs, `time-out for ${step.write}`);
    return reply;
  }
}

/** `text` as the 32-byte NUL-padded model reply, in hex. */
export function modelReply(text: string): string {
  const b = Buffer.alloc(32);
  b.write(text, 'latin1');
  return hex(b);
}

/** The open sequence of a newer-board focuser, firmware `fw`, as libfli runs it. */
export function openSequence(o: { fw: number; hw: number; extentWrite: string; extentReply: string; sensors: string; rate: string; model: string }): Step[] {
  const fw = o.fw.toString(16).padStart(4, '0');
  return [
    { write: '80 00', reply: '80 00' },
    { write: '80 01', reply: `${fw.slice(0, 2)} ${fw.slice(2)}` },
    { write: '80 02', reply: `80 ${o.hw.toString(16).padStart(2, '0')}` },
    { write: o.extentWrite, reply: o.extentReply },
    { write: '80 0a', reply: o.sensors },
    { write: '80 09', reply: o.rate },
    { write: '80 03', reply: modelReply(o.model) },
  ];
}
