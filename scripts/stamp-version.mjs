#!/usr/bin/env node
// Writes src/generated/version.ts: the one version focusd, focus and atlas-sim print (`--version`)
// and focusd logs at start. FOCUSD_VERSION sets it (packaging/build-rpms.sh passes the RPM's
// version, so the programs say what `rpm -q` says); otherwise it is package.json's version with the
// git commit it was built from (`0.1.0+git.6ef108b`, `.dirty` when the tree had changes).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function git(args) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function buildVersion(env = process.env) {
  const given = (env.FOCUSD_VERSION ?? '').trim();
  if (given !== '') return given;
  const base = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const commit = git(['rev-parse', '--short', 'HEAD']);
  if (commit === null) return base;
  const dirty = (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  return `${base}+git.${commit}${dirty ? '.dirty' : ''}`;
}

export function stampVersion(env = process.env) {
  const version = buildVersion(env);
  const dir = join(root, 'src', 'generated');
  mkdirSync(dir, { recursive: true });
  const text = `// Written by scripts/stamp-version.mjs at build time; not in git.\nexport const VERSION = ${JSON.stringify(version)};\n`;
  const file = join(dir, 'version.ts');
  let current = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // first build
  }
  // Unchanged text keeps the file's time, so tsc's incremental state and editors see no change.
  if (current !== text) writeFileSync(file, text);
  return version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`version ${stampVersion()}`);
