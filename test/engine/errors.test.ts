// Failures inside libtorch and invalid JS arguments become JS errors of the right class,
// with messages that name the op and the problem, and the process keeps working after them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  buildNetwork,
  cat,
  CrossEntropyHead,
  DisposedTensorError,
  Generator,
  nn,
  rand,
  randn,
  resolveNetwork,
  type Tensor,
  tensor,
  tidy,
  TorchError,
  zeros,
} from '../../src/index.js';

const F = nn.functional;

// Runs `fn`, which must throw, and returns what it threw.
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error, but nothing was thrown');
}

// A computation after the error, to show that libtorch and the addon still work.
function assertStillComputes(): void {
  using a = tensor([
    [1, 2],
    [3, 4],
  ]);
  using b = a.matmul(a);
  assert.deepEqual(b.toArray(), [7, 10, 15, 22]);
}

// The checks every TorchError must pass: its class, op, message prefix and shapes.
function assertTorchError(error: unknown, op: string, shapes: string[]): TorchError {
  assert.ok(error instanceof TorchError, `expected a TorchError, got ${String(error)}`);
  assert.equal(error.name, 'TorchError');
  assert.equal(error.op, op);
  assert.ok(
    error.message.startsWith(`${op}: `),
    `message does not start with the op: ${error.message}`,
  );
  assert.deepEqual(error.shapes, shapes);
  assert.ok(!error.detail.includes('Exception raised from'), 'detail contains a C++ backtrace');
  return error;
}

describe('libtorch errors', () => {
  test('matmul shape mismatch', () => {
    using a = zeros([2, 3]);
    using b = zeros([4, 5]);
    const error = assertTorchError(
      thrownBy(() => a.matmul(b)),
      'matmul',
      ['[2, 3] float32', '[4, 5] float32'],
    );
    assert.match(error.detail, /cannot be multiplied \(2x3 and 4x5\)/);
    assertStillComputes();
  });

  test('conv2d channel mismatch', () => {
    using input = zeros([1, 2, 5, 5]);
    using weight = zeros([3, 1, 3, 3]);
    const error = assertTorchError(
      thrownBy(() => F.conv2d(input, weight)),
      'conv2d',
      ['[1, 2, 5, 5] float32', '[3, 1, 3, 3] float32'],
    );
    assert.match(error.detail, /expected input\[1, 2, 5, 5\] to have 1 channels, but got 2/);
    assertStillComputes();
  });

  test('softmax on int64 tensor', () => {
    using x = zeros([2, 3], { dtype: 'int64' });
    const error = assertTorchError(
      thrownBy(() => x.softmax(1)),
      'softmax',
      ['[2, 3] int64'],
    );
    assert.match(error.detail, /not implemented for 'Long'/);
    assertStillComputes();
  });

  test('indexSelect index out of range', () => {
    using x = zeros([3, 2]);
    using index = tensor([0, 3], { dtype: 'int64' });
    const error = assertTorchError(
      thrownBy(() => x.indexSelect(0, index)),
      'indexSelect',
      ['[3, 2] float32', '[2] int64'],
    );
    assert.match(error.detail, /index out of range/);
    assertStillComputes();
  });

  test('crossEntropy label out of range', () => {
    using logits = zeros([2, 10]);
    using labels = tensor([3, 10], { dtype: 'int64' });
    const error = assertTorchError(
      thrownBy(() => F.crossEntropy(logits, labels)),
      'crossEntropy',
      ['[2, 10] float32', '[2] int64'],
    );
    assert.match(error.detail, /Target 10 is out of bounds/);
    assertStillComputes();
  });

  test('cat shapes listed from array', () => {
    using a = zeros([2, 3]);
    using b = zeros([2, 4]);
    const error = assertTorchError(
      thrownBy(() => cat([a, b], 0)),
      'cat',
      ['[2, 3] float32', '[2, 4] float32'],
    );
    assert.match(error.detail, /Sizes of tensors must match/);
    assertStillComputes();
  });

  test('backward of non-scalar without gradient', () => {
    using x = zeros([2, 2], { requiresGrad: true });
    using y = x.mul(2);
    const error = assertTorchError(
      thrownBy(() => y.backward()),
      'backward',
      ['[2, 2] float32'],
    );
    assert.match(error.detail, /grad can be implicitly created only for scalar outputs/);
    assertStillComputes();
  });

  test('item of two-element tensor', () => {
    using x = tensor([1, 2]);
    const error = assertTorchError(
      thrownBy(() => x.item()),
      'item',
      ['[2] float32'],
    );
    assert.match(error.detail, /a Tensor with 2 elements cannot be converted to Scalar/);
    assertStillComputes();
  });

  test('Generator setState with wrong size', () => {
    const generator = new Generator(0);
    const error = assertTorchError(
      thrownBy(() => generator.setState(new Uint8Array(10))),
      'Generator.setState',
      [],
    );
    assert.match(error.detail, /size 5056 but found the input RNG state size to be 10/);
    using draw = rand([2], { generator });
    assert.equal(draw.allFinite(), true);
  });

  test('inputs stay usable after error', () => {
    using a = tensor([1, 2, 3]);
    using b = zeros([2]);
    thrownBy(() => a.add(b));
    assert.equal(a.isDisposed, false);
    assert.deepEqual(a.toArray(), [1, 2, 3]);
  });
});

