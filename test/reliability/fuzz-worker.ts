// Calls the native addon's exports with random shapes, dtypes, disposed tensors and wrong
// argument types, and reports every failure that is not a JS exception of an allowed class.
// native-fuzz.test.ts runs it in a child process, so that an abort inside native code shows
// as the child's exit signal. Each call is written to a trace file before it is made.
//
//   node fuzz-worker.js <seed> <calls> <trace-file>
import { closeSync, openSync, writeSync } from 'node:fs';

import type { DtypeName, NativeGenerator, NativeTensor } from '../../src/native/addon.js';
import { native } from '../../src/native/load.js';
import { DisposedTensorError, TorchError } from '../../src/tensor/errors.js';

/** A deterministic generator (mulberry32), so a seed replays the same calls. */
class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

const dtypes: DtypeName[] = [
  'float32',
  'float64',
  'bfloat16',
  'float16',
  'int64',
  'int32',
  'uint8',
  'int8',
  'bool',
];

// Tensors that re-enter the pool stay small, so no call can ask for much memory.
const maxPoolElements = 1000;
const maxPoolIntegerValue = 64;

/** The kinds of argument an op takes; each kind has a generator of mostly valid values. */
type Kind =
  | 'tensor'
  | 'tensor?'
  | 'tensors'
  | 'operand'
  | 'scalar'
  | 'dim'
  | 'dim?'
  | 'count'
  | 'count?'
  | 'shape'
  | 'shape?'
  | 'size'
  | 'pair'
  | 'dims'
  | 'number'
  | 'number?'
  | 'bool'
  | 'bool?'
  | 'dtype'
  | 'dtype?'
  | 'format'
  | 'format?'
  | 'device'
  | 'generator'
  | 'generator?'
  | 'reduction'
  | 'mode'
  | 'padding'
  | 'soft'
  | 'data'
  | 'steps';

