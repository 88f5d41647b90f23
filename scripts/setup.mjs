#!/usr/bin/env node
// Installs and builds what isbe needs, doing only what is missing or out of date:
// Debian packages (as root), npm packages, the native addon and the TypeScript build.
// `npm start`, `npm test` and `npm run bench` call it first; with nothing to do it takes
// well under a second.
//
//   node scripts/setup.mjs [--for start|test|bench] [--force-build]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { libtorchHeaderVersion, libtorchLayout } from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
const libDir = `/usr/lib/${multiarch}`;
const aptListsDir = '/var/lib/apt/lists';
const aptListsMaxAgeMs = 24 * 3600 * 1000;

// Each Debian package with a file whose presence shows it is installed.
const packageFiles = {
  'libtorch-dev': '/usr/include/torch/csrc/api/include/torch/version.h',
  'libdnnl-dev': '/usr/include/oneapi/dnnl/dnnl.hpp',
  'libopenblas0-openmp': `${libDir}/openblas-openmp/libblas.so.3`,
  chromium: '/usr/bin/chromium',
  'redis-server': '/usr/bin/redis-server',
  'python3-torch': '/usr/lib/python3/dist-packages/torch/__init__.py',
};

// The packages each command needs: tests drive a browser and a Redis server, and the
// benchmark runs the PyTorch reference trainer. libdnnl-dev adds the headers of the oneDNN
// that Debian's libtorch already loads, for the addon's Winograd convolutions.
const profiles = {
  start: ['libtorch-dev', 'libdnnl-dev', 'libopenblas0-openmp'],
  test: ['libtorch-dev', 'libdnnl-dev', 'libopenblas0-openmp', 'chromium', 'redis-server'],
  bench: ['libtorch-dev', 'libdnnl-dev', 'libopenblas0-openmp', 'python3-torch'],
};

function log(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`setup: error: ${message}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) return { ok: false, reason: result.error.message };
  return { ok: result.status === 0, reason: `exit code ${result.status}` };
}

function hashFiles(files, extra = []) {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(relative(root, file));
    hash.update(readFileSync(file));
  }
  for (const value of extra) hash.update(String(value));
  return hash.digest('hex');
}

function listFiles(dir, keep = () => true) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path, keep);
    return keep(path) ? [path] : [];
  });
}

function readStamp(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function aptListsAreStale() {
  if (!existsSync(aptListsDir)) return true;
  const lists = readdirSync(aptListsDir).filter((name) => name.includes('_Packages'));
  if (lists.length === 0) return true;
  const newest = Math.max(...lists.map((name) => statSync(join(aptListsDir, name)).mtimeMs));
  return Date.now() - newest > aptListsMaxAgeMs;
}

function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (aptListsAreStale()) {
    log('apt package lists are empty or older than a day: apt-get update');
    run('apt-get', ['update'], { env });
  }
  let result = run('apt-get', ['install', '-y', ...packages], { env });
  if (!result.ok) {
    log('apt-get install failed; refreshing the package lists and trying once more');
    run('apt-get', ['update'], { env });
    result = run('apt-get', ['install', '-y', ...packages], { env });
  }
  if (!result.ok) fail(`apt-get install -y ${packages.join(' ')} failed (${result.reason})`);
}

function ensureSystemPackages(profile) {
  const layout = libtorchLayout();
  let wanted = profiles[profile];
  if (layout.root) {
    if (libtorchHeaderVersion(layout) === null) {
      fail(`LIBTORCH=${layout.root} does not contain libtorch headers (include/torch/...)`);
    }
    wanted = wanted.filter((name) => name !== 'libtorch-dev' && name !== 'libdnnl-dev');
  }
  const missing = wanted.filter((name) => !existsSync(packageFiles[name]));
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages: ${missing.join(', ')}. As root, run:\n  ${command}`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  aptInstall(missing);
}

// libtorch from Debian calls the system BLAS (libblas.so.3) for linear layers; the
// reference BLAS behind that name is about 15x slower than OpenBLAS there.
function checkBlas() {
  if (libtorchLayout().root) return;
  const link = `${libDir}/libblas.so.3`;
  let target;
  try {
    target = realpathSync(link);
  } catch {
    log(`WARNING: ${link} is missing; libtorch will not load without a BLAS`);
    return;
  }
  if (target.includes('openblas')) return;
  const banner = '!'.repeat(78);
  log(banner);
  log(`WARNING: ${link} resolves to ${target}, which is not OpenBLAS.`);
  log('Linear layers will run about 15x slower. Switch with, as root:');
  log('  apt-get install -y libopenblas0-openmp');
  log(
    `  update-alternatives --set libblas.so.3-${multiarch} ${libDir}/openblas-openmp/libblas.so.3`,
  );
  log(banner);
}

