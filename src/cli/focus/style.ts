/**
 * Terminal styling as rockit's `print` renders it (rich, with bright red/yellow): bold and colour
 * only when writing to a terminal; `NO_COLOR` drops the colours but keeps bold, as rich does.
 */
export type Colour = 'red' | 'yellow' | 'default';

export interface Style {
  readonly enabled: boolean;
  readonly colours: boolean;
  bold(text: string): string;
  boldColour(text: string, colour: Colour): string;
}

const SGR_COLOUR: Record<Colour, string> = { red: '91', yellow: '93', default: '39' };
const RESET = '\x1b[0m';

export function makeStyle(options: { tty: boolean; noColor: boolean }): Style {
  const enabled = options.tty;
  const colours = enabled && !options.noColor;
  return {
    enabled,
    colours,
    bold: (text) => (enabled ? `\x1b[1m${text}${RESET}` : text),
    boldColour: (text, colour) => {
      if (!enabled) return text;
      return colours ? `\x1b[1;${SGR_COLOUR[colour]}m${text}${RESET}` : `\x1b[1m${text}${RESET}`;
    },
  };
}

/** The style for a stream: styled only on a TTY, colours off when NO_COLOR is set and not empty. */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return makeStyle({ tty: stream.isTTY === true, noColor: (env.NO_COLOR ?? '') !== '' });
}

/** Removes SGR escape sequences (for measuring what a styled string takes on screen). */
export const stripStyle = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');
