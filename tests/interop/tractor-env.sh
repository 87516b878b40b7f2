#!/bin/sh
# Finds or builds the tractor environment that the interop suite
# (tests/interop) runs against, for `make interop` and `make check`.
#
#   tests/interop/tractor-env.sh BUILD_DIR
#
# On success prints the path of the environment's env.sh (which exports
# PY313 and TRACTOR_PYTHONPATH) and exits 0. Otherwise prints one line
# saying why there is none and exits 1. In order:
#   1. $ACTR_TRACTOR_ENV: a directory made by tractor-env/setup.sh;
#   2. BUILD_DIR/tractor-env, built (about 10 s) from ../shared/tractor-env
#      beside the repository, or $ACTR_TRACTOR_SRC, when it is missing or
#      older than those sources. Building needs CPython 3.13 with its
#      headers ($PY313, pyenv's 3.13.x under $PYENV_ROOT, $HOME/.pyenv or
#      /root/.pyenv, or python3.13 on PATH) and gcc.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: tractor-env.sh BUILD_DIR}

if [ -n "${ACTR_TRACTOR_ENV:-}" ]; then
    if [ -f "$ACTR_TRACTOR_ENV/env.sh" ]; then
        echo "$(cd "$ACTR_TRACTOR_ENV" && pwd)/env.sh"
        exit 0
    fi
    echo "ACTR_TRACTOR_ENV=$ACTR_TRACTOR_ENV has no env.sh (make it with tractor-env/setup.sh DIR)"
    exit 1
fi

src=${ACTR_TRACTOR_SRC:-$top/../shared/tractor-env}
if [ ! -f "$src/setup.sh" ]; then
    echo "no tractor environment: set ACTR_TRACTOR_ENV, or put tractor-env/ at $src"
    exit 1
fi
src=$(cd "$src" && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
dir=$build/tractor-env
stale=no
if [ -f "$dir/env.sh" ] && [ -f "$dir/.ok" ]; then
    for f in "$src"/setup.sh "$src"/*.tar.xz; do
        [ "$f" -nt "$dir/.ok" ] && stale=yes
    done
    if [ $stale = no ]; then
        echo "$dir/env.sh"
        exit 0
    fi
fi
# setup.sh looks for CPython 3.13 as $PY313, under $HOME/.pyenv or on
# PATH; also try the usual pyenv roots when HOME is unset or elsewhere.
if [ -z "${PY313:-}" ]; then
    for c in "${PYENV_ROOT:-${HOME:-/nonexistent}/.pyenv}"/versions/3.13*/bin/python3 \
             /root/.pyenv/versions/3.13*/bin/python3; do
        if [ -x "$c" ]; then
            PY313=$c
            export PY313
            break
        fi
    done
fi
rm -rf "$dir"
mkdir -p "$build"
log=$build/tractor-env.log
if ! bash "$src/setup.sh" "$dir" >"$log" 2>&1; then
    rm -rf "$dir"
    echo "cannot build the tractor environment from $src: $(tail -n 1 "$log")"
    exit 1
fi
touch "$dir/.ok"
echo "$dir/env.sh"
