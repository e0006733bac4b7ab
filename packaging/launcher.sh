#!/bin/sh
# Installed as /usr/bin/focusd and /usr/bin/focus: runs the program of the same name from the
# shared module, found relative to this script's real location (/usr/bin -> /usr/lib/rockit-atlas-ts),
# so a package tree extracted under another root runs as well as the installed one. The Node.js is
# the one installed beside it (/usr/bin/node from the nodejs package the RPMs require), else the
# first `node` on PATH (an extracted tree has none of its own).
here=$(dirname "$(readlink -f "$0")")
node=$here/node
[ -x "$node" ] || node=node
exec "$node" "$here/../lib/rockit-atlas-ts/bin/$(basename "$0")" "$@"
