import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from './child.js';
import { freePort, launchFor, repoRoot } from './daemons.js';
import { initialize } from './measures.js';

/**
 * Where a report_status round trip's time goes, by stage, from CPU profiles of both ends: focusd
 * (the shipped bundle, rebuilt with a source map so each sample maps back to its source file) and
 * our PyroProxy client (bench/latency-client.ts), each in its own process, one call in flight.
 * Samples are kept only while the timed calls run (after the client's warm-up); each stage's time
 * is divided by those calls. The client's exit (writing its profile) falls in the window too, a few
 * milliseconds over thousands of calls.
 */
export interface StageTimes {
  calls: number;
  /** Stage -> microseconds per call, for each side. */
  daemon: Record<string, number>;
  client: Record<string, number>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const SOURCE_STAGES: Array<[RegExp, string]> = [
  [/src\/pyro\/message\/decoder/, 'frame decode'],
  [/src\/pyro\/serpent\/(parse|dicts|nonprintable|values)/, 'serpent decode'],
  [/src\/pyro\/serpent\/(serialize|repr)/, 'serpent encode'],
  [/src\/pyro\/message\//, 'frame encode'],
  [/src\/pyro\/(daemon|proxy)\/|src\/pyro\/(serializers|exceptions|errors)/, 'Pyro dispatch'],
  [/src\/(service|machines)\//, 'focuser service'],
  [/node_modules\/xstate/, 'xstate'],
  [/node_modules\/(pino|sonic-boom)/, 'logging'],
  [/bench\//, 'benchmark loop'],
];

/** The stage of one sample's frame. */
function stageOf(frame: ProfileNode['callFrame'], original: string | null): string {
  const name = frame.functionName;
  if (frame.url === '') {
    if (name === '(idle)') return 'idle (waiting for the peer)';
    if (name === '(garbage collector)') return 'garbage collection';
    if (/^(writeBuffer|writev|writeUtf8String|writeLatin1String)$/.test(name)) return 'socket write (system call)';
    if (name === '(program)') return 'V8 / libuv (native)';
    return 'other native';
  }
  if (frame.url.startsWith('node:')) return 'Node net and streams';
  const source = original ?? frame.url;
  for (const [pattern, stage] of SOURCE_STAGES) if (pattern.test(source)) return stage;
  return 'other JavaScript';
}

function perStage(profileDir: string, windowUs: [number, number], calls: number, map: SourceMap | null, bundleUrl: string | null): Record<string, number> {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile written in ${profileDir}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const cache = new Map<number, string>();
  const totals: Record<string, number> = {};
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < windowUs[0] || t > windowUs[1]) return;
    let stage = cache.get(id);
    if (stage === undefined) {
      const frame = (nodes.get(id) as ProfileNode).callFrame;
      let original: string | null = null;
      if (map && frame.url === bundleUrl) {
        const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
        original = entry.originalSource ?? null;
      }
      stage = stageOf(frame, original);
      cache.set(id, stage);
    }
    totals[stage] = (totals[stage] ?? 0) + delta;
  });
  return Object.fromEntries(Object.entries(totals).map(([k, us]) => [k, us / calls]));
}

export async function callProfile(calls: number, warmup: number): Promise<StageTimes> {
  const bundleDir = join(repoRoot, 'dist', 'bench-bundle');
  const built = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--bundle-to', bundleDir, '--sourcemap'], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bundling with source maps failed: ${built.stderr}`);
  const bundle = join(bundleDir, 'focusd.mjs');
  const map = new SourceMap(JSON.parse(readFileSync(bundle + '.map', 'utf8')));

  const daemonProfiles = mkdtempSync(join(tmpdir(), 'focusd-prof-daemon-'));
  const clientProfiles = mkdtempSync(join(tmpdir(), 'focusd-prof-client-'));
  const port = await freePort();
  const launch = launchFor('typescript', port);
  const daemon = startChild(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${daemonProfiles}`, '--cpu-prof-interval=50', bundle, ...launch.args.slice(1)], {
    env: launch.env,
    lifetimeMs: 120_000,
  });
  try {
    const uri = (await daemon.waitFor(/Starting daemon (PYRO:\S+)/))[1] as string;
    await initialize(uri);
    const client = startChild(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${clientProfiles}`, '--cpu-prof-interval=50', join(repoRoot, 'dist', 'bench', 'latency-client.js'), uri, String(calls), String(warmup)],
      { lifetimeMs: 120_000 },
    );
    // The window is the timed calls only: after the client's start-up and warm-up, until it is done.
    await client.waitFor(/^warm$/m, 60_000);
    const t0 = Number(process.hrtime.bigint() / 1000n);
    const { code } = await client.exited;
    const t1 = Number(process.hrtime.bigint() / 1000n);
    if (code !== 0) throw new Error(`latency client failed: ${client.stderr()}`);
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    await sleep(100);
    return {
      calls,
      daemon: perStage(daemonProfiles, [t0, t1], calls, map, new URL(`file://${bundle}`).href),
      client: perStage(clientProfiles, [t0, t1], calls, null, null),
    };
  } finally {
    await daemon.stop(3000);
  }
}
