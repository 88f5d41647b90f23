// Sixteen-float vectors and elementwise loops over float arrays, shared by the
// convolution kernels.
//
// The loops use explicit vectors. Written as plain loops inside the lambdas that
// at::parallel_for runs, GCC kept them scalar, with a branch per element: the lambdas read
// their pointers through a reference, and node-gyp compiles with -fno-strict-aliasing, so
// every float store may change the pointers.
#pragma once

#include <cstdint>

namespace isbe {

// Sixteen floats: one AVX-512 register, or two or four narrower ones. The unaligned
// variant loads and stores at any float address.
typedef float Vec __attribute__((vector_size(64)));
typedef float UnalignedVec __attribute__((vector_size(64), aligned(4), may_alias));

inline Vec Load(const float* p) { return *reinterpret_cast<const UnalignedVec*>(p); }
inline void Store(float* p, Vec v) { *reinterpret_cast<UnalignedVec*>(p) = v; }

// to[i] = max(from[i], 0), except that NaN stays NaN, as at::relu does. `to` may be `from`.
inline void ReLUSpan(const float* from, float* to, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    Vec v = Load(from + i);
    Store(to + i, v < 0 ? Vec{} : v);
  }
  for (; i < count; ++i) to[i] = from[i] < 0 ? 0.0f : from[i];
}

// The gradient of a ReLU's input from the gradient and the output of the ReLU: zero where
// the output is at most zero, as at::threshold_backward gives, so NaN outputs pass it.
inline void ReLUGradientSpan(const float* grad, const float* output, float* to, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    Vec y = Load(output + i);
    Store(to + i, y <= 0 ? Vec{} : Load(grad + i));
  }
  for (; i < count; ++i) to[i] = output[i] <= 0 ? 0.0f : grad[i];
}

inline void CopySpan(const float* from, float* to, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) Store(to + i, Load(from + i));
  for (; i < count; ++i) to[i] = from[i];
}

}  // namespace isbe
