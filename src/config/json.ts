import { JsonDecodeError, jsonLoads } from '../pyro/index.js';

/** JSON that does not parse, placed by line and column (1-based) for the person editing the file. */
export class JsonSyntaxError extends Error {
  readonly code = 'JSON_SYNTAX';
  constructor(readonly line: number, readonly column: number, detail: string) {
    super(`not valid JSON at line ${line}, column ${column}: ${detail}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Line and column (1-based) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1) ?? '').length + 1 };
}

/**
 * JSON.parse, whose errors name a line and column. V8's own messages give no position for some
 * mistakes (an unexpected token), so the place and the reason come from our JSON reader, strict.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const { offset, reason } = whereJsonFails(text, e);
    const { line, column } = lineAndColumn(text, offset);
    throw new JsonSyntaxError(line, column, reason + hint(text, offset));
  }
}

function whereJsonFails(text: string, parseError: unknown): { offset: number; reason: string } {
  try {
    jsonLoads(text, { nonFinite: false, maxDepth: Number.MAX_SAFE_INTEGER });
  } catch (e) {
    if (e instanceof JsonDecodeError) {
      const end = text.trimEnd().length;
      return e.offset >= end ? { offset: end, reason: 'the text ends too early' } : { offset: e.offset, reason: e.reason };
    }
  }
  // Our reader took what JSON.parse refused (it should not): V8's message, without its excerpt.
  const message = parseError instanceof Error ? parseError.message : String(parseError);
  return { offset: text.trimEnd().length, reason: message.replace(/, ".*$/s, '') };
}

/** What the person editing the file most likely meant, for the mistakes rockit users make. */
function hint(text: string, offset: number): string {
  const found = text.charAt(offset);
  if (found === '#' || (found === '/' && /[/*]/.test(text.charAt(offset + 1)))) return ' (JSON has no comments)';
  if (found === "'") return ' (JSON strings take double quotes)';
  const word = /^[A-Za-z_]\w*/.exec(text.slice(offset, offset + 20))?.[0];
  if (word === 'True' || word === 'False' || word === 'None') return ' (JSON writes true, false and null)';
  return '';
}
