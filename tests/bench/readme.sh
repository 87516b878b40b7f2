#!/bin/sh
# tests/bench/readme.sh OUTDIR: publishes the results of a `make bench` run
# (OUTDIR = BUILD/bench): copies results.md and results.png into
# tests/bench/ and rewrites the actor table of README.md between its
# "bench-table" markers from OUTDIR/records.txt, and, when the run had the
# peers (make bench-peers), the side-by-side table between its
# "peers-table" markers. Run by `make bench-readme`.
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
function num(x) { return (x == "null" || x == "") ? "-" : (x + 0 >= 1000 ? sprintf("%.0f", x) : sprintf("%.3g", x)) }
BEGIN {
    n = split("actor_call|1 call via typed stub, median|<= 1.1x ev, <= 0.6x gRPC, < ZeroMQ;" \
              "actor_call_p99|1 call via typed stub, p99|;" \
              "actor_session|2 context open+started+result|;" \
              "actor_stream|3 one-way stream|>= 75% of ev stream, ahead of ZeroMQ;" \
              "actor_echo|4 bidirectional echo|>= 2x gRPC bidi echo;" \
              "actor_spawn_first_call|5 spawn to first answered call|< 3 ms;" \
              "actor_spawn_cycle|5 spawn full cycle (teardown, reap)|;" \
              "actor_call_ctx10000|6 call with 10,000 contexts open|<= 1.2x the 1-context call;" \
              "actor_tree100|6 100-actor tree, each called once|;" \
              "actor_idle_child_rss|7 idle child RSS|< 4 MiB;" \
              "actor_ctx_mem_callee|7 memory per open context (callee)|;" \
              "actor_cancel|8 cancel on a flooding stream|;" \
              "actor_bulk_call_64k|9 call with a 64 KiB bytes argument|>= 80% of a raw socket;" \
              "actor_bulk_call_1m|9 call with a 1 MiB bytes argument|>= 80% of a raw socket;" \
              "actor_bulk_stream_64k|9 stream of 64 KiB bytes payloads|>= 80% of a raw socket;" \
              "actor_bulk_stream_1m|9 stream of 1 MiB bytes payloads|>= 80% of a raw socket;" \
              "actor_fanout100|10 one actor streaming to 100 actors (aggregate)|;" \
              "actor_pairs|10 K = CPUs independent pairs streaming (aggregate)|scales with the cores", rows, ";")
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

# The peers side by side (make bench-peers): each figure peers.map names,
# per transport and mode, next to libev + msgpack (its baseline), ZeroMQ
# and gRPC of the same run. Only when the run had peers; else the README
# keeps the table it has.
awk '
function num(x) { return (x == "null" || x == "") ? "-" : (x + 0 >= 1000 ? sprintf("%.0f", x) : sprintf("%.3g", x)) }
function rel(x) { return (x == "null" || x == "") ? "-" : sprintf("%.2fx", x) }
BEGIN {
    n = split("actor_call|call round trip;actor_call_p99|call round trip, p99;" \
              "actor_stream|one-way stream;actor_echo|echo on a stream", rows, ";")
}
{ k = $3 SUBSEP $11; rec[k] = $0; if ($14 != "null" || $17 != "null") any = 1 }
END {
    if (!any) exit 1
    print "| figure | transport | mode | actr | libev + msgpack | ZeroMQ | gRPC | vs libev | vs ZeroMQ | vs gRPC |"
    print "|---|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) {
        split(rows[i], r, "|")
        for (t = 1; t <= 2; t++) for (m = 1; m <= 2; m++) {
            tp = t == 1 ? "tcp" : "unix"; md = m == 1 ? "pinned" : "unpinned"
            k = r[1] "_" tp SUBSEP md
            if (!(k in rec)) continue
            split(rec[k], f, " ")
            zn = f[13] == "-" ? "" : " (" f[13] ")"; gn = f[16] == "-" ? "" : " (" f[16] ")"
            printf "| %s | %s | %s | %s %s | %s | %s | %s | %s | %s | %s |\n", r[2], tp, md, num(f[4]), \
                f[5], num(f[7]), f[13] == "-" ? "-" : num(f[14]), f[16] == "-" ? "-" : num(f[17]), \
                rel(f[12]), rel(f[15]), rel(f[18])
        }
    }
}' "$out/records.txt" > "$out/readme-peers.md" || rm -f "$out/readme-peers.md"

# Replaces the lines between markers $2 and $3 of file $1 with file $4.
splice() {
    awk -v table="$4" -v begin="$2" -v end="$3" '
    index($0, end) { skip = 0 }
    !skip { print }
    index($0, begin) { while ((getline l < table) > 0) print l; skip = 1 }
    ' "$1" > "$1.new" && grep -q "$2" "$1.new" && mv "$1.new" "$1"
}

awk -v table="$out/readme-table.md" '
/<!-- bench-table:end -->/ { skip = 0 }
!skip { print }
/<!-- bench-table:begin -->/ { while ((getline l < table) > 0) print l; skip = 1 }
' "$readme" > "$out/README.md"
grep -q "bench-table:begin" "$out/README.md" || { echo "readme.sh: README.md has no bench-table markers" >&2; exit 1; }
if [ -f "$out/readme-peers.md" ]; then
    splice "$out/README.md" "<!-- peers-table:begin -->" "<!-- peers-table:end -->" \
        "$out/readme-peers.md" || { echo "readme.sh: README.md has no peers-table markers" >&2; exit 1; }
fi
cp "$out/README.md" "$readme"
echo "wrote $here/results.md, $here/results.png and the table of README.md"
