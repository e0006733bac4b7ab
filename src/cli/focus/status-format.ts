import { PyFloat } from '../../pyro/index.js';
import type { Colour, Style } from './style.js';

/** rockit's `FocuserStatus`: the `status` key of report_status(). */
export const FocuserStatus = { Disabled: 0, Idle: 1, Moving: 2 } as const;

const LABELS: ReadonlyMap<unknown, { label: string; colour: Colour }> = new Map([
  [FocuserStatus.Disabled, { label: 'OFFLINE', colour: 'red' as const }],
  [FocuserStatus.Idle, { label: 'IDLE', colour: 'default' as const }],
  [FocuserStatus.Moving, { label: 'MOVING', colour: 'yellow' as const }],
]);

/** A status dict as report_status() returns it (keys beyond `status` depend on the state). */
export type StatusReport = Readonly<Record<string, unknown>>;

/** Python's `f'{n:06d}'`: zero-padded to six characters, the sign counted in the width. */
export function pad6(value: unknown): string {
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
    const n = BigInt(value);
    const digits = (n < 0n ? -n : n).toString();
    return n < 0n ? '-' + digits.padStart(5, '0') : digits.padStart(6, '0');
  }
  return String(value);
}

/** `OFFLINE` / `IDLE` / `MOVING` (`UNKNOWN` otherwise), bold and coloured as the style allows. */
export function statusLabel(status: unknown, style: Style): string {
  const known = LABELS.get(status);
  return known ? style.boldColour(known.label, known.colour) : style.boldColour('UNKNOWN', 'red');
}

/**
 * The first line, exactly as the Python tool prints it: `Focuser is IDLE (005000 steps)`,
 * `Focuser is MOVING (004120 / 006000 steps)`, `Focuser is OFFLINE`.
 */
export function statusLine(report: StatusReport, style: Style): string {
  let line = `Focuser is ${statusLabel(report.status, style)}`;
  if (report.status === FocuserStatus.Idle) {
    line += ` (${style.bold(pad6(report.current_steps))} steps)`;
  } else if (report.status === FocuserStatus.Moving) {
    line += ` (${style.bold(pad6(report.current_steps))} / ${style.bold(pad6(report.target_steps))} steps)`;
  }
  return line;
}

const isText = (v: unknown): v is string | number | bigint =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint';

/** Firmware revisions as FLI writes them: `0x8043`. */
const firmwareText = (v: string | number | bigint): string =>
  typeof v === 'string' ? v : `0x${v.toString(16).padStart(4, '0')}`;

/** Further lines for the keys the Python daemon does not report (device facts, temperatures, last error). */
export function detailLines(report: StatusReport): string[] {
  const lines: string[] = [];
  if (isText(report.model)) {
    const facts = [String(report.model)];
    if (isText(report.serial_number)) facts.push(`serial ${report.serial_number}`);
    if (isText(report.firmware_revision)) facts.push(`firmware ${firmwareText(report.firmware_revision)}`);
    if (isText(report.max_steps)) facts.push(`range 0 - ${report.max_steps} steps`);
    lines.push(`   Device: ${facts.join(', ')}`);
  }
  if (Array.isArray(report.temperatures)) {
    const names = ['internal', 'external'];
    const shown = report.temperatures
      .map((given: unknown, i) => {
        const t = given instanceof PyFloat ? given.value : given;
        return typeof t === 'number' && Number.isFinite(t) ? `${t.toFixed(1)} °C ${names[i] ?? `sensor ${i + 1}`}` : null;
      })
      .filter((t): t is string => t !== null);
    if (shown.length > 0) lines.push(`   Temperature: ${shown.join(', ')}`);
  }
  const flags: string[] = [];
  if (report.homing === true) flags.push('homing');
  if (report.homed === true) flags.push('homed');
  if (report.at_home === true) flags.push('at home');
  if (report.at_limit === true) flags.push('at limit');
  if (flags.length > 0) lines.push(`   Flags: ${flags.join(', ')}`);
  if (typeof report.last_error === 'string' && report.last_error !== '') lines.push(`   Last error: ${report.last_error}`);
  return lines;
}

/** What `focus status` prints: the status line, then any detail lines. */
export function formatStatus(report: StatusReport, style: Style): string {
  return [statusLine(report, style), ...detailLines(report)].join('\n');
}
