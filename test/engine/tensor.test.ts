// Tensor creation and read-back, metadata, memory layouts, seeded random generators and
// PyTorch-compatible default initialisation. Expected random values are PyTorch 1.13's
// for the same seeds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  arange,
  Generator,
  manualSeed,
  nn,
  rand,
  randint,
  randn,
  randperm,
  tensor,
} from '../../src/index.js';
import { assertAllClose } from './gradcheck.js';

describe('typed array round trips', () => {
  test('float32 keeps every bit', () => {
    const data = new Float32Array([0, -0, 1.5, -3.25e-8, 3.4e38, Infinity, -Infinity, NaN]);
    using x = tensor(data, { shape: [2, 4] });
    assert.equal(x.dtype, 'float32');
    assert.deepEqual(x.shape, [2, 4]);
    assert.deepEqual(x.toTypedArray(), data);
  });

  test('float64 keeps every bit', () => {
    const data = new Float64Array([Math.PI, -1e-300, Number.MAX_VALUE, NaN, -0]);
    using x = tensor(data);
    assert.equal(x.dtype, 'float64');
    assert.deepEqual(x.toTypedArray(), data);
  });

  test('int64 beyond 2^53', () => {
    const data = new BigInt64Array([0n, -1n, 2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n]);
    using x = tensor(data);
    assert.equal(x.dtype, 'int64');
    assert.deepEqual(x.toTypedArray(), data);
  });

  test('int32 extremes', () => {
    const data = new Int32Array([-2147483648, 2147483647, 0, 5]);
    using x = tensor(data, { shape: [2, 2] });
    assert.equal(x.dtype, 'int32');
    assert.deepEqual(x.toTypedArray(), data);
  });

  test('uint8 extremes', () => {
    const data = new Uint8Array([0, 1, 128, 255]);
    using x = tensor(data);
    assert.equal(x.dtype, 'uint8');
    assert.deepEqual(x.toTypedArray(), data);
  });

  test('bool from nested array', () => {
    using x = tensor([true, false, true], { dtype: 'bool' });
    assert.equal(x.dtype, 'bool');
    assert.deepEqual(x.toTypedArray(), new Uint8Array([1, 0, 1]));
  });

  test('bool from uint8 data', () => {
    using x = tensor(new Uint8Array([0, 2, 1]), { dtype: 'bool' });
    assert.equal(x.dtype, 'bool');
    assert.deepEqual(x.toTypedArray(), new Uint8Array([0, 1, 1]));
  });

  test('bfloat16 round trip is approximate', () => {
    const values = [1, -2.5, 0.15625, 3.14159, 1e-3, 65504, -7.77e20];
    using x = tensor(values, { dtype: 'bfloat16' });
    assert.equal(x.dtype, 'bfloat16');
    const back = x.toTypedArray();
    assert.ok(back instanceof Float32Array, 'bfloat16 reads back as Float32Array');
    // bfloat16 keeps 8 significant bits, so rounding changes a value by at most 2^-8 of it.
    assertAllClose(back, values, { atol: 0, rtol: 2 ** -8 }, 'bfloat16 values');
    assert.deepEqual(Array.from(back.slice(0, 3)), [1, -2.5, 0.15625]);
    assert.equal(back[3], 3.140625);
  });

  test('nested arrays infer shape', () => {
    using x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(x.shape, [2, 3]);
    assert.equal(x.dtype, 'float32');
    assert.deepEqual(x.toArray(), [1, 2, 3, 4, 5, 6]);
  });

  test('ragged nested arrays rejected', () => {
    assert.throws(() => tensor([[1, 2], [3]]), TypeError);
  });
});

describe('tensor metadata', () => {
  test('shape, ndim and numel', () => {
    using x = tensor(new Float32Array(24), { shape: [2, 3, 4] });
    assert.deepEqual(x.shape, [2, 3, 4]);
    assert.equal(x.ndim, 3);
    assert.equal(x.numel, 24);
    assert.deepEqual(x.strides, [12, 4, 1]);
    assert.equal(x.device, 'cpu');
  });

  test('item of one-element tensors', () => {
    using float = tensor([[3.5]]);
    using integer = tensor([-7], { dtype: 'int64' });
    using flag = tensor([true], { dtype: 'bool' });
    assert.equal(float.item(), 3.5);
    assert.equal(integer.item(), -7);
    assert.equal(flag.item(), 1);
  });

  test('dtype conversion with to', () => {
    using x = tensor([1.7, -1.7, 2.5]);
    using y = x.to('int64');
    assert.equal(y.dtype, 'int64');
    assert.deepEqual(y.toArray(), [1, -1, 2]);
  });

  test('clone has its own storage', () => {
    using x = tensor([1, 2, 3]);
    using copy = x.clone();
    copy.fill_(0);
    assert.deepEqual(x.toArray(), [1, 2, 3]);
    assert.deepEqual(copy.toArray(), [0, 0, 0]);
  });

  test('view shares storage', () => {
    using x = tensor([1, 2, 3, 4]);
    using view = x.view([2, 2]);
    view.fill_(5);
    assert.deepEqual(x.toArray(), [5, 5, 5, 5]);
  });

  test('contiguous copy of transpose', () => {
    using x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    using transposed = x.t();
    assert.equal(transposed.isContiguous(), false);
    assert.deepEqual(transposed.strides, [1, 3]);
    using dense = transposed.contiguous();
    assert.equal(dense.isContiguous(), true);
    assert.deepEqual(dense.strides, [2, 1]);
    assert.deepEqual(dense.toArray(), [1, 4, 2, 5, 3, 6]);
  });

  test('channelsLast layout', () => {
    using x = arange(120, { dtype: 'float32' }).reshape([2, 3, 4, 5]);
    assert.equal(x.isContiguous('channelsLast'), false);
    using channelsLast = x.contiguous('channelsLast');
    assert.equal(channelsLast.isContiguous('channelsLast'), true);
    assert.equal(channelsLast.isContiguous(), false);
    assert.deepEqual(channelsLast.shape, [2, 3, 4, 5]);
    assert.deepEqual(channelsLast.strides, [60, 1, 15, 3]);
    assert.deepEqual(channelsLast.toArray(), x.toArray());
  });

  test('clone preserves channelsLast', () => {
    using x = arange(24, { dtype: 'float32' }).reshape([1, 2, 3, 4]);
    using channelsLast = x.contiguous('channelsLast');
    using copy = channelsLast.clone();
    assert.equal(copy.isContiguous('channelsLast'), true);
    using dense = channelsLast.clone('contiguous');
    assert.equal(dense.isContiguous(), true);
  });
});

