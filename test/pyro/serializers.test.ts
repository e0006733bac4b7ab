import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSerializer, pyObject, serpentSerializer } from '../../src/pyro/index.js';

describe('reply serializers reuse the bytes of a frozen value', () => {
  for (const serializer of [serpentSerializer, jsonSerializer]) {
    test(`${serializer.name}: a frozen value is encoded once; an unfrozen one every time; both encode alike`, () => {
      const make = () => pyObject([['status', 1], ['temperatures', Object.freeze([21.5, 18.25]) as number[]], ['model', 'Atlas Focuser']]);
      const frozen = Object.freeze(make());
      const first = serializer.dumps(frozen);
      assert.equal(serializer.dumps(frozen), first, 'the same bytes object');
      const loose = make();
      const a = serializer.dumps(loose);
      assert.notEqual(serializer.dumps(loose), a, 'encoded again');
      assert.deepEqual(a, first, 'the same bytes either way');
      const shallow = Object.freeze(pyObject([['list', [1, 2]]]));
      const before = serializer.dumps(shallow);
      (shallow.list as number[]).push(3);
      assert.notDeepEqual(serializer.dumps(shallow), before, 'frozen only on top: encoded again, never stale');
    });
  }
});