const unary = [
  'neg',
  'exp',
  'cos',
  'sin',
  'log',
  'sqrt',
  'abs',
  'sign',
  'square',
  'reciprocal',
  'floor',
  'relu',
  'relu_',
  'sigmoid',
  'logSigmoid',
  'softplus',
  'tanh',
  'hardsigmoid',
  'isfinite',
  'isnan',
  'logicalNot',
  'all',
  'any',
  'diagEmbed',
  'allFinite',
  'toTypedArray',
  'item',
  'shape',
  'strides',
  'dtype',
  'device',
  'grad',
  'requiresGrad',
  'isLeaf',
  'detach',
];
const comparisons = ['mul', 'div', 'pow', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

/** Argument kinds of every export; exports missing here get random arguments of any kind. */
const signatures: Record<string, Kind[]> = {
  ...Object.fromEntries([...unary, 'zerosLike'].map((name) => [name, ['tensor']])),
  ...Object.fromEntries(comparisons.map((name) => [name, ['tensor', 'operand']])),
  fromTypedArray: ['data', 'size', 'dtype'],
  full: ['size', 'scalar', 'dtype?'],
  arange: ['number', 'number', 'number', 'dtype?'],
  uniform: ['size', 'number', 'number', 'dtype?', 'generator?'],
  normal: ['size', 'number', 'number', 'dtype?', 'generator?'],
  randint: ['count', 'count', 'size', 'generator?'],
  randperm: ['count', 'generator?'],
  bernoulli: ['tensor', 'generator?'],
  isContiguous: ['tensor', 'format'],
  contiguous: ['tensor', 'format'],
  clone: ['tensor', 'format?'],
  toDtype: ['tensor', 'dtype'],
  toDevice: ['tensor', 'device'],
  reshape: ['tensor', 'shape'],
  view: ['tensor', 'shape'],
  permute: ['tensor', 'dims'],
  expand: ['tensor', 'shape'],
  transpose: ['tensor', 'dim', 'dim'],
  flatten: ['tensor', 'dim', 'dim'],
  unsqueeze: ['tensor', 'dim'],
  squeeze: ['tensor', 'dim?'],
  narrow: ['tensor', 'dim', 'count', 'count'],
  slice: ['tensor', 'dim', 'count?', 'count?', 'count?'],
  select: ['tensor', 'dim', 'count'],
  indexSelect: ['tensor', 'dim', 'tensor'],
  gather: ['tensor', 'dim', 'tensor'],
  cat: ['tensors', 'dim'],
  stack: ['tensors', 'dim'],
  oneHot: ['tensor', 'count'],
  where: ['tensor', 'tensor', 'tensor'],
  copy_: ['tensor', 'tensor'],
  fill_: ['tensor', 'scalar'],
  add: ['tensor', 'operand', 'number?'],
  sub: ['tensor', 'operand', 'number?'],
  matmul: ['tensor', 'tensor'],
  maximum: ['tensor', 'tensor'],
  minimum: ['tensor', 'tensor'],
  hardtanh: ['tensor', 'number', 'number'],
  clamp: ['tensor', 'number?', 'number?'],
  softmax: ['tensor', 'dim'],
  logSoftmax: ['tensor', 'dim'],
  normalize: ['tensor', 'number', 'dim', 'number'],
  sum: ['tensor', 'shape?', 'bool?'],
  mean: ['tensor', 'shape?', 'bool?'],
  var: ['tensor', 'shape?', 'count?', 'bool?'],
  norm: ['tensor', 'number', 'shape?', 'bool?'],
  max: ['tensor', 'dim?', 'bool?'],
  min: ['tensor', 'dim?', 'bool?'],
  argmax: ['tensor', 'dim?', 'bool?'],
  argmin: ['tensor', 'dim?', 'bool?'],
  conv2d: ['tensor', 'tensor', 'tensor?', 'pair', 'pair', 'pair', 'count'],
  linear: ['tensor', 'tensor', 'tensor?'],
  maxPool2d: ['tensor', 'pair', 'pair', 'pair'],
  dropout: ['tensor', 'number', 'bool', 'generator?'],
  crossEntropy: ['tensor', 'tensor', 'tensor?', 'reduction', 'count', 'number'],
  mseLoss: ['tensor', 'tensor', 'reduction'],
  binaryCrossEntropyWithLogits: ['tensor', 'tensor', 'tensor?', 'tensor?', 'reduction'],
  huberLoss: ['tensor', 'tensor', 'reduction', 'number'],
  affineGrid: ['tensor', 'size', 'bool'],
  gridSample: ['tensor', 'tensor', 'mode', 'padding', 'bool'],
  isbeError: ['tensor', 'tensor', 'soft'],
  backward: ['tensor', 'tensor?', 'bool?'],
  setGrad: ['tensor', 'tensor?'],
  setRequiresGrad: ['tensor', 'bool'],
  setData: ['tensor', 'tensor'],
  setGradEnabled: ['bool'],
  isGradEnabled: [],
  enterInferenceMode: [],
  exitInferenceMode: [],
  isInferenceMode: [],
  setAutocast: ['bool', 'dtype?'],
  zeroGrad: ['tensors'],
  gradsFinite: ['tensors'],
  adamStep: [
    'tensors',
    'tensors',
    'tensors',
    'steps',
    'number',
    'number',
    'number',
    'number',
    'number',
  ],
  sgdStep: ['tensors', 'tensors', 'steps', 'number', 'number', 'number', 'number', 'bool'],
  setNumThreads: ['count'],
  getNumThreads: [],
  manualSeed: ['count'],
  liveTensorCount: [],
  cachedTensorBytes: [],
  versionInfo: [],
};

// setErrorClasses would replace the error classes this test checks for; the classes are
// constructors rather than functions to call; the profiler writes a trace file wherever its
// path argument points, so it has its own test with a temporary file.
const skipped = new Set([
  'setErrorClasses',
  'NativeTensor',
  'NativeGenerator',
  'startProfiler',
  'stopProfiler',
]);

const allowedErrors = [TypeError, RangeError, TorchError, DisposedTensorError];

/** Calls that returned and calls that threw an allowed error, per op. */
export type FuzzOutcomes = Record<string, { returned: number; threw: number }>;

/** One call whose outcome was not a return or an allowed JS exception. */
export interface FuzzFailure {
  call: number;
  op: string;
  args: string;
  error: string;
}

function isHandle(value: unknown): value is NativeTensor {
  return value instanceof native.NativeTensor;
}

function describe(value: unknown): string {
  if (isHandle(value)) {
    if (value.isDisposed()) return 'Tensor(disposed)';
    return `Tensor(${native.dtype(value)} [${native.shape(value).join(', ')}])`;
  }
  if (value instanceof native.NativeGenerator) return 'Generator';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as Uint8Array).length})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'function';
  if (typeof value === 'symbol') return 'symbol';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** The tensors, generators and helpers of one round of calls. */