describe('random generators', () => {
  test('randperm seed 3 matches torch', () => {
    using permutation = randperm(5, { generator: new Generator(3) });
    assert.equal(permutation.dtype, 'int64');
    assert.deepEqual(permutation.toArray(), [1, 0, 3, 4, 2]);
  });

  test('rand seed 42 matches torch', () => {
    using x = rand([3], { generator: new Generator(42) });
    const expected = [0.8822692632675171, 0.9150039553642273, 0.38286375999450684];
    assertAllClose(x.toArray(), expected, { atol: 0, rtol: 0 }, 'rand values');
  });

  test('manualSeed 0 rand and randn match torch', () => {
    manualSeed(0);
    using uniformValues = rand([3]);
    manualSeed(0);
    using normalValues = randn([3]);
    const expectedUniform = [0.49625658988952637, 0.7682217955589294, 0.08847743272781372];
    const expectedNormal = [1.5409960746765137, -0.293428897857666, -2.1787893772125244];
    assertAllClose(uniformValues.toArray(), expectedUniform, { atol: 0, rtol: 0 }, 'rand');
    assertAllClose(normalValues.toArray(), expectedNormal, { atol: 1e-7, rtol: 0 }, 'randn');
  });

  test('Generator setState replays draws', () => {
    const generator = new Generator(11);
    rand([4], { generator }).dispose();
    const state = generator.getState();
    using first = rand([6], { generator });
    using firstPermutation = randperm(7, { generator });
    generator.setState(state);
    using second = rand([6], { generator });
    using secondPermutation = randperm(7, { generator });
    using third = rand([6], { generator });
    assert.deepEqual(second.toArray(), first.toArray());
    assert.deepEqual(secondPermutation.toArray(), firstPermutation.toArray());
    assert.notDeepEqual(third.toArray(), first.toArray());
  });

  test('Generator state has torch size', () => {
    const state = new Generator(0).getState();
    assert.ok(state instanceof Uint8Array);
    assert.equal(state.length, 5056);
  });

  test('Generator state copies are independent', () => {
    const source = new Generator(5);
    const target = new Generator(99);
    target.setState(source.getState());
    using fromSource = randint(0, 1000, [8], { generator: source });
    using fromTarget = randint(0, 1000, [8], { generator: target });
    assert.deepEqual(fromTarget.toArray(), fromSource.toArray());
  });

  test('Generator manualSeed restarts sequence', () => {
    const generator = new Generator(21);
    using first = randn([5], { generator });
    generator.manualSeed(21);
    using second = randn([5], { generator });
    assert.equal(generator.seed, 21);
    assert.deepEqual(second.toArray(), first.toArray());
  });
});

describe('default initialisation', () => {
  test('Conv2d weights match torch seed 0', () => {
    manualSeed(0);
    const layer = new nn.Conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3, stride: 2 });
    const weights = layer.weight.toArray().slice(0, 4);
    assertAllClose(
      weights,
      [-0.0024956, 0.1788145, -0.2743484, -0.245313],
      { atol: 1e-7, rtol: 0 },
      'weights',
    );
    // The bias is drawn after the weight, from U(-1/3, 1/3) for a fan-in of 9.
    const bias = layer.bias?.toArray().slice(0, 4) ?? [];
    const expectedBias = [
      -0.0762253999710083, -0.014823715202510357, -0.20301473140716553, 0.11273364722728729,
    ];
    assertAllClose(bias, expectedBias, { atol: 0, rtol: 0 }, 'bias');
    layer.dispose();
  });

  test('Linear weights match torch seed 0', () => {
    manualSeed(0);
    const layer = new nn.Linear({ inFeatures: 4, outFeatures: 3 });
    const expectedWeight = [
      -0.003743410110473633, 0.26822179555892944, -0.4115225672721863, -0.3679695129394531,
    ];
    const expectedBias = [-0.4776742458343506, -0.33114105463027954, -0.20611155033111572];
    assertAllClose(
      layer.weight.toArray().slice(0, 4),
      expectedWeight,
      { atol: 0, rtol: 0 },
      'weight',
    );
    assertAllClose(layer.bias?.toArray() ?? [], expectedBias, { atol: 0, rtol: 0 }, 'bias');
    layer.dispose();
  });

  test('parameters require gradients', () => {
    const layer = new nn.Linear({ inFeatures: 2, outFeatures: 2 });
    assert.equal(layer.weight.requiresGrad, true);
    assert.equal(layer.weight.isLeaf, true);
    assert.deepEqual(
      layer.namedParameters().map(([name]) => name),
      ['weight', 'bias'],
    );
    layer.dispose();
  });
});
