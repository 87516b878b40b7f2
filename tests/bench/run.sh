#!/bin/sh
# tests/bench/run.sh OUTDIR BIN...: runs every benchmark binary twice, with
# all its processes pinned to one CPU ("pinned": stable) and unpinned
# (what users get), prints their lines
#   bench <name> <value> <unit> baseline <bname> <bvalue> ratio <r>
#         [min <min> max <max> mode <mode>]
# and writes, into OUTDIR (make bench: BUILD/bench, ignored by git):
#   results.json  every figure of both runs (value = median of repetitions)
#   results.md    one Markdown table, pinned and unpinned side by side
#   results.png   performance relative to the baseline per figure (gnuplot)
#   records.txt   the records the three are made of (tests/bench/readme.sh)
#
# A binary gets the mode as its first argument and in ACTR_BENCH_MODE (the
# CPU in ACTR_BENCH_CPU), and runs under taskset in pinned mode, so
# programs that ignore the argument are pinned all the same (their lines
# then have no min/max: null in the JSON). Environment: ACTR_BENCH_CPU
# (default: the highest CPU this shell may use), ACTR_BENCH_MODES (default
# "pinned unpinned"), ACTR_BENCH_TIMEOUT (seconds per binary, default 150).
# The peers (make bench-peers: peer_zmq, peer_grpc among the BINs) give
# each figure tests/bench/peers/peers.map names its vs_zmq and vs_grpc.
set -u
out=${1:?usage: run.sh OUTDIR BIN...}
shift
mkdir -p "$out" || exit 1
json="$out/results.json"
md="$out/results.md"
png="$out/results.png"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

modes=${ACTR_BENCH_MODES:-pinned unpinned}
limit=${ACTR_BENCH_TIMEOUT:-150}
cpu=${ACTR_BENCH_CPU:-$(awk '/^Cpus_allowed_list:/ { n = split($2, a, /[,-]/); print a[n] }' /proc/self/status)}
cpu=${cpu:-0}
start=$(date +%s)
status=0

: > "$tmp/lines"
for mode in $modes; do
    for bin in "$@"; do
        name=$(basename "$bin")
        echo "== $name ($mode)"
        if [ "$mode" = pinned ]; then
            pin="taskset -c $cpu"
        else
            pin=""
        fi
        # shellcheck disable=SC2086
        ACTR_BENCH_MODE=$mode ACTR_BENCH_CPU=$cpu \
            timeout -k 5 "$limit" $pin "$bin" "$mode" > "$tmp/one"
        rc=$?
        if [ $rc -ne 0 ]; then
            echo "run.sh: $name ($mode) failed with status $rc" >&2
            status=1
        fi
        grep -v '^bench ' "$tmp/one" | grep '^#' || true
        grep '^bench ' "$tmp/one" | while read -r line; do
            echo "$line"
            echo "$name $mode $line" >> "$tmp/lines"
        done
    done
done
elapsed=$(( $(date +%s) - start ))

# One record per line: bin runmode name value unit bname bvalue ratio min
# max mode better (better: the figure relative to its baseline, > 1 when
# the figure is the better one; times and sizes are better when lower).
awk '
$3 == "bench" && NF >= 11 && $7 == "baseline" && $10 == "ratio" {
    min = "null"; max = "null"; mode = $2
    for (i = 12; i < NF; i += 2) {
        if ($i == "min") min = $(i + 1)
        else if ($i == "max") max = $(i + 1)
        else if ($i == "mode") mode = $(i + 1)
    }
    unit = $6
    lower = (unit ~ /^(ns|us|ms|s|B|KiB|MiB|bytes)$/)
    v = $5 + 0; b = $9 + 0
    if (v <= 0 || b <= 0) better = "null"
    else better = sprintf("%.4g", lower ? b / v : v / b)
    print $1, $2, $4, $5, unit, $8, $9, $11, min, max, mode, better
}' "$tmp/lines" > "$tmp/recs0"