describe('disposed tensors', () => {
  test('DisposedTensorError after dispose', () => {
    const x = tensor([1, 2]);
    x.dispose();
    const error = thrownBy(() => x.add(1));
    assert.ok(error instanceof DisposedTensorError, `got ${String(error)}`);
    assert.equal(error.op, 'add');
    assert.match(error.message, /^add: argument 'self' is a disposed tensor/);
    assertStillComputes();
  });

  test('DisposedTensorError for second argument', () => {
    using a = tensor([1, 2]);
    const b = tensor([3, 4]);
    b.dispose();
    const error = thrownBy(() => a.mul(b));
    assert.ok(error instanceof DisposedTensorError, `got ${String(error)}`);
    assert.match(error.message, /^mul: argument 'other' is a disposed tensor/);
  });

  test('DisposedTensorError inside tensor list', () => {
    using a = tensor([1, 2]);
    const b = tensor([3, 4]);
    b.dispose();
    const error = thrownBy(() => cat([a, b], 1));
    assert.ok(error instanceof DisposedTensorError, `got ${String(error)}`);
    assert.match(error.message, /^cat: argument 'tensors' is a disposed tensor/);
  });

  test('tidy of a non-function', () => {
    assert.throws(() => tidy(5 as unknown as () => number), {
      name: 'TypeError',
      message: 'tidy() takes a function, such as tidy(() => a.add(b)), got number',
    });
    assertStillComputes();
  });

  test('DisposedTensorError after tidy scope', () => {
    let escaped: Tensor | undefined;
    tidy(() => {
      escaped = tensor([1, 2]);
    });
    const error = thrownBy(() => (escaped as Tensor).add(1));
    assert.ok(error instanceof DisposedTensorError, `got ${String(error)}`);
    assert.equal(error.op, 'add');
    assertStillComputes();
  });

  test('disposed tensor reads as disposed', () => {
    const x = tensor([1]);
    x.dispose();
    assert.equal(x.isDisposed, true);
    assert.equal(String(x), 'Tensor(disposed)');
  });
});

