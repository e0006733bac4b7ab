#!/usr/bin/env node
// Builds the native pieces of the USB referee tests (`npm run build:native`; npm test runs it too):
//   build/usb-shim/libusb-1.0.so.0   the libusb-1.0 stand-in that puts atlas-sim on the bus
//   build/referee/fli-harness        drives a focuser through FLI's libfli2
//   build/referee/usb-probe          a plain libusb-1.0 program, for testing the stand-in itself
// Needs a C compiler and the libusb-1.0-0-dev and libfli-dev headers (scripts/prerequisites.mjs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const CC = process.env.CC ?? 'cc';
const WARNINGS = ['-Wall', '-Wextra', '-Werror'];

const targets = [
  {
    out: 'build/usb-shim/libusb-1.0.so.0',
    sources: ['native/usb-shim/usb-shim.c'],
    flags: ['-shared', '-fPIC', '-O2', '-fvisibility=hidden', '-Wl,-soname,libusb-1.0.so.0', '-pthread'],
  },
  { out: 'build/referee/fli-harness', sources: ['native/referee/fli-harness.c'], flags: ['-O2'], libs: ['-lfli'] },
  { out: 'build/referee/usb-probe', sources: ['native/referee/usb-probe.c'], flags: ['-O2'], libs: ['-lusb-1.0'] },
];

const mtime = (path) => {
  try {
    return statSync(join(root, path)).mtimeMs;
  } catch {
    return -1;
  }
};

for (const t of targets) {
  if (mtime(t.out) > Math.max(...t.sources.map(mtime), mtime('scripts/build-native.mjs'))) continue;
  mkdirSync(join(root, t.out, '..'), { recursive: true });
  const args = [...WARNINGS, ...t.flags, '-o', t.out, ...t.sources, ...(t.libs ?? [])];
  const r = spawnSync(CC, args, { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`build-native: ${CC} ${args.join(' ')} ${r.error ? `could not run (${r.error.message})` : 'failed'}`);
    process.exit(1);
  }
  console.log(`build-native: ${t.out}`);
}

// The stand-in promises every function of the installed libusb-1.0 API, so that any program links
// against it: a newer libusb header with a function the stand-in lacks must stop the build.
const header = readFileSync('/usr/include/libusb-1.0/libusb.h', 'utf8');
const declared = new Set([...header.matchAll(/LIBUSB_CALL\s+(libusb_\w+)\s*\(/g)].map((m) => m[1]));
const nm = spawnSync('nm', ['-D', '--defined-only', join(root, 'build', 'usb-shim', 'libusb-1.0.so.0')], { encoding: 'utf8' });
if (nm.status !== 0) {
  console.error(`build-native: nm could not read the stand-in: ${nm.stderr || nm.error?.message}`);
  process.exit(1);
}
const defined = new Set([...nm.stdout.matchAll(/ T (libusb_\w+)$/gm)].map((m) => m[1]));
const missing = [...declared].filter((name) => !defined.has(name));
if (missing.length > 0) {
  console.error(`build-native: the libusb stand-in lacks ${missing.join(', ')} from /usr/include/libusb-1.0/libusb.h: add them (a NOT_SUPPORTED stub will do)`);
  process.exit(1);
}
