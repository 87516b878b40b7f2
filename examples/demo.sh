#!/bin/sh
# `make demo` before the ticker example is built: compile the README's IDL
# example with actrc and show what it generates.
set -e
build=${1:-build}
out=$build/demo
mkdir -p "$out"
sed -n '/^## An IDL example/,/^## /p' README.md | sed -n '/^```$/,/^```$/p' | sed '1d;$d' > "$out/ticker.actor"
echo "== actrc $out/ticker.actor"
"$build/actrc" -o "$out" "$out/ticker.actor"
echo "== generated $out/ticker.actor.h (types and codecs):"
grep -E '^(struct|typedef|static inline|ACTR_API)|^[a-z_]+\(' "$out/ticker.actor.h" | head -40
