/**
 * The JSON schemas of the config file and the phone book. They are compiled ahead of time into
 * plain validation functions (scripts/build-validators.mts writes src/config/generated/), so
 * neither focus nor focusd compiles a schema when it starts.
 */

/**
 * Upstream's CONFIG_SCHEMA (`rockit.focuser.atlas.Config`), keyword for keyword, but for its two
 * custom keywords `daemon_name` and `machine_name`, which check names against the phone book at
 * run time (config.ts). One addition: `move_timeout` must be positive (upstream accepts any number,
 * and a timeout of 0 or less fails every move).
 */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['daemon', 'log_name', 'control_machines', 'move_timeout'],
  properties: {
    daemon: { type: 'string' },
    log_name: { type: 'string' },
    control_machines: { type: 'array', items: { type: 'string' } },
    move_timeout: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

const IPV4 = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$';

/** rockit's `daemons.py` and `ip.py` as a document: machine name -> IPv4, daemon name -> where it listens. */
export const PHONEBOOK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    _comment: { type: 'string' },
    machines: {
      type: 'object',
      additionalProperties: { type: 'string', pattern: IPV4 },
    },
    daemons: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['object_id', 'host', 'port'],
        properties: {
          object_id: { type: 'string', minLength: 1 },
          host: { type: 'string', minLength: 1 },
          port: { type: 'integer', minimum: 0, maximum: 65535 },
          default_timeout: { type: 'number', minimum: 0 },
          default_retries: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
} as const;

/**
 * The options both validators are compiled with. `unicode: false` measures strings with
 * `.length` instead of ajv's code-point counter (a run-time helper); the only length rule is
 * `minLength: 1`, which the two read alike.
 */
export const AJV_OPTIONS = { allErrors: true, strict: true, unicode: false } as const;
