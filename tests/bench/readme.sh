#!/bin/sh
# tests/bench/readme.sh OUTDIR: publishes the results of a `make bench` run
# (OUTDIR = BUILD/bench): copies results.md and results.png into
# tests/bench/ and rewrites the actor table of README.md between its
# "bench-table" markers from OUTDIR/records.txt. Run by `make bench-readme`.
set -eu
out=${1:?usage: readme.sh OUTDIR}
here=$(dirname "$0")
readme="$here/../../README.md"
for f in results.md results.png records.txt; do
    [ -f "$out/$f" ] || { echo "readme.sh: $out/$f is missing: run make bench first" >&2; exit 1; }
done
cp "$out/results.md" "$out/results.png" "$here/"

# One row per figure and transport: label, pinned and unpinned values with
# their unit, the pinned baseline, both ratios and the target.
awk '
function num(x) { return (x == "null" || x == "") ? "-" : sprintf("%.3g", x) }
BEGIN {
    n = split("actor_call|1 call via typed stub, median|<= 1.3x ev round trip;" \
              "actor_call_p99|1 call via typed stub, p99|;" \
              "actor_session|2 context open+started+result|;" \
              "actor_stream|3 one-way stream|>= 5 M/s unpinned, >= 40% of ev stream;" \
              "actor_echo|4 bidirectional echo|<= 1.3x ev round trip;" \
              "actor_spawn_first_call|5 spawn to first answered call|< 3 ms;" \
              "actor_spawn_cycle|5 spawn full cycle (teardown, reap)|;" \
              "actor_call_ctx10000|6 call with 10,000 contexts open|<= 1.2x the 1-context call;" \
              "actor_tree100|6 100-actor tree, each called once|;" \
              "actor_idle_child_rss|7 idle child RSS|< 4 MiB;" \
              "actor_ctx_mem_callee|7 memory per open context (callee)|;" \
              "actor_cancel|8 cancel on a flooding stream|", rows, ";")
}
{ k = $3 SUBSEP $11; val[k] = $4; unit[$3] = $5; bn[$3] = $6; bv[k] = $7; ratio[k] = $8 }
END {
    print "| figure | transport | pinned | unpinned | baseline (pinned) | ratio pinned / unpinned | target |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) {
        split(rows[i], r, "|")
        for (t = 1; t <= 2; t++) {
            tp = t == 1 ? "tcp" : "unix"; f = r[1] "_" tp
            p = f SUBSEP "pinned"; u = f SUBSEP "unpinned"
            if (!(p in val) && !(u in val)) continue
            base = bn[f] == "none" ? "-" : bn[f] " " num(bv[p])
            printf "| %s | %s | %s %s | %s %s | %s | %s / %s | %s |\n", r[2], tp, num(val[p]),
                unit[f], num(val[u]), unit[f], base, num(ratio[p]), num(ratio[u]), r[3]
        }
    }
}' "$out/records.txt" > "$out/readme-table.md"

awk -v table="$out/readme-table.md" '
/<!-- bench-table:end -->/ { skip = 0 }
!skip { print }
/<!-- bench-table:begin -->/ { while ((getline l < table) > 0) print l; skip = 1 }
' "$readme" > "$out/README.md"
grep -q "bench-table:begin" "$out/README.md" || { echo "readme.sh: README.md has no bench-table markers" >&2; exit 1; }
cp "$out/README.md" "$readme"
echo "wrote $here/results.md, $here/results.png and the table of README.md"
