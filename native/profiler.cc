// Operator-level profiling of libtorch calls into a Chrome trace file.
#include <torch/csrc/autograd/profiler_legacy.h>

#include <memory>

#include "gate.h"

namespace isbe {
namespace {

// The profile being recorded; libtorch writes the trace when it is destroyed.
std::unique_ptr<torch::autograd::profiler::RecordProfile> recording;

// startProfiler(path): records every libtorch op from now on; stopProfiler() writes the
// trace to `path` (open it in chrome://tracing or https://ui.perfetto.dev).
void StartProfiler(const Args& args) {
  if (recording) args.rangeError("a profile is already being recorded");
  recording = std::make_unique<torch::autograd::profiler::RecordProfile>(args.string(0, "path"));
}

void StopProfiler(const Args& args) {
  if (!recording) args.rangeError("no profile is being recorded");
  recording.reset();
}

}  // namespace

void RegisterProfilerOps(Napi::Env env, Napi::Object exports) {
  Bind(env, exports, "startProfiler", StartProfiler);
  Bind(env, exports, "stopProfiler", StopProfiler);
}

}  // namespace isbe
