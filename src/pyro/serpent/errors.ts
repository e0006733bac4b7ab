/** Serpent text that cannot be read: names where, as a 0-based offset plus 1-based line and column. */
export class SerpentParseError extends Error {
  override readonly name = 'SerpentParseError';
  readonly code = 'SERPENT_PARSE';
  constructor(
    readonly reason: string,
    /** Offset into the input: bytes for a Uint8Array input, UTF-16 code units for a string. */
    readonly position: number,
    readonly line: number,
    /** 1-based, counted in the same units as `position`. */
    readonly column: number,
  ) {
    super(`serpent parse error at line ${line}, column ${column} (offset ${position}): ${reason}`);
  }
}

/** A value that serpent cannot write (or that Python could not read back). */
export class SerpentSerializeError extends Error {
  override readonly name = 'SerpentSerializeError';
  readonly code = 'SERPENT_SERIALIZE';
  constructor(message: string) {
    super(message);
  }
}
