#!/usr/bin/env bash
# Paired comparison of two vigil builds on one command: runs A and B alternately PAIRS times and prints each pair's wall
# and CPU seconds and peak memory, then the mean ratio B/A and how many pairs B was slower in. On this project's shared
# 2-core VM one binary's time moves by 10-25 % within an hour, so only alternated pairs compare builds fairly; a ratio
# that moves by a few percent between two invocations is noise (bench/results/2026-11-28-e2e.md).
#
#   bench/ab.sh DIR_A DIR_B [--pairs N] -- VIGIL_ARGS...
#
# DIR_A and DIR_B are `dotnet publish src/Vigil.Cli -c Release -o DIR` folders (a `git worktree add` of the other commit
# gives the second). Example, the OTRF corpus copied 20 times with the full collection:
#   bench/ab.sh /tmp/old/bin /tmp/new/bin --pairs 8 -- hunt /tmp/otrf20 --rules ../shared/data/sigma/rules --output /tmp/d.jsonl -q
# Each build keeps its own rule and matcher caches (VIGIL_CACHE_DIR in a temporary folder per side, warmed by one run
# first): the parse cache holds one build's entries, so two builds alternating on the default folder would each find
# the other's and parse the collection again (0.4-0.5 s a run). Needs GNU time (apt-get install time).
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 1; }
[ $# -ge 3 ] || usage
a=$1; b=$2; shift 2
pairs=8
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ "${1:-}" = "--" ] || usage
shift
for d in "$a" "$b"; do [ -x "$d/vigil" ] || { echo "no vigil executable in $d" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

out=$(mktemp)
caches=$(mktemp -d)
trap 'rm -rf "$out" "$out.t" "$caches"' EXIT
for side in A B; do
  dir=$a; [ $side = B ] && dir=$b
  VIGIL_CACHE_DIR="$caches/$side" "$dir/vigil" "$@" > /dev/null 2>&1 || { echo "warm-up run of $side failed: $dir/vigil $*" >&2; exit 1; }
done
for ((i = 1; i <= pairs; i++)); do
  for side in A B; do
    dir=$a; [ $side = B ] && dir=$b
    VIGIL_CACHE_DIR="$caches/$side" /usr/bin/time -f "$side %e %U %S %M" -o "$out.t" "$dir/vigil" "$@" > /dev/null 2>&1 \
      || { echo "run $i of $side failed: $dir/vigil $*" >&2; exit 1; }
    cat "$out.t" >> "$out"
  done
done
echo "pair  A s    A cpu-s  A MB   B s    B cpu-s  B MB"
awk '{ printf "%s %.2f %.2f %d\n", $1, $2, $3 + $4, $5 / 1024 }' "$out" | paste - - |
  awk '{ n++; r += $6 / $2; rc += $7 / $3; if ($6 > $2) slower++;
         printf "%4d  %5.2f  %6.2f  %4d   %5.2f  %6.2f  %4d\n", n, $2, $3, $4, $6, $7, $8 }
       END { printf "B/A: wall %.3f, CPU %.3f (means of the pairs\x27 ratios); B slower in %d of %d pairs\n", r / n, rc / n, slower, n }'
