import type { ErrorObject } from 'ajv';
import type { Violation } from './errors.js';

/** Escapes one JSON pointer segment (RFC 6901). */
const segment = (key: string): string => '/' + key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Turns ajv's errors into violations that name the offending key itself: a missing or unexpected
 * property is reported at the property's own path rather than at its parent object.
 */
export function toViolations(errors: readonly ErrorObject[] | null | undefined): Violation[] {
  const out: Violation[] = [];
  for (const e of errors ?? []) {
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        out.push({ path: e.instancePath + segment(String(params.missingProperty)), message: 'is required' });
        break;
      case 'additionalProperties':
        out.push({
          path: e.instancePath + segment(String(params.additionalProperty)),
          message: 'is not an allowed key',
        });
        break;
      default:
        out.push({ path: e.instancePath, message: e.message ?? `fails ${e.keyword}` });
    }
  }
  return sortViolations(out);
}

/** Without duplicates, ordered by path (the order within one path kept). */
export function sortViolations(violations: readonly Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations
    .filter((v) => {
      const key = v.path + '\0' + v.message;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