class Round {
  readonly tensors: NativeTensor[] = [];
  readonly generators: NativeGenerator[] = [];
  readonly #owned: NativeTensor[] = [];
  // Tensors of one round often share a shape, so that binary ops get past shape checks.
  readonly #shape: number[];

  constructor(readonly random: Random) {
    this.#shape = Array.from({ length: random.integer(0, 4) }, () => random.integer(0, 4));
    const count = random.integer(2, 5);
    for (let i = 0; i < count; i++) this.tensors.push(this.#makeTensor());
    this.generators.push(new native.NativeGenerator(random.integer(0, 1000)));
  }

  /** Frees every tensor the round made or received. */
  dispose(): void {
    for (const tensor of this.#owned) tensor.dispose();
  }

  /** Takes ownership of a call's results; small ones join the pool of arguments. */
  adopt(result: unknown): void {
    const handles = Array.isArray(result)
      ? result.filter(isHandle)
      : isHandle(result)
        ? [result]
        : [];
    for (const handle of handles) {
      this.#owned.push(handle);
      if (this.#smallEnough(handle)) this.tensors.push(handle);
    }
  }

  #smallEnough(handle: NativeTensor): boolean {
    try {
      const numel = native.shape(handle).reduce((product, size) => product * size, 1);
      if (numel > maxPoolElements || native.device(handle) !== 'cpu') return false;
      const dtype = native.dtype(handle);
      if (dtype.startsWith('float') || dtype === 'bfloat16' || dtype === 'bool') return true;
      const values = native.toTypedArray(handle);
      return Array.from(values as ArrayLike<number | bigint>).every(
        (value) => Math.abs(Number(value)) <= maxPoolIntegerValue,
      );
    } catch {
      return false;
    }
  }

  #own(tensor: NativeTensor): NativeTensor {
    this.#owned.push(tensor);
    return tensor;
  }

  #makeTensor(): NativeTensor {
    const { random } = this;
    const dtype = random.pick(dtypes);
    const shape = random.chance(0.5)
      ? [...this.#shape]
      : Array.from({ length: random.integer(0, 4) }, () => random.integer(0, 4));
    const ndim = shape.length;
    const numel = shape.reduce((product, size) => product * size, 1);
    let tensor = this.#own(native.fromTypedArray(this.#storage(dtype, numel), shape, dtype));
    if (random.chance(0.2) && ndim >= 2) tensor = this.#own(native.transpose(tensor, 0, ndim - 1));
    if (random.chance(0.15) && ndim === 4)
      tensor = this.#own(native.contiguous(tensor, 'channelsLast'));
    if (random.chance(0.1)) {
      const unsqueezed = this.#own(native.unsqueeze(tensor, 0));
      tensor = this.#own(native.expand(unsqueezed, [3, ...native.shape(tensor)]));
    }
    if (random.chance(0.3) && (dtype === 'float32' || dtype === 'float64')) {
      tensor = this.#own(native.clone(tensor));
      native.setRequiresGrad(tensor, true);
    }
    if (random.chance(0.08)) tensor.dispose();
    return tensor;
  }

  #storage(dtype: DtypeName, numel: number) {
    const { random } = this;
    const special = [0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e30, -3];
    const value = () => (random.chance(0.2) ? random.pick(special) : random.next() * 6 - 3);
    const small = () => random.integer(-3, 9);
    switch (dtype) {
      case 'float32':
        return Float32Array.from({ length: numel }, value);
      case 'float64':
        return Float64Array.from({ length: numel }, value);
      case 'int64':
        return BigInt64Array.from({ length: numel }, () => BigInt(small()));
      case 'int32':
        return Int32Array.from({ length: numel }, small);
      case 'int8':
        return Int8Array.from({ length: numel }, small);
      case 'bfloat16':
      case 'float16':
        return Uint16Array.from({ length: numel }, () => random.integer(0, 0xffff));
      case 'bool':
        return Uint8Array.from({ length: numel }, () => random.integer(0, 1));
      default:
        return Uint8Array.from({ length: numel }, () => random.integer(0, 12));
    }
  }

