import { listFocusers, SimulatedAtlas, simSocketUsbBackend, type FocuserListing } from '../hardware/index.js';

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

/**
 * One line per focuser: `ML0123418: Atlas Focuser, firmware 0x8043, hardware type 0xff, range
 * 0 - 100000 steps; bus 1 port 1.4; available`, or, when it could not be opened, why (the firmware
 * then comes from the USB descriptor).
 */
export function formatListing(f: FocuserListing): string {
  const facts: string[] = [];
  if (f.model !== undefined) facts.push(f.model);
  facts.push(`firmware ${hex(f.firmwareRevision, 4)}${f.firmwareFrom === 'descriptor' ? ' (USB descriptor)' : ''}`);
  if (f.hardwareType !== undefined) facts.push(`hardware type ${hex(f.hardwareType, 2)}`);
  if (f.extent !== undefined) facts.push(`range 0 - ${f.extent} steps`);
  const state = f.problem === undefined ? f.availability : `${f.availability}: ${f.problem}`;
  return `${f.serialNumber || '(no serial number)'}: ${facts.join(', ')}; ${f.location}; ${state}`;
}

/** `focusd --list`: prints the focusers and returns the exit status (1 when there is none). */
export async function printFocusers(options: { simulate: boolean; simulatorSocket?: string }, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let listings: FocuserListing[];
  try {
    listings = await listFocusers(
      options.simulatorSocket !== undefined
        ? { usbBackend: simSocketUsbBackend(options.simulatorSocket) }
        : options.simulate
          ? { simulator: new SimulatedAtlas() }
          : {},
    );
  } catch (e) {
    err(`focusd: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  if (listings.length === 0) {
    err('focusd: no FLI focuser (USB 0f18:0006) is connected');
    return 1;
  }
  for (const listing of listings) out(formatListing(listing));
  return 0;
}