# The peers (make bench-peers): each actor figure that tests/bench/peers/
# peers.map names gets the ZeroMQ and gRPC figures of the same mode of
# this run, and vs_zmq / vs_grpc = the actor figure's performance relative
# to the peer's (> 1: actr is better; times are better when lower).
# Six fields more per record: zname zvalue vs_zmq gname gvalue vs_grpc
# (null where there is no peer or it was not run).
map="$(dirname "$0")/peers/peers.map"
[ -f "$map" ] || map=/dev/null
awk -v map="$map" '
function rel(v, p, unit) {
    if (p == "" || v + 0 <= 0 || p + 0 <= 0) return "null"
    return sprintf("%.4g", unit ~ /^(ns|us|ms|s|B|KiB|MiB|bytes)$/ ? p / v : v / p)
}
BEGIN {
    while ((getline l < map) > 0) {
        if (l ~ /^#/ || split(l, f, " ") < 3) continue
        zm[f[1]] = f[2]; gm[f[1]] = f[3]
    }
}
{ rec[NR] = $0; name[NR] = $3; md[NR] = $11; unit[NR] = $5; v[NR] = $4; val[$3 SUBSEP $11] = $4 }
END {
    for (i = 1; i <= NR; i++) {
        z = (name[i] in zm) ? zm[name[i]] : "-"; g = (name[i] in gm) ? gm[name[i]] : "-"
        zv = (z != "-" && (z SUBSEP md[i]) in val) ? val[z SUBSEP md[i]] : ""
        gv = (g != "-" && (g SUBSEP md[i]) in val) ? val[g SUBSEP md[i]] : ""
        printf "%s %s %s %s %s %s %s\n", rec[i], z, (zv == "" ? "null" : zv), rel(v[i], zv, unit[i]), \
            g, (gv == "" ? "null" : gv), rel(v[i], gv, unit[i])
    }
}' "$tmp/recs0" > "$tmp/recs"
cp "$tmp/recs" "$out/records.txt"

awk -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v host="$(uname -srm)" \
    -v build="$out" -v cpus="$(nproc)" -v cpu="$cpu" -v elapsed="$elapsed" '
BEGIN {
    printf "{\n  \"generated\": \"%s\",\n  \"build\": \"%s\",\n  \"host\": \"%s\",\n", date, build, host
    printf "  \"cpus\": %s,\n  \"pinned_cpu\": %s,\n  \"elapsed_s\": %s,\n", cpus, cpu, elapsed
    printf "  \"results\": ["
    n = 0
}
{
    printf "%s\n    {\"bin\": \"%s\", \"name\": \"%s\", \"mode\": \"%s\", \"value\": %s, \"unit\": \"%s\", ", \
        (n++ ? "," : ""), $1, $3, $11, $4, $5
    printf "\"min\": %s, \"max\": %s, \"baseline\": {\"name\": \"%s\", \"value\": %s}, ", $9, $10, $6, $7
    printf "\"ratio\": %s, \"vs_baseline\": %s", $8, $12
    if ($13 != "-") printf ", \"zmq\": {\"name\": \"%s\", \"value\": %s}, \"vs_zmq\": %s", $13, $14, $15
    if ($16 != "-") printf ", \"grpc\": {\"name\": \"%s\", \"value\": %s}, \"vs_grpc\": %s", $16, $17, $18
    printf "}"
}
END { printf "\n  ]\n}\n" }' "$tmp/recs" > "$json"
echo "wrote $json"

# The table: one row per figure, pinned and unpinned side by side.
awk -v modes="$modes" -v elapsed="$elapsed" -v host="$(uname -srm)" -v cpus="$(nproc)" '
function num(x) { return (x == "null" || x == "") ? "-" : sprintf("%.4g", x) }
function cell(k,   s) {
    if (!(k in val)) return "-"
    s = num(val[k])
    if (mn[k] != "null") s = s " (" num(mn[k]) "–" num(mx[k]) ")"
    return s
}
function opt(k, a) { return (k in a) ? num(a[k]) : "-" }
{
    key = $3 SUBSEP $11
    if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 }
    unit[$3] = $5; bname[$3] = $6
    val[key] = $4; mn[key] = $9; mx[key] = $10
    bval[key] = $7; ratio[key] = $8; better[key] = $12
}
END {
    printf "Figures of one `make bench` run on %s (%s CPUs, %s s in all). value: median of the repetitions (min–max); ratio = value / baseline; perf = performance relative to the baseline (> 1: better than the baseline).\n\n", host, cpus, elapsed
    printf "| figure | unit | pinned | unpinned | baseline | baseline pinned | baseline unpinned | ratio pinned | ratio unpinned | perf pinned | perf unpinned |\n"
    printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
    for (i = 1; i <= n; i++) {
        f = order[i]; p = f SUBSEP "pinned"; u = f SUBSEP "unpinned"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f, unit[f], cell(p), cell(u), \
            bname[f], opt(p, bval), opt(u, bval), opt(p, ratio), opt(u, ratio), opt(p, better), opt(u, better)
    }
}' "$tmp/recs" > "$md"
# The peers side by side, when any was run (make bench-peers).
awk '
function num(x) { return (x == "null" || x == "") ? "-" : sprintf("%.4g", x) }
$13 != "-" || $16 != "-" {
    if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 }
    k = $3 SUBSEP $11; unit[$3] = $5; v[k] = $4; zn[$3] = $13; gn[$3] = $16
    zv[k] = $14; vz[k] = $15; gv[k] = $17; vg[k] = $18; any += ($14 != "null" || $17 != "null")
}
END {
    if (!any) exit
    printf "\nThe peers of the same run (ZeroMQ and gRPC doing the same work, tests/bench/peers/); vs = actr performance relative to the peer (> 1: actr is better).\n\n"
    printf "| figure | unit | mode | actr | ZeroMQ peer | ZeroMQ | vs_zmq | gRPC peer | gRPC | vs_grpc |\n"
    printf "|---|---|---|---|---|---|---|---|---|---|\n"
    for (i = 1; i <= n; i++) {
        f = order[i]
        for (m = 1; m <= 2; m++) {
            md = m == 1 ? "pinned" : "unpinned"; k = f SUBSEP md
            if (!(k in v)) continue
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f, unit[f], md, num(v[k]), \
                zn[f], num(zv[k]), num(vz[k]), gn[f], num(gv[k]), num(vg[k])
        }
    }
}' "$tmp/recs" >> "$md"
echo "wrote $md"

