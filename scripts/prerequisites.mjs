#!/usr/bin/env node
// What the test suite needs beyond Node.js and npm, checked by what it can do (a command on PATH,
// a header, a library, a Python module) and named by the Debian/Ubuntu package that provides it.
//
//   node scripts/prerequisites.mjs            lists what is missing; exit 1 if anything is
//   node scripts/prerequisites.mjs --install  installs what is missing with apt-get (sudo when not root)
//
// scripts/run-tests.mjs runs the same check before anything else, so `npm test` on a machine without
// them stops at once with the list and the one command that installs them.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Debian's interpreter, which has python3-pyro4 4.82 and python3-serpent 1.41 (test/helpers/python.ts). */
export const testPython = (env = process.env) => env.FOCUSD_TEST_PYTHON ?? '/usr/bin/python3';

const PYRO4 = '4.82';
const SERPENT = '1.41';
const PROBE_TIMEOUT_MS = 10_000;

// Administration tools (ip) live in the sbin directories, which a user's PATH often leaves out.
const SBIN = ['/usr/sbin', '/sbin'];

function onPath(command, env) {
  for (const dir of [...(env.PATH ?? '').split(delimiter), ...SBIN]) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

const INCLUDE_DIRS = ['/usr/include', '/usr/local/include'];
const hasHeader = (name) => INCLUDE_DIRS.some((dir) => existsSync(join(dir, name)));

function libraryDirs() {
  const dirs = ['/lib', '/usr/lib', '/usr/local/lib', '/lib64', '/usr/lib64'];
  for (const base of ['/lib', '/usr/lib']) {
    try {
      for (const name of readdirSync(base)) if (name.endsWith('-linux-gnu')) dirs.push(join(base, name));
    } catch {
      // no such directory
    }
  }
  return dirs;
}
const hasLibrary = (name) => libraryDirs().some((dir) => existsSync(join(dir, name)));

function pythonProblem(env) {
  const python = testPython(env);
  const r = spawnSync(python, ['-c', 'import Pyro4, serpent; print(Pyro4.__version__, serpent.__version__)'], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    env,
  });
  if (r.error?.code === 'ENOENT') return `${python} does not exist`;
  if (r.error) return `${python} did not answer (${r.error.message})`;
  if (r.status !== 0) {
    const last = (r.stderr ?? '').trim().split('\n').pop() ?? '';
    return `${python} cannot import Pyro4 and serpent${last ? ` (${last})` : ''}`;
  }
  const [pyro, serpent] = r.stdout.trim().split(' ');
  if (pyro !== PYRO4 || serpent !== SERPENT) {
    return `${python} has Pyro4 ${pyro} and serpent ${serpent}; the tests are judged by Pyro4 ${PYRO4} and serpent ${SERPENT}`;
  }
  return null;
}

