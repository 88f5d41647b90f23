// Locates libtorch's headers and libraries: Debian's libtorch-dev by default, or the
// folder named by the LIBTORCH environment variable (for example a CUDA build from
// pytorch.org, which must be the cxx11-ABI variant). binding.gyp runs this file to get
// its compiler and linker flags, and the set-up script uses it to check the install.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const debianIncludes = ['/usr/include', '/usr/include/torch/csrc/api/include'];

/** Returns include folders, library folder and libraries of the selected libtorch. */
export function libtorchLayout(root = process.env.LIBTORCH) {
  if (!root) {
    return { root: null, includes: debianIncludes, libDir: null, libs: baseLibs() };
  }
  const libDir = join(root, 'lib');
  const cuda = existsSync(join(libDir, 'libtorch_cuda.so'));
  return {
    root,
    includes: [join(root, 'include'), join(root, 'include/torch/csrc/api/include')],
    libDir,
    libs: cuda ? [...baseLibs(), ...cudaLibs()] : baseLibs(),
  };
}

function baseLibs() {
  return ['-ltorch', '-ltorch_cpu', '-lc10', ...(dnnlAvailable() ? ['-ldnnl'] : [])];
}

/**
 * Whether the oneDNN headers are installed (Debian's libdnnl-dev) for Debian's libtorch,
 * which loads that same oneDNN. Another libtorch carries its own copy of oneDNN, so the
 * addon then does without oneDNN's Winograd convolutions.
 */
export function dnnlAvailable(root = process.env.LIBTORCH) {
  return !root && existsSync('/usr/include/oneapi/dnnl/dnnl.hpp');
}

// The CUDA libraries register their kernels from static constructors, so the linker
// must keep them even though no symbol of theirs is referenced directly.
function cudaLibs() {
  return ['-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed'];
}

/** Returns the libtorch version (for example "1.13.0") from its headers, or null. */
export function libtorchHeaderVersion(layout = libtorchLayout()) {
  for (const dir of layout.includes) {
    const file = join(dir, 'torch/csrc/api/include/torch/version.h');
    const alternative = join(dir, 'torch/version.h');
    for (const candidate of [file, alternative]) {
      if (!existsSync(candidate)) continue;
      const text = readFileSync(candidate, 'utf8');
      const major = /TORCH_VERSION_MAJOR (\d+)/.exec(text);
      const minor = /TORCH_VERSION_MINOR (\d+)/.exec(text);
      const patch = /TORCH_VERSION_PATCH (\d+)/.exec(text);
      if (major && minor && patch) return `${major[1]}.${minor[1]}.${patch[1]}`;
    }
  }
  return null;
}

// Prints one kind of gyp flags: `node scripts/libtorch.mjs includes|ldflags|libs|defines`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const layout = libtorchLayout();
  const kind = process.argv[2];
  if (kind === 'includes') console.log(layout.includes.join(' '));
  else if (kind === 'ldflags') {
    console.log(layout.libDir ? `-L${layout.libDir} -Wl,-rpath,${layout.libDir}` : '');
  } else if (kind === 'libs') console.log(layout.libs.join(' '));
  else if (kind === 'defines') console.log(dnnlAvailable() ? 'ISBE_WITH_DNNL' : '');
  else {
    console.error('usage: node scripts/libtorch.mjs includes|ldflags|libs|defines');
    process.exit(2);
  }
}
