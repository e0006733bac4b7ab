import type { Socket } from 'node:net';
import { endSocket, normaliseAddress, type NetLogger } from '../net/index.js';
import { CommandError, decodeCommand, shownName, type ClientCommand } from './commands.js';
import { checkWrite, type DeviceEvent, type IndiClient, type IndiDevice, type WriteRequest } from './device.js';
import type { IndiLimits } from './limits.js';
import { defineXml, indiTimestamp, messageXml } from './properties.js';
import { XmlStreamReader, type XmlElement, type XmlStreamError } from './xml-reader.js';
import { openTag } from './xml-writer.js';

/** The server's log: pino's method shape, so a pino logger can be passed straight in. */
export type IndiLogger = NetLogger;

export interface ConnectionHost {
  readonly limits: IndiLimits;
  readonly logger: IndiLogger;
  readonly device: IndiDevice;
  /** A checked write for the device; the device answers through its properties. */
  write(request: WriteRequest, client: IndiClient): void;
}

/** Properties one client may follow by name before it is made to follow all of them. */
const MAX_FOLLOWED_NAMES = 256;

/**
 * One INDI client (or an indiserver chaining us): reads its commands as they arrive, answers
 * getProperties with the device's definitions, hands checked writes to the device, and sends it the
 * device's changes once it has asked for them (getProperties), as indiserver does.
 */
export class IndiConnection {
  readonly client: IndiClient;
  private readonly reader: XmlStreamReader;
  /** Which of the device's properties this client follows: none until it asks, all, or some. */
  private interest: 'none' | 'all' | Set<string> = 'none';
  /** No longer served: dropped, or told why and closing. The socket may still be open a moment. */
  private closed = false;
  private elementTimer: NodeJS.Timeout | null = null;
  private paused = false;
  /** Commands read but not yet handled (at most one chunk's worth: reading pauses meanwhile). */
  private readonly queue: XmlElement[] = [];
  private failure: XmlStreamError | null = null;

