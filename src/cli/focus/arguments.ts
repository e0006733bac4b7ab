import { InvalidArgumentError } from 'commander';

/**
 * An integer argument as Python's `int()` reads it: optional sign, digits with single `_` between
 * groups, surrounding whitespace. Values beyond a double's exact range stay exact as bigint.
 */
export function parseStepArgument(text: string): bigint | number {
  const trimmed = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(trimmed)) throw new InvalidArgumentError('Not an integer.');
  const value = BigInt(trimmed.replace(/_/g, ''));
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
