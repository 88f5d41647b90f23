import { native } from '../native/load.js';
import type { Dtype } from './dtype.js';

function rejectPromise(name: string, result: unknown): void {
  if (result instanceof Promise) {
    throw new TypeError(`${name}() needs a synchronous function; it received a Promise`);
  }
}

/** Runs `fn` with gradient recording off, as torch.no_grad(). */
export function noGrad<R>(fn: () => R): R {
  const previous = native.setGradEnabled(false);
  try {
    const result = fn();
    rejectPromise('noGrad', result);
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs `fn` with gradient recording on, inside a noGrad() scope for example. */
export function enableGrad<R>(fn: () => R): R {
  const previous = native.setGradEnabled(true);
  try {
    const result = fn();
    rejectPromise('enableGrad', result);
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/**
 * Runs `fn` in inference mode, as torch.inference_mode(): faster than noGrad(), but
 * tensors created inside can never enter autograd later.
 */
export function inferenceMode<R>(fn: () => R): R {
  native.enterInferenceMode();
  try {
    const result = fn();
    rejectPromise('inferenceMode', result);
    return result;
  } finally {
    native.exitInferenceMode();
  }
}

/** Whether gradient recording is on. */
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/**
 * Runs `fn` under CPU autocast, as torch.autocast("cpu", dtype): convolutions and linear
 * layers compute in bfloat16, the only dtype that libtorch's CPU autocast supports, and
 * return bfloat16. The exception is a convolution of one-channel images with the 'auto'
 * algorithm that needs no input gradient, which stays float32 (see nn.functional.conv2d).
 */
export function autocast<R>(fn: () => R, dtype: Dtype = 'bfloat16'): R {
  if (dtype !== 'bfloat16') {
    throw new RangeError(
      `autocast: CPU autocast supports only bfloat16, got ${String(dtype)}; ` +
        "omit the dtype or pass 'bfloat16'",
    );
  }
  const previous = native.setAutocast(true, dtype);
  try {
    const result = fn();
    rejectPromise('autocast', result);
    return result;
  } finally {
    native.setAutocast(previous);
  }
}
