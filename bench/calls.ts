/**
 * Cost of one bound call: many small additions through the TypeScript API, and the same
 * through PyTorch's Python API for scale.
 */
import { spawnSync } from 'node:child_process';

import { ones, tidy } from '../src/index.js';

/** Microseconds per `a.add(b)` on tiny tensors, including the JS wrapper and its disposal. */
export function productCallMicroseconds(calls: number): number {
  const a = ones([4]).keep();
  const b = ones([4]).keep();
  const chunk = 1000;
  tidy(() => {
    for (let i = 0; i < chunk; i++) a.add(b);
  });
  const started = performance.now();
  for (let done = 0; done < calls; done += chunk) {
    tidy(() => {
      for (let i = 0; i < chunk; i++) a.add(b);
    });
  }
  const micros = ((performance.now() - started) * 1000) / calls;
  a.dispose();
  b.dispose();
  return micros;
}

/** The same measurement in PyTorch (python3-torch), in microseconds per call. */
export function referenceCallMicroseconds(calls: number): number {
  const script = `
import time, torch
torch.set_num_threads(1)
a = torch.ones(4); b = torch.ones(4)
for _ in range(1000): a.add(b)
t = time.perf_counter()
for _ in range(${calls}): a.add(b)
print((time.perf_counter() - t) * 1e6 / ${calls})
`;
  const result = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}
