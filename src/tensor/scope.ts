/**
 * Memory scopes: tidy() frees every tensor created inside its callback except the ones the
 * callback returns, which move to the enclosing scope. keep() exempts a tensor from every
 * scope. Tensors created outside any scope live until dispose() or garbage collection.
 */

import { typeName } from '../util/type-name.js';

/** What a scope needs of a tensor; the Tensor class implements it. */
export interface Disposable {
  dispose(): void;
  readonly isKept: boolean;
}

const scopes: Disposable[][] = [];

/** Records a new tensor in the innermost open scope, if any. */
export function track(tensor: Disposable): void {
  scopes[scopes.length - 1]?.push(tensor);
}

/**
 * Runs `fn` and frees the tensors it created, except those reachable from its result
 * (a tensor, or arrays, plain objects and Maps of tensors). `fn` must be synchronous,
 * because a scope cannot follow work that continues after an await.
 */
export function tidy<R>(fn: () => R): R {
  if (typeof fn !== 'function') {
    throw new TypeError(
      `tidy() takes a function, such as tidy(() => a.add(b)), got ${typeName(fn)}`,
    );
  }
  scopes.push([]);
  let result: R | undefined;
  let created: Disposable[] = [];
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new TypeError('tidy() needs a synchronous function; it received a Promise');
    }
    return result;
  } finally {
    created = scopes.pop() ?? [];
    const returned = collectDisposables(result);
    for (const tensor of created) {
      if (returned.has(tensor)) track(tensor);
      else if (!tensor.isKept) tensor.dispose();
    }
  }
}

/** Depth of nested tidy() scopes; 0 outside any scope. */
export function scopeDepth(): number {
  return scopes.length;
}

function collectDisposables(value: unknown, found = new Set<Disposable>()): Set<Disposable> {
  if (value === null || typeof value !== 'object') return found;
  if (isDisposable(value)) {
    found.add(value);
    return found;
  }
  const children = value instanceof Map ? [...value.values()] : Object.values(value);
  if (Array.isArray(value) || value instanceof Map || isPlainObject(value)) {
    for (const child of children) collectDisposables(child, found);
  }
  return found;
}

function isDisposable(value: object): value is Disposable {
  return 'dispose' in value && 'isKept' in value;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
