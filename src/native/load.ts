/**
 * Loads the native addon once and checks that it matches the libtorch it runs against.
 * Every failure is an AddonLoadError whose message names the command that fixes it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AddonLoadError, DisposedTensorError, TorchError } from '../tensor/errors.js';
import type { NativeAddon } from './addon.js';

/** Root folder of the isbe package (this file lives in dist/src/native/). */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

const addonPath = join(packageRoot, 'build', 'Release', 'isbe.node');
const stampPath = join(packageRoot, 'build', 'isbe-build.json');
const buildHint = 'build it with `npm run build` in ' + packageRoot;
const installHint =
  'install libtorch with `apt-get install -y libtorch-dev libopenblas0-openmp` (as root), ' +
  'or set LIBTORCH to the libtorch folder the addon was built against';

interface BuildStamp {
  libtorch: string | null;
  torchVersion: string;
}

function requireAddon(): NativeAddon {
  if (!existsSync(addonPath)) {
    throw new AddonLoadError(`the native addon is not built (missing ${addonPath}); ${buildHint}`);
  }
  try {
    return createRequire(import.meta.url)(addonPath) as NativeAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = /lib(torch|c10)/.test(reason) ? installHint : buildHint;
    throw new AddonLoadError(`cannot load the native addon: ${reason}; ${hint}`);
  }
}

// The addon must run against the libtorch it was compiled for, from the same folder.
function checkVersions(addon: NativeAddon): void {
  const info = addon.versionInfo();
  if (info.compiled !== info.loaded) {
    throw new AddonLoadError(
      `the native addon was compiled against libtorch ${info.compiled} but libtorch ` +
        `${info.loaded} is loaded; ${buildHint}`,
    );
  }
  if (!existsSync(stampPath)) return;
  const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as BuildStamp;
  const current = process.env.LIBTORCH || null;
  if (stamp.libtorch !== current) {
    throw new AddonLoadError(
      `the native addon was built for libtorch at ${stamp.libtorch ?? 'the Debian default'} ` +
        `but LIBTORCH is ${current ?? 'not set'}; ${buildHint}`,
    );
  }
}

function loadAddon(): NativeAddon {
  const addon = requireAddon();
  checkVersions(addon);
  addon.setErrorClasses(TorchError, DisposedTensorError);
  return addon;
}

/** The loaded addon; importing this module loads libtorch. */
export const native: NativeAddon = loadAddon();
