#!/usr/bin/env bash
# Builds the four RPMs (server, client, common, data-warwick) with rpmbuild, as upstream's Makefile
# does: version = UTC build date. The shared module is staged from fresh bundles of focus and focusd
# (scripts/build.mjs: one file each, the programs the benchmarks measure, no tests, benchmarks or
# source maps) with the one production dependency, the usb binding (`npm ci --omit=dev`), so the
# packages need nothing but Node.js >= 20.
#   RPM_OUT      where the .rpm files go (default: ./rpms)
#   RPM_VERSION  version to stamp (default: date --utc +%Y%m%d%H%M%S); the programs print the same
#                (focusd --version, focus --version)
# Needs: node/npm with the dev dependencies installed (npm ci), rpmbuild (Rocky: rpm-build;
# Debian: rpm). The spec has no BuildRequires, so Debian's rpmbuild needs no --nodeps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${RPM_OUT:-$root/rpms}
version=${RPM_VERSION:-$(date --utc +%Y%m%d%H%M%S)}
case $version in
  *[!0-9A-Za-z._+~]* | '') echo "build-rpms: bad RPM_VERSION '$version'" >&2; exit 2 ;;
esac
command -v rpmbuild >/dev/null || { echo "build-rpms: rpmbuild not found (install rpm-build, or rpm on Debian)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/focusd-rpm-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
out=$(cd "$out" && pwd)

cd "$root"
sources=$work/SOURCES
module=$sources/module
mkdir -p "$module/config" "$module/bin"
FOCUSD_VERSION=$version node scripts/build.mjs --bundle-to "$work/bundles"
mkdir -p "$module/dist/bundle"
for program in focus focusd; do
  cp "$work/bundles/$program.mjs" "$module/dist/bundle/"
  cp "bin/$program" "$module/bin/"
done
cp "$work/bundles/THIRD_PARTY_LICENSES.txt" "$module/dist/bundle/"
cp package.json package-lock.json "$module/"
cp config/phonebook.json "$module/config/"
# usb's native binding comes prebuilt in an optional dependency (@node-usb/usb-<platform>) that
# npm picks for this machine: no install scripts, no compiler.
(cd "$module" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --silent)

cp packaging/launcher.sh systemd/focusd@.service systemd/60-focusd-atlas.rules README.md config/warwick.json "$sources/"
cp completion/focus "$sources/completion-focus"

rpmbuild --quiet \
  --define "_topdir $work" \
  --define "_sourcedir $sources" \
  --define "_builddir $work/BUILD" \
  --define "_rpmdir $work/RPMS" \
  --define "_version $version" \
  --define "_binary_payload w9.gzdio" \
  -bb packaging/rockit-atlas-ts.spec
find "$work/RPMS" -name '*.rpm' -exec mv {} "$out/" \;
ls -1 "$out"/rockit-atlas-ts-*-"$version"-*.rpm
