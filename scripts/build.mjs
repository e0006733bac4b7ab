#!/usr/bin/env node
// `npm run build`: everything the programs and the tests run from.
//   1. the config and phone book validators, compiled ahead of time (scripts/build-validators.mts),
//      and the version the programs print (scripts/stamp-version.mjs: FOCUSD_VERSION, or package.json's
//      version and the git commit)
//   2. the TypeScript compiler: dist/ (the modules the tests import)
//   3. one bundle per program with esbuild: dist/bundle/{focus,focusd,atlas-sim}.mjs, which bin/
//      runs and the RPMs ship. A bundle is one file, so a program's start-up reads one module
//      instead of resolving and compiling a few hundred; `usb` (a native binding) stays outside.
//
//   node scripts/build.mjs                   all three
//   node scripts/build.mjs --bundle-to DIR   only 1 and 3, the bundles written to DIR (packaging)
//   ... --sourcemap                          with source maps beside the bundles (the benchmarks' profiles)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { stampVersion } from './stamp-version.mjs';

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
  const result = await build({
    metafile: true,
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
    // Bundled CommonJS dependencies (commander, pino) call require() for Node's own modules, and
    // some of their code (pino's transports) reads __dirname: both exist in a CommonJS module only.
    banner: {
      js: [
        "import { createRequire as __focusdRequire } from 'node:module';",
        "import { fileURLToPath as __focusdPath } from 'node:url';",
        "import { dirname as __focusdDirname } from 'node:path';",
        'const require = __focusdRequire(import.meta.url);',
        'const __filename = __focusdPath(import.meta.url);',
        'const __dirname = __focusdDirname(__filename);',
      ].join(' '),
    },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'eof',
    sourcemap: sourcemap ? 'external' : false,
    logLevel: 'warning',
  });
  writeLicenses(result.metafile, join(outdir, 'THIRD_PARTY_LICENSES.txt'));
}

/**
 * The bundles carry other people's code: every package that went into one is named here with its
 * version and licence text, shipped beside the bundles (the RPM's common package carries it).
 */
function writeLicenses(metafile, file) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(input.slice(0, m.index + m[0].length - 1).replace(/^\.\//, ''));
  }
  const sections = [...packages].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = licenseFile ? readFileSync(join(root, dir, licenseFile), 'utf8').trim() : `License: ${pkg.license ?? 'see the package'} (no licence file in the package)`;
    return `${pkg.name} ${pkg.version} (${pkg.license ?? 'unknown'})\n${'-'.repeat(72)}\n${text}\n`;
  });
  writeFileSync(file, `Third-party code bundled into focus, focusd and atlas-sim\n\n${sections.join('\n')}`);
}

const to = process.argv.indexOf('--bundle-to');
run(process.execPath, [bin('tsx'), join(root, 'scripts', 'build-validators.mts')], 'generating the validators');
stampVersion();
if (to === -1) {
  // A fresh dist/: a source file deleted or moved must not leave its compiled test behind to run.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], 'the TypeScript compiler');
}
await bundle(to === -1 ? join(root, 'dist', 'bundle') : process.argv[to + 1], process.argv.includes('--sourcemap'));
