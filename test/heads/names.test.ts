// The command line lists heads from names.ts without loading libtorch; the registry must
// hold exactly those built-in soft functions.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  builtinHeadNames,
  builtinSoftNames,
  headNames,
  softFunctionNames,
} from '../../src/index.js';

test('built-in names match the registry', () => {
  assert.deepEqual(softFunctionNames().slice(0, builtinSoftNames.length), [...builtinSoftNames]);
  assert.deepEqual(headNames().slice(0, builtinHeadNames().length), builtinHeadNames());
});