  constructor(
    private readonly socket: Socket,
    id: number,
    private readonly host: ConnectionHost,
    refusal: string | null,
  ) {
    this.client = { id, address: normaliseAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    this.reader = new XmlStreamReader(host.limits);
    socket.setNoDelay(true);
    socket.on('error', (e) => this.log('debug', { err: e.message }, 'socket error'));
    socket.on('close', () => this.finish());
    if (refusal !== null) {
      this.log('warn', { reason: refusal }, 'INDI connection refused');
      this.send(messageXml(undefined, `focusd: ${refusal}; closing the connection`, indiTimestamp()));
      this.endGracefully();
      return;
    }
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.log('debug', {}, 'INDI client connected');
  }

  /** Whether this client should hear of a device event. */
  wants(event: DeviceEvent): boolean {
    if (this.closed || this.interest === 'none') return false;
    if (this.interest === 'all' || event.kind === 'message') return true;
    return this.interest.has(event.kind === 'delete' ? event.name : event.vector.name);
  }

  /** Queues text for the client; a client that lets too much pile up unread is dropped. */
  send(text: string): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.socket.writableLength > this.host.limits.maxUnsentBytes) {
      this.drop(`client is not reading: more than ${this.host.limits.maxUnsentBytes} bytes unsent`);
      return;
    }
    this.socket.write(text);
  }

  /** Closes at once (server shutdown). */
  destroy(): void {
    this.stopServing();
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.closed) return;
    const { elements, error } = this.reader.push(chunk);
    this.queue.push(...elements);
    if (error) this.failure = error;
    this.armElementTimer(elements.length > 0);
    this.pump();
  }

  /**
   * Handles queued commands while the client keeps up with the answers; when its unread answers
   * fill the socket's buffer, stops reading from it until they drain. So a client that sends
   * faster than it reads is slowed down, never sent more than it reads, and loses nothing.
   */
  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      if (this.socket.writableNeedDrain) {
        if (!this.paused) {
          this.paused = true;
          this.socket.pause();
          this.socket.once('drain', () => {
            this.paused = false;
            if (this.closed) return;
            this.socket.resume();
            this.pump();
          });
        }
        return;
      }
      const element = this.queue.shift() as XmlElement;
      try {
        this.handle(element);
      } catch (e) {
        // Only a bug can get here; it costs this client its connection, never the server.
        this.log('error', { err: e instanceof Error ? (e.stack ?? e.message) : String(e), command: element.name }, 'internal error while handling an INDI command');
        this.drop('internal error');
        return;
      }
    }
    if (this.failure && !this.closed && this.queue.length === 0) {
      const error = this.failure;
      this.log('warn', { err: error.message }, 'bad XML from INDI client, closing the connection');
      this.send(messageXml(undefined, `focusd: closing the connection: ${error.code === 'SYNTAX' ? 'malformed XML' : 'too much XML'}: ${error.message}`, indiTimestamp()));
      this.endGracefully();
    }
  }

  /**
   * While part of an element is waiting, some element must be completed within the time-out of the
   * last one (or of the start of the waiting one). Completed elements are the progress that counts,
   * not bytes: a client trickling one element a byte at a time is still dropped.
   */
  private armElementTimer(completedOne: boolean): void {
    if ((completedOne || !this.reader.pending) && this.elementTimer) {
      clearTimeout(this.elementTimer);
      this.elementTimer = null;
    }
    const limit = this.host.limits.elementTimeoutMs;
    if (this.reader.pending && this.elementTimer === null && limit > 0) {
      this.elementTimer = setTimeout(() => this.drop(`part of an element waiting, and no element completed for ${limit} ms`), limit);
    }
  }

  private handle(element: XmlElement): void {
    let command: ClientCommand;
    try {
      command = decodeCommand(element);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      this.log('info', { err: e.message }, 'INDI command refused');
      this.tell(undefined, e.message);
      return;
    }
    const device = this.host.device;
    this.log('debug', { command: command.kind, name: 'name' in command ? command.name : undefined }, 'INDI command');
    switch (command.kind) {
      case 'getProperties': {
        if (command.device !== undefined && command.device !== '*' && command.device !== device.name) {
          this.tell(undefined, `no device ${shownName(command.device)} here: this server has only ${device.name}`);
          return;
        }
        const timestamp = indiTimestamp();
        if (command.name === undefined) {
          this.interest = 'all';
          // One write: a client that reads only until it has what it needs (indi_setprop) then
          // closes gets the whole answer in one read. Unread data at its close would make its
          // kernel reset the connection, and ours could then drop the command it just sent.
          this.send(device.list().map((vector) => defineXml(device.name, vector, timestamp)).join(''));
          return;
        }
        if (this.interest !== 'all') {
          if (this.interest === 'none') this.interest = new Set();
          this.interest.add(command.name);
          // Names a client chose are kept only so far: past that it simply follows everything.
          if (this.interest.size > MAX_FOLLOWED_NAMES) this.interest = 'all';
        }
        const vector = device.get(command.name);
        if (vector) this.send(defineXml(device.name, vector, timestamp));
        else this.tell(device.name, `${device.name} has no property ${shownName(command.name)} now (some exist only while connected)`);
        return;
      }
      case 'new': {
        if (command.device !== device.name) {
          this.tell(undefined, `no device ${shownName(command.device)} here: this server has only ${device.name}`);
          return;
        }
        const checked = checkWrite(device, command);
        if ('message' in checked) {
          if (checked.property !== undefined) device.answer(checked.property, { state: 'Alert' }, checked.message);
          else this.tell(device.name, checked.message);
          return;
        }
        this.host.write(checked, this.client);
        return;
      }
      case 'enableBLOB':
        return; // this device has no BLOBs: nothing to enable or disable
      case 'pingRequest':
        this.send(openTag('pingReply', [['uid', command.uid]], true) + '\n');
        return;
      case 'pingReply':
        return;
    }
  }

  /** A message for this client only (about what it sent). */
  private tell(device: string | undefined, text: string): void {
    this.send(messageXml(device, text, indiTimestamp()));
  }

  /** Sends what is queued, then closes; a client that keeps its side open is cut off after 2 s. */
  private endGracefully(): void {
    if (this.closed) return;
    this.stopServing();
    endSocket(this.socket);
  }

  private drop(reason: string): void {
    if (this.closed) return;
    this.log('warn', { reason }, 'dropping INDI client');
    this.stopServing();
    this.socket.destroy();
  }

  private stopServing(): void {
    this.closed = true;
    if (this.elementTimer) clearTimeout(this.elementTimer);
    this.elementTimer = null;
    this.queue.length = 0;
  }

  /** The socket has closed (the server counted it until now). */
  private finish(): void {
    this.stopServing();
    this.log('debug', {}, 'INDI client gone');
  }

  private log(level: keyof IndiLogger, fields: object, message: string): void {
    this.host.logger[level]({ client: `${this.client.address}:${this.client.port}`, connection: this.client.id, ...fields }, message);
  }
}
