/** One schema violation: where in the document (a JSON pointer, `''` for the root) and what is wrong. */
export interface Violation {
  path: string;
  message: string;
}

function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `\t${v.path === '' ? '(root)' : v.path}: ${v.message}`).join('\n');
}

/** The configuration file cannot be read or is not JSON. */
export class ConfigFileError extends Error {
  readonly code = 'CONFIG_FILE';
  constructor(readonly file: string, reason: string) {
    super(`cannot load configuration ${file}: ${reason}`);
    this.name = 'ConfigFileError';
  }
}

/** The configuration file is JSON but breaks the schema; `violations` lists every problem found. */
export class ConfigSchemaError extends Error {
  readonly code = 'CONFIG_SCHEMA';
  constructor(readonly file: string, readonly violations: readonly Violation[]) {
    super(`Invalid configuration ${file}:\n${formatViolations(violations)}`);
    this.name = 'ConfigSchemaError';
  }
}

/** A phone book file cannot be read, is not JSON, or breaks the phone book schema. */
export class PhoneBookError extends Error {
  readonly code = 'PHONEBOOK';
  constructor(readonly file: string, reason: string, readonly violations: readonly Violation[] = []) {
    super(
      `invalid phone book ${file}: ${reason}` + (violations.length > 0 ? '\n' + formatViolations(violations) : ''),
    );
    this.name = 'PhoneBookError';
  }
}