describe('invalid JS arguments', () => {
  test('add with string operand', () => {
    using x = tensor([1, 2]);
    const error = thrownBy(() => x.add('x' as unknown as number));
    assert.ok(error instanceof TypeError, `got ${String(error)}`);
    assert.equal(
      (error as TypeError).message,
      "add: argument 'other' must be a Tensor or a number, got a string",
    );
    assertStillComputes();
  });

  test('reshape with fractional size', () => {
    using x = tensor([1, 2, 3, 4]);
    const error = thrownBy(() => x.reshape([2, 1.5]));
    assert.ok(error instanceof TypeError, `got ${String(error)}`);
    assert.equal(
      (error as TypeError).message,
      "reshape: argument 'shape' must be an array of integers, but element 1 is the number 1.5",
    );
    assertStillComputes();
  });

  test('cat with non-tensor element', () => {
    using x = tensor([1, 2]);
    const error = thrownBy(() => cat([x, 3 as unknown as Tensor]));
    assert.ok(error instanceof TypeError, `got ${String(error)}`);
    // The TS wrapper passes the missing handle of element 1, so the addon receives undefined.
    assert.equal(
      (error as TypeError).message,
      "cat: element 1 of 'tensors' must be a Tensor, got number",
    );
    assertStillComputes();
  });

  test('softmax with fractional dim', () => {
    using x = tensor([1, 2]);
    const error = thrownBy(() => x.softmax(0.5));
    assert.ok(error instanceof TypeError, `got ${String(error)}`);
    assert.equal(
      (error as TypeError).message,
      "softmax: argument 'dim' must be an integer, got the number 0.5",
    );
  });

  test('Generator with fractional seed', () => {
    const error = thrownBy(() => new Generator(1.5));
    assert.ok(error instanceof TypeError, `got ${String(error)}`);
    assert.equal(
      (error as TypeError).message,
      "Generator: argument 'seed' must be an integer, got the number 1.5",
    );
  });

  test('conv2d arguments that are not tensors', () => {
    using input = zeros([1, 1, 6, 6]);
    const weight = 3 as unknown as Tensor;
    const missing = null as unknown as Tensor;
    assert.throws(() => F.conv2d(input, weight), {
      name: 'TypeError',
      message: "conv2d: argument 'weight' must be a Tensor, got number",
    });
    assert.throws(() => F.conv2d(missing, input), {
      name: 'TypeError',
      message: "conv2d: argument 'input' must be a Tensor, got null",
    });
  });

  test('conv2d dtypes, sizes, groups', () => {
    using input = zeros([1, 1, 6, 6]);
    using integers = zeros([1, 1, 6, 6], { dtype: 'int64' });
    using doubles = zeros([1, 1, 6, 6], { dtype: 'float64' });
    using weight = zeros([2, 1, 3, 3]);
    using empty = zeros([2, 1, 0, 0]);
    const cases: [() => unknown, RegExp][] = [
      [() => F.conv2d(integers, weight), /input is int64, but .* convert it with \.float\(\)/],
      [() => F.conv2d(doubles, weight), /input is float64 but weight is float32; convert/],
      [() => F.conv2d(input, empty), /weight has an empty kernel, shape \[2, 1, 0, 0\]/],
      [
        () => F.conv2d(input, weight, undefined, { padding: 2 ** 31, algorithm: 'direct' }),
        /padding 2147483648 is too large/,
      ],
      [() => F.conv2d(input, weight, undefined, { padding: 1e9 }), /too many to allocate/],
      [() => F.conv2d(input, weight, undefined, { groups: 2 ** 32 }), /groups 4294967296 is/],
      [() => F.conv2d(input, weight, undefined, { groups: 0 }), /groups 0 is invalid/],
      [() => F.conv2d(input, weight, undefined, { stride: 1e12 }), /stride 1000000000000 is/],
    ];
    for (const [call, message] of cases) {
      const error = thrownBy(call);
      assert.ok(error instanceof RangeError, `got ${String(error)}`);
      assert.match(error.message, message);
      assert.ok(error.message.startsWith('conv2d: '));
    }
    assertStillComputes();
  });

  test('unknown reduction is RangeError', () => {
    using x = zeros([2, 3]);
    using y = zeros([2, 3]);
    const error = thrownBy(() => F.mseLoss(x, y, 'avg' as nn.functional.Reduction));
    assert.ok(error instanceof RangeError, `got ${String(error)}`);
    assert.equal(
      (error as RangeError).message,
      "mseLoss: unknown reduction 'avg'; expected none, mean or sum",
    );
    assertStillComputes();
  });

  test('dropout probability out of range', () => {
    using x = zeros([2, 3]);
    const error = thrownBy(() => F.dropout(x, 1.5));
    assert.ok(error instanceof RangeError, `got ${String(error)}`);
    assert.equal((error as RangeError).message, 'dropout: p must be in [0, 1), got 1.5');
  });

  test('layer options checked at construction', () => {
    const cases: [() => unknown, string, RegExp][] = [
      [() => new nn.Conv2d(undefined as never), 'TypeError', /Conv2d takes an options object/],
      [() => new nn.Linear(null as never), 'TypeError', /Linear takes an options object/],
      [
        () =>
          new nn.Conv2d({
            inChannels: 1,
            outChannels: 2,
            kernelSize: 3,
            algorithm: 'fast' as 'auto',
          }),
        'RangeError',
        /Conv2d algorithm must be 'auto' or 'direct', got "fast"/,
      ],
      [
        () =>
          new nn.Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, generator: 42 as never }),
        'TypeError',
        /Conv2d generator must be a Generator, got number/,
      ],
      [
        () => new nn.Conv2d({ inChannels: '1' as never, outChannels: 2, kernelSize: 3 }),
        'RangeError',
        /Conv2d inChannels must be a positive integer, got "1"/,
      ],
      [() => new nn.Sequential(new nn.ReLU() as never), 'TypeError', /an array of modules/],
      [
        () => new nn.Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, bias: 0 as never }),
        'TypeError',
        /Conv2d bias must be true or false, got 0/,
      ],
      [() => new nn.ReLU('yes' as never), 'TypeError', /ReLU inplace must be true or false/],
      [() => randn([2], { generator: 5 as never }), 'TypeError', /randn: option 'generator'/],
      [() => new nn.Sequential([null as never]), 'TypeError', /layer 0 must be a Module, got null/],
      [() => new CrossEntropyHead('avg' as 'mean'), 'RangeError', /reduction "avg"; expected none/],
      [
        () => new nn.Dropout('0.5' as never),
        'RangeError',
        /Dropout p must be a number in \[0, 1\), got "0.5"/,
      ],
      [
        () => buildNetwork(resolveNetwork('N0'), {} as never),
        'TypeError',
        /buildNetwork needs options.inputShape, the \[C, H, W\] of one image such as \[1, 28, 28\], got undefined/,
      ],
      [
        () => new nn.Sequential([new nn.ReLU()]).forward(undefined as never),
        'TypeError',
        /Sequential.forward takes a Tensor, got undefined/,
      ],
      [
        () => new nn.Conv2d({ inChannels: NaN, outChannels: 2, kernelSize: 3 }),
        'RangeError',
        /Conv2d inChannels must be a positive integer, got NaN/,
      ],
    ];
    for (const [build, name, message] of cases) {
      const error = thrownBy(build);
      assert.ok(error instanceof Error, `got ${String(error)}`);
      assert.equal(error.name, name);
      assert.match(error.message, message);
    }
  });

  test('unknown dtype is RangeError', () => {
    const error = thrownBy(() => zeros([2], { dtype: 'float8' as 'float32' }));
    assert.ok(error instanceof RangeError, `got ${String(error)}`);
    assert.match((error as RangeError).message, /^full: unknown dtype 'float8'/);
  });

  test('typed array with wrong length', () => {
    const error = thrownBy(() => tensor(new Float64Array([1, 2]), { shape: [3] }));
    assert.ok(error instanceof RangeError, `got ${String(error)}`);
    assert.equal(
      (error as RangeError).message,
      'fromTypedArray: data has 2 elements but the shape needs 3',
    );
  });
});
