import type { DtypeName } from '../native/addon.js';

/** Element type of a tensor. */
export type Dtype = DtypeName;

/** Whether values of this dtype are floating point. */
export function isFloatingDtype(dtype: Dtype): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'bfloat16' || dtype === 'float16';
}

/** Size of one element in bytes. */
export function dtypeByteSize(dtype: Dtype): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'bfloat16':
    case 'float16':
      return 2;
    default:
      return 1;
  }
}