  /** Returns a value of the wrong type or an out-of-place value. */
  wrongValue(): unknown {
    const { random } = this;
    const disposed = new native.NativeTensor();
    const choices: unknown[] = [
      undefined,
      null,
      'text',
      3.5,
      NaN,
      Infinity,
      -1,
      2 ** 60,
      true,
      {},
      [],
      [1, 'a'],
      [[1]],
      disposed,
      this.generators[0],
      () => 1,
      10n,
      Symbol('s'),
      new Float32Array(3),
      random.pick(this.tensors),
      [random.pick(this.tensors), 'x'],
      { length: 3 },
    ];
    return random.pick(choices);
  }

  value(kind: Kind): unknown {
    const { random } = this;
    const optional = kind.endsWith('?');
    if (optional && random.chance(0.3)) return undefined;
    const tensor = () => random.pick(this.tensors);
    const dim = () =>
      random.chance(0.05) ? random.pick([2 ** 40, -(2 ** 40)]) : random.integer(-5, 5);
    const count = () => random.integer(-2, 6);
    const list = (make: () => number) => Array.from({ length: random.integer(0, 4) }, make);
    switch (kind.replace('?', '') as Kind) {
      case 'tensor':
        return tensor();
      case 'tensors':
        return Array.from({ length: random.integer(0, 4) }, tensor);
      case 'operand':
        return random.chance(0.6) ? tensor() : random.pick([0, 1, -2, 0.5, NaN, Infinity, true]);
      case 'scalar':
        return random.pick([0, 1, -2, 0.5, NaN, Infinity, -Infinity, true, false, 2 ** 53]);
      case 'dim':
        return dim();
      case 'count':
        return count();
      case 'shape':
        return list(() => random.integer(-2, 5));
      case 'size':
        return list(() => random.integer(random.chance(0.1) ? -2 : 0, 5));
      case 'pair':
        return Array.from({ length: random.integer(0, 3) }, () => random.integer(-1, 4));
      case 'dims':
        return list(dim);
      case 'steps':
        return list(() => random.integer(-1, 5));
      case 'number':
        return random.pick([
          -2,
          -1,
          -0.5,
          0,
          1e-3,
          0.5,
          0.9,
          1,
          2,
          3,
          NaN,
          Infinity,
          -Infinity,
          1e30,
        ]);
      case 'bool':
        return random.chance(0.5);
      case 'dtype':
        return random.chance(0.9) ? random.pick(dtypes) : random.pick(['complex64', 'float', '']);
      case 'format':
        return random.pick(['contiguous', 'channelsLast', 'preserve', 'channelsLast3d', '']);
      case 'device':
        return random.pick(['cpu', 'cuda', 'cuda:0', 'meta', 'mps', 'cpu:1', 'nowhere', '']);
      case 'generator':
        return random.chance(0.8) ? random.pick(this.generators) : new native.NativeTensor();
      case 'reduction':
        return random.pick(['none', 'mean', 'sum', 'max', '']);
      case 'mode':
        return random.pick(['bilinear', 'nearest', 'bicubic', 'trilinear']);
      case 'padding':
        return random.pick(['zeros', 'border', 'reflection', 'circular']);
      case 'soft':
        return random.pick([
          'softmax',
          'sigmoid',
          'tanh',
          'hardtanh',
          'hardsigmoid',
          'scaled-hardtanh',
          'normalize',
          'relu',
        ]);
      case 'data': {
        const array = random.pick([Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array]);
        return new array(random.integer(0, 30));
      }
    }
    return undefined;
  }

  /** Creates a float tensor of `shape`, with values in [−3, 3) and sometimes NaN or ±∞. */
  floats(shape: number[], dtype: DtypeName = 'float32'): NativeTensor {
    const numel = shape.reduce((product, size) => product * size, 1);
    return this.#own(native.fromTypedArray(this.#storage(dtype, numel), shape, dtype));
  }

