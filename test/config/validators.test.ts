// The config and phone book validators are compiled ahead of time (scripts/build-validators.mts)
// and the name checks made in code. This holds them to what ajv compiling upstream's schema at run
// time, with upstream's custom keywords, reports: the same violations for every document.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ajv, type SchemaValidateFunction } from 'ajv';
import { CONFIG_SCHEMA, PHONEBOOK_SCHEMA, loadPhoneBook, validateConfig, type PhoneBook, type Violation } from '../../src/config/index.js';
import { validatePhoneBookDocument } from '../../src/config/validators.js';
import { toViolations } from '../../src/config/violations.js';

const book = loadPhoneBook({});

/** Upstream's schema as ajv compiles it at run time: the structure plus the two name keywords. */
function runtimeValidator(phoneBook: PhoneBook): (document: unknown) => Violation[] {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const keyword = (name: string, what: string, known: (n: string) => boolean) => {
    const validate: SchemaValidateFunction = (_schema: unknown, data: unknown) => {
      if (typeof data !== 'string' || known(data)) return true;
      validate.errors = [{ keyword: name, message: `'${data}' is not a valid ${what} name`, params: {} }];
      return false;
    };
    return { keyword: name, type: 'string' as const, schemaType: 'boolean' as const, errors: true, validate };
  };
  ajv.addKeyword(keyword('daemon_name', 'daemon', (n) => phoneBook.daemons.has(n)));
  ajv.addKeyword(keyword('machine_name', 'machine', (n) => phoneBook.machines.has(n)));
  const schema = {
    ...CONFIG_SCHEMA,
    properties: {
      ...CONFIG_SCHEMA.properties,
      daemon: { ...CONFIG_SCHEMA.properties.daemon, daemon_name: true },
      control_machines: { type: 'array', items: { type: 'string', machine_name: true } },
    },
  };
  const validate = ajv.compile(schema);
  return (document) => (validate(document) ? [] : toViolations(validate.errors));
}

const someName = fc.oneof(fc.constantFrom('warwick_focuser', 'localhost_test', 'WarwickTCS', 'LocalHost', 'nope'), fc.string({ maxLength: 6 }));
const someValue = fc.oneof(someName, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.array(someName, { maxLength: 3 }));
const configLike = fc.oneof(
  fc.record(
    {
      daemon: someValue,
      log_name: someValue,
      control_machines: fc.oneof(fc.array(fc.oneof(someName, fc.integer()), { maxLength: 4 }), someValue),
      move_timeout: fc.oneof(fc.double({ noNaN: true, min: -10, max: 1000 }), fc.integer({ min: -5, max: 500 }), someValue),
      extra: someValue,
    },
    { requiredKeys: [] },
  ),
  someValue,
  fc.array(someValue, { maxLength: 2 }),
);

describe('the precompiled validators', () => {
  test('report what ajv compiling the schema at run time reports, for any config-like document', () => {
    const runtime = runtimeValidator(book);
    fc.assert(
      fc.property(configLike, (document) => {
        assert.deepEqual(validateConfig(document, book), runtime(document));
      }),
      { numRuns: 3000 },
    );
  });

  test('accept the built-in phone book and reject a broken one the way ajv does', () => {
    const ajv = new Ajv({ allErrors: true, strict: true }).compile(PHONEBOOK_SCHEMA);
    const documents: unknown[] = [
      { daemons: { a: { object_id: 'x', host: '127.0.0.1', port: 1 } }, machines: { M: '10.0.0.1' } },
      { daemons: { a: { object_id: '', host: '127.0.0.1', port: 70000, extra: 1 } } },
      { machines: { M: '300.1.1.1', N: 5 } },
      { daemons: [] },
      'nothing',
    ];
    for (const d of documents) {
      assert.equal(validatePhoneBookDocument(d), ajv(d), JSON.stringify(d));
      assert.deepEqual(toViolations(validatePhoneBookDocument.errors), toViolations(ajv.errors), JSON.stringify(d));
    }
  });
});
