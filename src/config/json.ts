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

/** JSON.parse, whose errors name a line and column instead of V8's character offset. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : text.trimEnd().length;
    const { line, column } = lineAndColumn(text, offset);
    let detail = message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'the text ends too early');
    detail = detail.charAt(0).toLowerCase() + detail.slice(1);
    const found = text.charAt(offset);
    if (found === '#' || (found === '/' && /[/*]/.test(text.charAt(offset + 1)))) detail += ' (JSON has no comments)';
    throw new JsonSyntaxError(line, column, detail);
  }
}