function ensureNodeModules() {
  const lockFiles = [join(root, 'package.json'), join(root, 'package-lock.json')];
  const stampPath = join(root, 'node_modules', '.isbe-lock-sha256');
  const hash = hashFiles(lockFiles);
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === hash) return;
  log('installing npm packages (npm ci)');
  const result = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (!result.ok) fail(`npm ci failed (${result.reason})`);
  writeFileSync(stampPath, hash);
}

function cpuSignature() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return [/model name\s*:(.*)/, /flags\s*:(.*)/].map((re) => re.exec(info)?.[1] ?? '').join('|');
  } catch {
    return process.arch;
  }
}

// Node's own headers (Debian and the official tarballs install them beside the binary), so
// that node-gyp does not try to download them; the machine may have no internet access.
function nodeHeadersFlag() {
  const prefix = dirname(dirname(process.execPath));
  const found = existsSync(join(prefix, 'include', 'node', 'node_api.h'));
  return found ? [`--nodedir=${prefix}`] : [];
}

function ensureAddon(force) {
  const layout = libtorchLayout();
  const torchVersion = libtorchHeaderVersion(layout);
  const sources = [
    ...listFiles(join(root, 'native')),
    join(root, 'binding.gyp'),
    join(root, 'scripts', 'libtorch.mjs'),
  ];
  // The addon is compiled for this CPU (-march=native), so another CPU model rebuilds it.
  const hash = hashFiles(sources, [process.version, layout.root, torchVersion, cpuSignature()]);
  const stampPath = join(root, 'build', 'isbe-build.json');
  const addonPath = join(root, 'build', 'Release', 'isbe.node');
  if (!force && existsSync(addonPath) && readStamp(stampPath)?.hash === hash) return;
  log(`building the native addon against libtorch ${torchVersion} (about a minute)`);
  rmSync(stampPath, { force: true });
  const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const result = run(process.execPath, [nodeGyp, 'rebuild', '-j', '2', ...nodeHeadersFlag()]);
  if (!result.ok) fail(`the native build failed (${result.reason}); see the compiler output above`);
  mkdirSync(dirname(stampPath), { recursive: true });
  const stamp = { hash, libtorch: layout.root, torchVersion };
  writeFileSync(stampPath, JSON.stringify(stamp, null, 2));
}

function ensureTypeScript(force) {
  const isSource = (path) => path.endsWith('.ts');
  const sources = ['src', 'test', 'bench', 'examples'].flatMap((dir) =>
    listFiles(join(root, dir), isSource),
  );
  const hash = hashFiles([...sources, join(root, 'tsconfig.json')]);
  const stampPath = join(root, 'dist', '.isbe-sources-sha256');
  if (!force && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === hash) return;
  log('compiling TypeScript');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = run(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')]);
  if (!result.ok) fail(`TypeScript compilation failed (${result.reason})`);
  writeFileSync(stampPath, hash);
}

// One set-up at a time per checkout: a second one (another terminal, a parallel test run)
// waits, because two native builds or npm installs in one tree corrupt each other. The
// lock is a folder holding the owner's pid; a lock whose owner died is taken over.
const lockDir = join(root, '.setup.lock');

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function acquireLock() {
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const owner = Number(readStamp(join(lockDir, 'pid')) ?? Number.NaN);
    if (Number.isInteger(owner) && !processAlive(owner)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced) log(`waiting for another set-up (pid ${owner}) to finish`);
    announced = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

function releaseLock() {
  rmSync(lockDir, { recursive: true, force: true });
}

function main() {
  const { values } = parseArgs({
    options: {
      for: { type: 'string', default: 'start' },
      'force-build': { type: 'boolean', default: false },
    },
  });
  const profile = values.for;
  if (!(profile in profiles)) fail(`--for must be start, test or bench, got ${profile}`);
  if (process.platform !== 'linux' || !multiarch) {
    fail(`isbe supports Linux on x64 and arm64; this is ${process.platform} ${process.arch}`);
  }
  acquireLock();
  process.on('exit', releaseLock);
  ensureSystemPackages(profile);
  checkBlas();
  ensureNodeModules();
  ensureAddon(values['force-build']);
  ensureTypeScript(values['force-build']);
}

main();
