#!/bin/sh
# Regenerates the golden outputs of the compiler tests after an intended
# change to actrc's output:  sh tests/compiler/regen.sh [BUILD]
# (BUILD defaults to "build"; actrc is built first). Review the diff.
set -e
cd "$(dirname "$0")/../.."
build=${1:-build}
make -s BUILD="$build" "$build/actrc"
for f in $(cat tests/compiler/golden/INPUTS); do
    "$build/actrc" -R idl -o tests/compiler/golden "$f"
done
git status --short tests/compiler/golden
