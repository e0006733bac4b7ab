import type { ErrorObject } from 'ajv';
import { validateConfigShape, validatePhoneBookShape } from './generated/validators.js';

/** A schema compiled ahead of time (scripts/build-validators.mts): true, or false with `errors` set. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** CONFIG_SCHEMA (schemas.ts): the config file's keys and types; names are checked in config.ts. */
export const validateConfigDocument = validateConfigShape as CompiledValidator;
/** PHONEBOOK_SCHEMA (schemas.ts). */
export const validatePhoneBookDocument = validatePhoneBookShape as CompiledValidator;