# The plot: performance relative to the baseline, log scale, both modes.
awk '
{
    key = $3 SUBSEP $11
    if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 }
    b[key] = $12
}
END {
    for (i = 1; i <= n; i++) {
        f = order[i]; p = b[f SUBSEP "pinned"]; u = b[f SUBSEP "unpinned"]
        if (p == "" || p == "null") p = "NaN"
        if (u == "" || u == "null") u = "NaN"
        printf "\"%s\" %s %s\n", f, p, u
    }
}' "$tmp/recs" > "$tmp/plot.dat"
if command -v gnuplot > /dev/null 2>&1 && [ -s "$tmp/plot.dat" ]; then
    rows=$(wc -l < "$tmp/plot.dat")
    width=$(( 400 + rows * 28 ))
    if gnuplot -e "set terminal pngcairo size $width,720 font 'sans,10'" > /dev/null 2>&1; then
        term="pngcairo size $width,720 font 'sans,10'"
    else
        term="png size $width,720"
    fi
    gnuplot > "$tmp/gnuplot.log" 2>&1 <<EOF
set terminal $term
set termoption noenhanced
set output '$png'
set title "actr make bench: each figure against its same-run baseline (log scale; above 1 = better than the baseline)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y
set yrange [*:*]
set ylabel 'performance relative to baseline'
set grid ytics
set xtics rotate by -50 scale 0 font ',8'
set key top right
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb 'black'
plot '$tmp/plot.dat' using 2:xtic(1) title 'pinned (one CPU)' lc rgb '#3b75af', \
     '' using 3 title 'unpinned' lc rgb '#ef8636'
EOF
    if [ $? -eq 0 ]; then
        echo "wrote $png"
    else
        echo "run.sh: gnuplot failed:" >&2
        cat "$tmp/gnuplot.log" >&2
        status=1
    fi
else
    echo "run.sh: gnuplot missing or nothing to plot; no $png" >&2
fi

echo "bench: ${elapsed}s for $(wc -l < "$tmp/recs") figures"
# 5 minutes for make bench, 10 with the peers (make bench-peers).
budget=300
case " $* " in *"/peer_"*) budget=600 ;; esac
if [ "$elapsed" -gt "$budget" ]; then
    echo "run.sh: the run took ${elapsed}s, over the $((budget / 60))-minute budget" >&2
fi
exit $status
