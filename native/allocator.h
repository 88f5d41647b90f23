// The CPU allocator of tensor memory, which keeps large freed blocks for reuse
// (allocator.cc).
#pragma once

#include <cstddef>

namespace isbe {

// Makes libtorch allocate CPU tensors through the caching allocator.
void InstallCachingAllocator();

// Frees the blocks that the caching allocator keeps for reuse.
void EmptyTensorCache();

// Returns the bytes in blocks kept for reuse.
size_t CachedTensorBytes();

}  // namespace isbe
