// The INDI tests' rig: a raw INDI client over TCP (loopback only) that records every element the
// server sends, the INDI command-line clients (indi_getprop, indi_setprop, indi_eval) run with
// bounded time-outs, and focusd started with --indi.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { XmlStreamReader, type XmlElement } from '../../src/indi/index.js';
import { startSimulated, type SimulatedOptions, type SimulatedTarget } from '../cli/harness.js';
import { openSocket } from '../helpers/frame-socket.js';
import { fromRoot } from '../helpers/paths.js';
import { start, type Running } from '../helpers/process.js';
import { PYTHON, requirePythonPyro4 } from '../helpers/python.js';

export interface Received {
  element: XmlElement;
  /** Date.now() when it arrived. */
  at: number;
  /** Shorthands: the element's attributes and its members' values by name. */
  attr(name: string): string | undefined;
  members: Map<string, string>;
}

const received = (element: XmlElement): Received => ({
  element,
  at: Date.now(),
  attr: (name) => element.attributes.get(name),
  members: new Map(element.children.map((c) => [c.attributes.get('name') ?? '', c.text.trim()])),
});

/** A raw INDI client: sends what it is told, keeps everything the server sends. */
export class RawClient {
  readonly received: Received[] = [];
  readonly closed: Promise<void>;
  private readonly reader = new XmlStreamReader({ maxElementBytes: 16 * 1024 * 1024 });
  private listeners: Array<() => void> = [];
  isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const { elements, error } = this.reader.push(chunk);
      if (error) throw new Error(`the server sent bad XML: ${error.message}`);
      for (const e of elements) this.received.push(received(e));
      for (const l of [...this.listeners]) l();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        for (const l of [...this.listeners]) l();
        resolve();
      }),
    );
  }

  static async open(port: number, options: { host?: string; localAddress?: string } = {}): Promise<RawClient> {
    return new RawClient(await openSocket(port, options.host, options));
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Resolves with the first element (from `from` on) that `match` accepts; rejects after `timeoutMs` or on close. */
  waitFor(match: (r: Received) => boolean, what: string, timeoutMs = 10_000, from = 0): Promise<Received> {
    return new Promise((resolve, reject) => {
      let next = from;
      const check = (): boolean => {
        // Each element is looked at once, so `match` may count.
        let found: Received | undefined;
        while (found === undefined && next < this.received.length) {
          const candidate = this.received[next++] as Received;
          if (match(candidate)) found = candidate;
        }
        if (found) {
          done();
          resolve(found);
          return true;
        }
        if (this.isClosed) {
          done();
          reject(new Error(`connection closed before ${what}; received: ${this.summary()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${this.summary()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
      };
      const listener = (): void => void check();
      if (!check()) this.listeners.push(listener);
    });
  }

  /** Resolves once the server has closed the connection; rejects after `timeoutMs`. */
  waitClosed(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the connection was not closed within ${timeoutMs} ms; received: ${this.summary()}`)), timeoutMs);
    });
    return Promise.race([this.closed, late]).finally(() => clearTimeout(timer));
  }

  /** The next `message` (or any element carrying a message attribute) matching `pattern`. */
  waitForMessage(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<Received> {
    return this.waitFor((r) => pattern.test(r.attr('message') ?? ''), `a message matching ${pattern}`, timeoutMs, from);
  }

  summary(): string {
    return this.received
      .slice(-12)
      .map((r) => `<${r.element.name} ${r.attr('name') ?? ''} ${r.attr('state') ?? ''} ${r.attr('message') ?? ''}>`)
      .join(' ');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** `--indi 127.0.0.1:0` on the simulated focuser, with the INDI port it got. */
export async function startWithIndi(options: SimulatedOptions & { indiArgs?: string[] } = {}): Promise<SimulatedTarget & { indiPort: number }> {
  const target = await startSimulated({ ...options, args: [...(options.args ?? []), '--indi', '127.0.0.1:0', ...(options.indiArgs ?? [])] });
  const m = await target.proc.waitFor(/Serving INDI device "([^"]+)" on 127\.0\.0\.1:(\d+)/);
  return { ...target, indiPort: Number(m[2]) };
}

export interface IndiRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs one of INDI's clients to completion, bounded: `prefix` puts it somewhere else (nsenter into
 * a network namespace); the tool's own -t bounds its wait, the timeout here the process.
 */
export function indiTool(tool: 'indi_getprop' | 'indi_setprop' | 'indi_eval', args: string[], prefix: string[] = [], timeoutMs = 30_000): IndiRun {
  const argv = [...prefix, tool, ...args];
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** indi_getprop's `dev.prop.elem=value` lines as a map. */
export function props(out: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) found.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return found;
}

const PRELUDE = readFileSync(fromRoot('test', 'fixtures', 'service', 'client_prelude.py'), 'utf8');

/**
 * A Python Pyro4 client (the e2e prelude: proxy(), sim(), wait_for() ...) running in the
 * background, as a rockit process would: `result` is its R once it ends.
 */
export function pythonChild(uri: string, body: string, prefix: string[] = []): { run: Running; result: Promise<Record<string, unknown>> } {
  requirePythonPyro4();
  const code = PRELUDE + '\n' + body + '\nprint("RESULT " + json.dumps(R), flush=True)\n';
  const argv = [...prefix, PYTHON, '-u', '-c', code, uri];
  const run = start(argv[0] as string, argv.slice(1), { lifetimeMs: 90_000 });
  const result = run.exited.then(({ code: status }) => {
    const line = run.stdout().split('\n').find((l) => l.startsWith('RESULT '));
    if (status !== 0 || !line) throw new Error(`python client failed (${status}):\n${run.stdout()}\n${run.stderr()}`);
    return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
  });
  result.catch(() => undefined);
  return { run, result };
}
