#!/usr/bin/env node
// `npm run build`: everything the programs and the tests run from.
//   1. the config and phone book validators, compiled ahead of time (scripts/build-validators.mts)
//   2. the TypeScript compiler: dist/ (the modules the tests import)
//   3. one bundle per program with esbuild: dist/bundle/{focus,focusd,atlas-sim}.mjs, which bin/
//      runs and the RPMs ship. A bundle is one file, so a program's start-up reads one module
//      instead of resolving and compiling a few hundred; `usb` (a native binding) stays outside.
//
//   node scripts/build.mjs                   all three
//   node scripts/build.mjs --bundle-to DIR   only 1 and 3, the bundles written to DIR (packaging)
//   ... --sourcemap                          with source maps beside the bundles (the benchmarks' profiles)
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);

const PROGRAMS = { focus: 'src/cli/focus.ts', focusd: 'src/cli/focusd.ts', 'atlas-sim': 'src/cli/atlas-sim.ts' };

function run(command, args, what) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`build: ${what} failed${r.error ? ` (${r.error.message}; run npm ci first)` : ''}`);
    process.exit(1);
  }
}

/** Bundles each program into `outdir`/<name>.mjs. */
async function bundle(outdir, sourcemap) {
  mkdirSync(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(PROGRAMS).map(([name, file]) => [name, join(root, file)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The USB binding is native code, loaded only when real hardware is asked for.
    external: ['usb'],
    // Bundled CommonJS dependencies (commander, pino) call require() for Node's own modules.
    banner: { js: "import { createRequire as __focusdRequire } from 'node:module'; const require = __focusdRequire(import.meta.url);" },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'eof',
    sourcemap: sourcemap ? 'external' : false,
    logLevel: 'warning',
  });
}

const to = process.argv.indexOf('--bundle-to');
run(process.execPath, [bin('tsx'), join(root, 'scripts', 'build-validators.mts')], 'generating the validators');
if (to === -1) run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], 'the TypeScript compiler');
await bundle(to === -1 ? join(root, 'dist', 'bundle') : process.argv[to + 1], process.argv.includes('--sourcemap'));