  /** Creates an int64 tensor of `shape` with values in [0, bound), and a few outside. */
  indices(shape: number[], bound: number): NativeTensor {
    const { random } = this;
    const numel = shape.reduce((product, size) => product * size, 1);
    const pick = () =>
      BigInt(
        random.chance(0.05)
          ? random.pick([-1, bound, 1000])
          : random.integer(0, Math.max(bound - 1, 0)),
      );
    return this.#own(
      native.fromTypedArray(BigInt64Array.from({ length: numel }, pick), shape, 'int64'),
    );
  }

  /**
   * Arguments that pass the shape checks of ops that random arguments rarely satisfy, so
   * that the calls reach the kernels; null for other ops.
   */
  fittingArguments(op: string): unknown[] | null {
    const { random } = this;
    const n = random.integer(0, 3);
    const c = random.integer(1, 3);
    const k = random.integer(0, 4);
    const side = random.integer(1, 6);
    const image = () => this.floats([n, c, side, side], random.pick(['float32', 'float64']));
    switch (op) {
      case 'conv2d': {
        const kernel = random.integer(1, 3);
        const out = random.integer(1, 3);
        const bias = random.chance(0.5) ? this.floats([out]) : undefined;
        const pad = random.integer(0, 2);
        return [
          image(),
          this.floats([out, c, kernel, kernel]),
          bias,
          [random.integer(1, 2)],
          [pad],
          [random.integer(1, 2)],
          1,
        ];
      }
      case 'maxPool2d':
        return [image(), [random.integer(1, 3)], [random.integer(1, 3)], [random.integer(0, 1)]];
      case 'crossEntropy': {
        const target = random.chance(0.6) ? this.indices([n], k) : this.floats([n, k]);
        const weight = random.chance(0.3) ? this.floats([k]) : undefined;
        const reduction = random.pick(['none', 'mean', 'sum']);
        return [
          this.floats([n, k]),
          target,
          weight,
          reduction,
          random.pick([-100, 0, 1]),
          random.pick([0, 0.1, 0.5]),
        ];
      }
      case 'isbeError':
        return [
          this.floats([n, k], random.pick(['float32', 'float64'])),
          this.floats([n, k]),
          this.value('soft'),
        ];
      case 'affineGrid':
        return [this.floats([n, 2, 3]), [n, c, side, side], random.chance(0.5)];
      case 'gridSample':
        return [
          image(),
          this.floats([n, random.integer(0, 4), random.integer(0, 4), 2]),
          this.value('mode'),
          this.value('padding'),
          random.chance(0.5),
        ];
      case 'indexSelect':
      case 'gather': {
        const self = this.floats([side, k]);
        const index =
          op === 'gather'
            ? this.indices([side, random.integer(0, 3)], k)
            : this.indices([random.integer(0, 5)], side);
        return [self, op === 'gather' ? 1 : 0, index];
      }
      case 'fromTypedArray': {
        const dtype = random.pick(dtypes);
        const shape = [random.integer(0, 4), random.integer(0, 4)];
        return [this.#storage(dtype, shape[0]! * shape[1]!), shape, dtype];
      }
      case 'adamStep':
      case 'sgdStep':
        return this.#optimizerArguments(op);
    }
    return null;
  }

  // Parameters with gradients from a backward pass, and state tensors of their shapes.
  #optimizerArguments(op: string): unknown[] {
    const { random } = this;
    const count = random.integer(1, 3);
    const params = Array.from({ length: count }, () => this.floats([random.integer(1, 4)]));
    for (const param of params) {
      native.setRequiresGrad(param, true);
      if (random.chance(0.8)) {
        const total = this.#own(native.sum(this.#own(native.square(param))));
        native.backward(total);
      }
    }
    const state = () => params.map((param) => this.#own(native.zerosLike(param)));
    const steps = params.map(() => random.integer(0, 3));
    const numbers = () => this.value('number');
    if (op === 'adamStep') {
      return [
        params,
        state(),
        state(),
        steps,
        random.pick([1e-3, 0.1]),
        0.9,
        0.999,
        1e-8,
        numbers(),
      ];
    }
    return [
      params,
      state(),
      steps,
      random.pick([1e-3, 0.1]),
      numbers(),
      numbers(),
      numbers(),
      random.chance(0.5),
    ];
  }

  /** Arguments for one call: mostly of the right kinds, some wrong, missing or extra. */
  arguments(op: string, kinds: readonly Kind[] | undefined): unknown[] {
    const { random } = this;
    const fitting = random.chance(0.5) ? this.fittingArguments(op) : null;
    if (fitting !== null) {
      if (random.chance(0.1)) fitting[random.integer(0, fitting.length - 1)] = this.wrongValue();
      return fitting;
    }
    if (kinds === undefined) {
      const any: Kind[] = ['tensor', 'dim', 'shape', 'number', 'bool', 'dtype', 'tensors'];
      return Array.from({ length: random.integer(0, 5) }, () => this.value(random.pick(any)));
    }
    const args = kinds.map((kind) => (random.chance(0.06) ? this.wrongValue() : this.value(kind)));
    if (random.chance(0.05)) args.length = random.integer(0, args.length);
    if (random.chance(0.03)) args.push(this.wrongValue());
    return args;
  }

  /** Calls a generator method with random arguments. */
  generatorCall(): [string, () => unknown] {
    const { random } = this;
    const generator = random.pick(this.generators);
    const method = random.pick(['manualSeed', 'initialSeed', 'getState', 'setState', 'new']);
    if (method === 'new') {
      const seed = random.chance(0.8) ? random.integer(0, 99) : this.wrongValue();
      return [
        'new NativeGenerator',
        () => this.generators.push(new native.NativeGenerator(seed as number)),
      ];
    }
    if (method === 'setState') {
      const state = generator.getState().slice();
      if (random.chance(0.5)) state[random.integer(0, state.length - 1)] = random.integer(0, 255);
      const argument = random.pick<unknown>([
        state,
        state.subarray(0, random.integer(0, state.length)),
        new Uint8Array(state.length).fill(255),
        this.wrongValue(),
      ]);
      return ['Generator.setState', () => generator.setState(argument as Uint8Array)];
    }
    const argument = random.chance(0.8) ? random.integer(0, 99) : this.wrongValue();
    const call = generator[method as 'manualSeed'] as (value: unknown) => unknown;
    return [`Generator.${method}`, () => call.call(generator, argument)];
  }
}

