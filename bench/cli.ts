import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON, referenceDir, repoRoot, startDaemon, stopDaemon } from './daemons.js';
import { initialize } from './measures.js';
import { median } from './stats.js';

/**
 * The command line, ours against the Python twin of upstream's `focus`
 * (bench/reference/focus_reference.py), both calling our focusd (initialized, so `status` prints
 * positions). Every program runs to completion under bench/reference/run_measured.py, which takes
 * wall time (`rounds` times, in turn) and the peak resident set (VmHWM) the same way for both.
 *
 * The breakdown rows run parts of a call: the interpreter alone, ours loading its bundle and
 * printing its version, ours as the unbundled compiler output (what `focus` was before bundling),
 * and Python importing Pyro4.
 */
export interface CliRun {
  /** name -> median wall ms and peak RSS kB over the rounds; the peak split into the process's own and its binary's pages. */
  figures: Record<string, { wallMs: number; maxRssKb: number; anonKb: number; fileKb: number }>;
  /** Differences between ours and the twin's output, if any (beyond the date). */
  mismatches: string[];
}

interface Measured {
  wall_ms: number[];
  peak_kb: number;
  peak_anon_kb: number;
  peak_file_kb: number;
  stdout: string;
  codes: number[];
}

export const CLI_COMMANDS = ['tsStatus', 'tsJson', 'pyStatus', 'pyJson', 'nodeFloor', 'tsVersion', 'tsStatusUnbundled', 'pyFloor', 'pyImportPyro4'] as const;

export async function cliRun(rounds: number): Promise<CliRun> {
  const daemon = await startDaemon('typescript', {});
  try {
    await initialize(daemon.uri);
    const env = { FOCUSD_CONFIG_PATH: daemon.config as string, FOCUSD_PHONEBOOK: daemon.env.FOCUSD_PHONEBOOK as string, FOCUSD_PHONEBOOK_DIR: '', NO_COLOR: '1' };
    const node = process.execPath;
    const focus = join(repoRoot, 'bin', 'focus');
    const twin = join(referenceDir, 'focus_reference.py');
    const commands: Record<(typeof CLI_COMMANDS)[number], { argv: string[]; env?: Record<string, string> }> = {
      tsStatus: { argv: [node, focus, 'status'], env },
      tsJson: { argv: [node, focus, 'json'], env },
      pyStatus: { argv: [PYTHON, twin, 'status'], env },
      pyJson: { argv: [PYTHON, twin, 'json'], env },
      nodeFloor: { argv: [node, '-e', '0'] },
      tsVersion: { argv: [node, focus, '--version'] },
      tsStatusUnbundled: { argv: [node, join(repoRoot, 'dist', 'src', 'cli', 'focus.js'), 'status'], env },
      pyFloor: { argv: [PYTHON, '-c', 'pass'] },
      pyImportPyro4: { argv: [PYTHON, '-c', 'import Pyro4'] },
    };
    const r = spawnSync(PYTHON, [join(referenceDir, 'run_measured.py'), JSON.stringify({ runs: rounds, commands })], {
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`run_measured.py failed (${r.status}): ${r.stderr}`);
    const measured = JSON.parse(r.stdout) as Record<string, Measured>;
    const figures: CliRun['figures'] = {};
    for (const [name, m] of Object.entries(measured)) {
      if (m.codes.some((c) => c !== 0)) throw new Error(`${name} exited ${m.codes.join(',')}: ${m.stdout.slice(0, 400)}`);
      figures[name] = { wallMs: median(m.wall_ms), maxRssKb: m.peak_kb, anonKb: m.peak_anon_kb, fileKb: m.peak_file_kb };
    }
    return { figures, mismatches: compareOutputs(measured) };
  } finally {
    await stopDaemon(daemon);
  }
}

/** The twin must print what ours prints: the same status line, the same dict but for its date. */
function compareOutputs(m: Record<string, Measured>): string[] {
  const out: string[] = [];
  const firstLine = (s: string | undefined): string => (s ?? '').split('\n')[0] ?? '';
  if (firstLine(m.tsStatus?.stdout) !== firstLine(m.pyStatus?.stdout)) {
    out.push(`status lines differ: ours "${firstLine(m.tsStatus?.stdout)}", twin "${firstLine(m.pyStatus?.stdout)}"`);
  }
  const dict = (s: string | undefined): Record<string, unknown> => {
    const d = JSON.parse(s ?? '{}') as Record<string, unknown>;
    delete d.date;
    return d;
  };
  const ours = JSON.stringify(dict(m.tsJson?.stdout));
  const theirs = JSON.stringify(dict(m.pyJson?.stdout));
  if (ours !== theirs) out.push(`json differs: ours ${ours}, twin ${theirs}`);
  return out;
}
