#!/bin/sh
# tests/bench/run.sh BUILD BIN...: runs every benchmark binary, prints
# their `bench <name> <value> <unit> baseline <name> <value> ratio <r>`
# lines and writes them all to tests/bench/results.json.
set -u
build=${1:?usage: run.sh BUILD BIN...}
shift
here=$(dirname "$0")
out="$here/results.json"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
status=0
for bin in "$@"; do
    name=$(basename "$bin")
    echo "== $name"
    if ! "$bin" > "$tmp.one"; then
        echo "run.sh: $name failed" >&2
        status=1
    fi
    grep '^bench ' "$tmp.one" | while read -r line; do
        echo "$line"
        echo "$name $line" >> "$tmp"
    done
    rm -f "$tmp.one"
done
awk -v build="$build" -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -v host="$(uname -srm)" '
BEGIN { printf "{\n  \"generated\": \"%s\",\n  \"build\": \"%s\",\n  \"host\": \"%s\",\n  \"results\": [", date, build, host; n = 0 }
# fields: bin bench name value unit baseline bname bvalue ratio r
$2 == "bench" && NF >= 10 {
    printf "%s\n    {\"bin\": \"%s\", \"name\": \"%s\", \"value\": %s, \"unit\": \"%s\", \"baseline\": {\"name\": \"%s\", \"value\": %s}, \"ratio\": %s}", (n++ ? "," : ""), $1, $3, $4, $5, $7, $8, $10
}
END { printf "\n  ]\n}\n" }' "$tmp" > "$out"
echo "wrote $out"
exit $status
