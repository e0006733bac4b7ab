#!/bin/sh
# Installed as /usr/bin/focusd and /usr/bin/focus: runs the program of the same name from the
# shared module, found relative to this script, so an extracted package tree works as well as the
# installed one (/usr/bin -> /usr/lib/rockit-atlas-ts).
here=$(dirname "$(readlink -f "$0")")
exec node "$here/../lib/rockit-atlas-ts/bin/$(basename "$0")" "$@"