/** As root `unshare --net` works anywhere; as a user it needs unprivileged user namespaces. */
function namespaceProblem(env) {
  if (!onPath('unshare', env)) return 'unshare is not on PATH';
  const args = isRoot() ? ['--net', 'true'] : ['--map-root-user', '--net', 'true'];
  const r = spawnSync('unshare', args, { env: { ...env, PATH: `${env.PATH ?? ''}${delimiter}/usr/bin${delimiter}/bin` }, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' });
  if (r.status === 0) return null;
  return isRoot()
    ? `unshare --net fails (${(r.stderr ?? '').trim() || r.error?.message})`
    : `this user cannot make a network namespace (unshare --map-root-user --net: ${(r.stderr ?? '').trim() || r.error?.message}); run the tests as root or allow unprivileged user namespaces`;
}

/**
 * Each requirement: the packages that provide it, what it is for, and a check returning null when it
 * is there or the reason it is not.
 */
export const REQUIREMENTS = [
  {
    packages: ['python3-pyro4', 'python3-serpent'],
    purpose: 'the interop tests: the real Pyro4 library is the judge',
    problem: pythonProblem,
  },
  ...[
    ['rpm', 'rpmbuild', 'the packaging tests build the RPMs'],
    ['rpm2cpio', 'rpm2cpio', 'the packaging tests unpack the RPMs'],
    ['cpio', 'cpio', 'the packaging tests unpack the RPMs'],
    ['systemd', 'systemd-analyze', 'the packaging tests verify the unit'],
    ['bsdutils', 'script', 'the CLI tests run focus on a terminal'],
    ['gcc', 'cc', 'the USB referee tests build the libusb stand-in'],
    ['indi-fli', 'indi_fli_focus', "the USB referee tests run INDI's FLI focuser driver"],
    ['indi-bin', 'indiserver', 'the USB referee tests run INDI'],
    ['indi-bin', 'indi_getprop', 'the USB referee tests run INDI'],
    ['indi-bin', 'indi_setprop', 'the USB referee tests run INDI'],
    ['indi-bin', 'indi_eval', "the INDI tests judge focusd --indi with INDI's own clients"],
    ['indi-bin', 'indi_simulator_focus', "the INDI tests compare focusd's properties with INDI's focuser simulator"],
    ['iproute2', 'ip', 'the INDI referee runs indiserver in a network namespace of its own'],
    ['mmdebstrap', 'mmdebstrap', 'the system test makes a Debian root to boot (cached under /var/tmp)'],
    ['systemd-container', 'systemd-nspawn', 'the system test boots systemd in a container and installs the RPMs there'],
    ['util-linux', 'nsenter', 'the system test runs commands inside the booted container'],
  ].map(([pkg, command, purpose]) => ({
    packages: [pkg],
    purpose,
    problem: (env) => (onPath(command, env) ? null : `${command} is not on PATH`),
  })),
  {
    packages: ['util-linux'],
    purpose: 'the INDI referee runs indiserver in a network namespace of its own',
    problem: namespaceProblem,
  },
  {
    packages: ['libusb-1.0-0-dev'],
    purpose: 'the USB referee tests build the libusb stand-in against its header',
    problem: () => (hasHeader('libusb-1.0/libusb.h') ? null : 'libusb-1.0/libusb.h is not installed'),
  },
  {
    packages: ['libfli-dev'],
    purpose: "the USB referee tests drive FLI's SDK",
    problem: () => (hasHeader('libfli.h') ? null : 'libfli.h is not installed'),
  },
  {
    packages: ['libfli2'],
    purpose: "the USB referee tests drive FLI's SDK",
    problem: () => (hasLibrary('libfli.so.2') ? null : 'libfli.so.2 is not installed'),
  },
];

/** The requirements that are not met: `{ packages, purpose, reason }` each. */
export function missingPrerequisites(env = process.env) {
  const missing = [];
  for (const r of REQUIREMENTS) {
    const reason = r.problem(env);
    if (reason !== null) missing.push({ packages: r.packages, purpose: r.purpose, reason });
  }
  return missing;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const packagesOf = (missing) => [...new Set(missing.flatMap((m) => m.packages))];

/** The one command that installs `missing`. */
export function installCommand(missing) {
  return `${isRoot() ? '' : 'sudo '}apt-get install -y ${packagesOf(missing).join(' ')}`;
}

/** A report of what is missing, for a person: each package, why it is needed, and the command. */
export function describeMissing(missing) {
  const lines = ['missing what the tests need (no test was run):'];
  for (const m of missing) lines.push(`  ${m.packages.join(', ')}: ${m.reason} (${m.purpose})`);
  lines.push('install them with:', `  ${installCommand(missing)}`);
  lines.push('or run `npm run test:all`, which installs them (apt-get) and then runs the tests.');
  return lines.join('\n');
}

function run(command, args) {
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) throw new Error(`${command}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${[command, ...args].join(' ')} exited with ${r.status ?? r.signal}`);
}

/** Installs whatever is missing with apt-get (through sudo when not root); returns what it installed. */
export function installMissing() {
  const missing = missingPrerequisites();
  if (missing.length === 0) return [];
  const packages = packagesOf(missing);
  if (!onPath('apt-get', process.env)) {
    throw new Error(`apt-get is not available: install ${packages.join(' ')} with this system's package manager`);
  }
  // sudo resets the environment: the non-interactive front end is given on its command line.
  const asRoot = (args) => (isRoot() ? run('apt-get', args) : run('sudo', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]));
  if (!isRoot() && !onPath('sudo', process.env)) throw new Error(`not root and no sudo: as root, run apt-get install -y ${packages.join(' ')}`);
  console.log(`prerequisites: installing ${packages.join(' ')}`);
  asRoot(['update', '-qq']);
  asRoot(['install', '-y', '-qq', ...packages]);
  const still = missingPrerequisites();
  if (still.length > 0) throw new Error(`still missing after apt-get install:\n${describeMissing(still)}`);
  return packages;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    if (process.argv.includes('--install')) {
      const installed = installMissing();
      console.log(installed.length > 0 ? `prerequisites: installed ${installed.join(' ')}` : 'prerequisites: all present');
    } else {
      const missing = missingPrerequisites();
      if (missing.length > 0) {
        console.error(describeMissing(missing));
        process.exit(1);
      }
      console.log('prerequisites: all present');
    }
  } catch (e) {
    console.error(`prerequisites: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