// Puts back the global modes a call may have changed, so later calls start from the
// defaults: gradients on, no inference mode, no autocast, the original thread count.
function restoreGlobalState(threads: number): void {
  native.setGradEnabled(true);
  while (native.isInferenceMode()) native.exitInferenceMode();
  native.setAutocast(false);
  if (native.getNumThreads() !== threads) native.setNumThreads(threads);
}

/** Makes `calls` random calls from `seed`; writes each op to `traceFd` before calling it. */
export function fuzz(seed: number, calls: number, traceFd: number) {
  const random = new Random(seed);
  const threads = native.getNumThreads();
  const ops = Object.keys(native).filter((name) => !skipped.has(name));
  const failures: FuzzFailure[] = [];
  const outcomes: FuzzOutcomes = {};
  let callCount = 0;
  while (callCount < calls) {
    const round = new Round(random);
    try {
      for (let i = 0; i < 8 && callCount < calls; i++, callCount++) {
        let op: string;
        let invoke: () => unknown;
        let args: unknown[] = [];
        if (random.chance(0.03)) {
          [op, invoke] = round.generatorCall();
        } else {
          op = random.pick(ops);
          args = round.arguments(op, signatures[op]);
          const fn = (native as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
          invoke = () => fn?.(...args);
        }
        writeSync(traceFd, `${callCount} ${op}(${args.map(describe).join(', ')})\n`);
        const outcome = (outcomes[op] ??= { returned: 0, threw: 0 });
        try {
          round.adopt(invoke());
          outcome.returned += 1;
        } catch (error) {
          outcome.threw += 1;
          if (!allowedErrors.some((type) => error instanceof type)) {
            failures.push({
              call: callCount,
              op,
              args: args.map(describe).join(', '),
              error: String(error),
            });
          }
        } finally {
          restoreGlobalState(threads);
        }
      }
    } finally {
      round.dispose();
    }
  }
  return { failures, outcomes, unknownOps: ops.filter((op) => signatures[op] === undefined) };
}

const [seedText, callsText, tracePath] = process.argv.slice(2);
if (seedText !== undefined && callsText !== undefined && tracePath !== undefined) {
  const before = native.liveTensorCount();
  const traceFd = openSync(tracePath, 'w');
  const result = fuzz(Number(seedText), Number(callsText), traceFd);
  closeSync(traceFd);
  const report = { ...result, liveBefore: before, liveAfter: native.liveTensorCount() };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
