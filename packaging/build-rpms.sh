#!/usr/bin/env bash
# Builds the four RPMs (server, client, common, data-warwick) with rpmbuild, as upstream's Makefile
# does: version = UTC build date. The shared module is staged with production dependencies only
# (`npm ci --omit=dev`), so the packages need nothing but Node.js >= 20.
#   RPM_OUT      where the .rpm files go (default: ./rpms)
#   RPM_VERSION  version to stamp (default: date --utc +%Y%m%d%H%M%S)
#   SKIP_BUILD=1 use the existing dist/ instead of running `npm run build`
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${RPM_OUT:-$root/rpms}
version=${RPM_VERSION:-$(date --utc +%Y%m%d%H%M%S)}
work=$(mktemp -d "${TMPDIR:-/tmp}/focusd-rpm-XXXXXX")
trap 'rm -rf "$work"' EXIT

cd "$root"
[ "${SKIP_BUILD:-}" = 1 ] || npm run build --silent

sources=$work/SOURCES
module=$sources/module
mkdir -p "$module/dist" "$module/config" "$out"
cp package.json package-lock.json "$module/"
cp -r dist/src "$module/dist/src"
find "$module/dist" -name '*.map' -delete
cp -r bin "$module/bin"
cp config/phonebook.json "$module/config/"
(cd "$module" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --silent)

cp packaging/launcher.sh systemd/focusd@.service systemd/60-focusd-atlas.rules README.md config/warwick.json "$sources/"
cp completion/focus "$sources/completion-focus"

rpmbuild --quiet \
  --define "_topdir $work" \
  --define "_sourcedir $sources" \
  --define "_rpmdir $work/RPMS" \
  --define "_version $version" \
  --define "_binary_payload w9.gzdio" \
  -bb packaging/rockit-atlas-ts.spec
find "$work/RPMS" -name '*.rpm' -exec mv {} "$out/" \;
ls -1 "$out"/rockit-atlas-ts-*"$version"*.rpm
