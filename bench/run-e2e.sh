#!/usr/bin/env bash
# End-to-end benchmark: times `vigil dump` and `vigil hunt` on an EVTX corpus and a JSON-lines corpus,
# side by side with libevtx's evtxexport on the same EVTX files, and records events/s, MB/s and peak
# memory with the machine, date and corpus in bench/results/.
#
#   bench/run-e2e.sh [--events N] [--otrf-copies K] [--repeat R] [--rules DIR]... [--no-evtxexport] [--no-r2r] [--out FILE]
#
# Every vigil row is run R times (default 3) and reports the median run (its seconds, peak memory and CPU) with the
# fastest and slowest seconds beside it: on a shared machine one run can be 10-15 % off either way. evtxexport runs once.
#
# The OTRF corpus (Winlogbeat-shaped JSON, ../shared/data/json/otrf) is small (31k events), so it is copied K times
# (default 10) into separate folders to make a hunt long enough that rule loading does not dominate.
#
# vigil is published as `dotnet publish src/Vigil.Cli -c Release` does by default (see src/Vigil.Cli/Vigil.Cli.csproj):
# self-contained, ReadyToRun composite, for this machine's runtime identifier (precompiled: a hunt otherwise spends
# ~1 s of CPU in the JIT at start-up); --no-r2r publishes plain framework-dependent IL instead.
#
# Needs: the .NET SDK, GNU time (/usr/bin/time), evtxexport (apt-get install libevtx-utils time).
set -euo pipefail
cd "$(dirname "$0")/.."
events=500000
rules=()
evtxexport=1
r2r=1
out=""
otrf_copies=10
repeat=3
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events=$2; shift 2 ;;
    --rules) rules+=(--rules "$2"); shift 2 ;;
    --no-evtxexport) evtxexport=0; shift ;;
    --no-r2r) r2r=0; shift ;;
    --out) out=$2; shift 2 ;;
    --otrf-copies) otrf_copies=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 1 ;;
  esac
done
shared=../shared
work=$(mktemp -d /tmp/vigil-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
case "$(uname -m)" in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
if [ "$r2r" = 1 ]; then
  dotnet publish src/Vigil.Cli -c Release -o "$work/bin" >/dev/null
else
  dotnet publish src/Vigil.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=false -o "$work/bin" >/dev/null
fi
vigil="$work/bin/vigil"
"$vigil" --version >/dev/null || { echo "the published $vigil does not start" >&2; exit 1; }

evtx_dir="$shared/data/evtx"
json_dir="$work/sim/logs"
"$vigil" simulate --out "$work/sim" --events "$events" --seed 1 -q
# The same simulated day as real EVTX files (one per host and channel), for a larger EVTX corpus.
simevtx_dir="$work/simevtx/logs"
"$vigil" simulate --out "$work/simevtx" --format evtx --events "$events" --seed 1 -q

otrf_dir="$work/otrf"
for i in $(seq 1 "$otrf_copies"); do mkdir -p "$otrf_dir/copy$i"; cp "$shared"/data/json/otrf/*.json "$otrf_dir/copy$i/"; done
# Start-up: a 50-event hunt. The parse and matcher caches live in their own folder here: timed cold (--no-rule-cache),
# then filled by one untimed run, as any second run over the same rules finds them; every later hunt uses them warm.
tiny="$work/tiny.json"
head -50 "$(find "$shared/data/json/otrf" -name '*.json' | sort | head -1)" > "$tiny"
export VIGIL_CACHE_DIR="$work/cache"

size_mb() { du -sb "$1" | awk '{printf "%.1f", $1/1048576}'; }
# run LABEL CMD...: prints "seconds peak_rss_mb cpu_seconds" of the command (cpu: user + system), output to /dev/null
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || true
  read -r secs kb user sys < "$work/time.txt"
  echo "$secs $((kb / 1024)) $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
}
# runs LABEL CMD...: the command $repeat times; prints the median run's "seconds peak_rss_mb cpu_seconds", then the
# fastest and the slowest seconds
runs() {
  local label=$1; shift
  for _ in $(seq 1 "$repeat"); do run "$label" "$@"; done | sort -n -k1,1 \
    | awk '{ line[NR] = $0; secs[NR] = $1 } END { m = int((NR + 1) / 2); print line[m], secs[1], secs[NR] }'
}

evtx_files=$(find "$evtx_dir" -name '*.evtx' | wc -l)
evtx_mb=$(size_mb "$evtx_dir")
json_mb=$(size_mb "$json_dir")
simevtx_mb=$(size_mb "$simevtx_dir")
simevtx_files=$(find "$simevtx_dir" -name '*.evtx' | wc -l)
simevtx_events=$("$vigil" dump "$simevtx_dir" -q | wc -l)
evtx_events=$("$vigil" dump "$evtx_dir" -q | wc -l)
json_events=$("$vigil" dump "$json_dir" -q | wc -l)
otrf_events=$("$vigil" dump "$otrf_dir" -q | wc -l)
otrf_mb=$(size_mb "$otrf_dir")

date_utc=$(date -u +%Y-%m-%dT%H:%MZ)
mkdir -p bench/results
[ -n "$out" ] || out="bench/results/$(date -u +%Y-%m-%d)-e2e.md"
{
  echo "# End-to-end benchmark, $date_utc"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM"
  echo "- vigil commit: $(git rev-parse --short HEAD 2>/dev/null || echo "${VIGIL_COMMIT:-unknown}"); .NET $(dotnet --version); build: $([ "$r2r" = 1 ] && echo "self-contained ReadyToRun composite" || echo "framework-dependent IL")"
  echo "- EVTX corpus: $evtx_dir ($evtx_files files, $evtx_mb MB, $evtx_events events)"
  echo "- JSON corpus: vigil simulate --events $events --seed 1 ($json_mb MB, $json_events events)"
  echo "- simulated EVTX corpus: vigil simulate --format evtx --events $events --seed 1 ($simevtx_files files, $simevtx_mb MB, $simevtx_events events)"
  echo "- OTRF corpus: ../shared/data/json/otrf copied $otrf_copies times ($otrf_mb MB, $otrf_events events)"
  echo "- rules: built-in${rules[*]:+ plus ${rules[*]}}"
  echo "- load average at start: $(cut -d" " -f1-3 /proc/loadavg) (2 cores shared with other jobs: numbers are noisy)"
  echo "- hunt times include start-up (rule loading and matcher build) with warm caches (see the two start-up rows), which weighs on small corpora"
  echo
  echo "- CPU s: user + system seconds of the process; events/CPU-s is what one core does, unaffected by waiting for a core"
  echo "- vigil rows: the median of $repeat runs (seconds, events/s, MB/s, memory and CPU of that run); \"fastest-slowest\" are the"
  echo "  other runs' seconds as events/s"
  echo
  echo "| task | seconds | events/s | fastest-slowest events/s | MB/s | peak RSS MB | CPU s | events/CPU-s |"
  echo "|---|---|---|---|---|---|---|---|"
  row() { # label events mb secs rss cpu [fastest slowest]
    awk -v l="$1" -v e="$2" -v m="$3" -v s="$4" -v r="$5" -v c="$6" -v lo="${7:-}" -v hi="${8:-}" 'BEGIN {
      if (s < 0.01) s = 0.01; if (c < 0.01) c = 0.01
      range = lo == "" ? "" : e <= 50 ? sprintf("%.2f-%.2f s", lo, hi) : sprintf("%.0f-%.0f", e / (lo < 0.01 ? 0.01 : lo), e / (hi < 0.01 ? 0.01 : hi))
      printf "| %s | %.2f | %.0f | %s | %.1f | %s | %.2f | %.0f |\n", l, s, e/s, range, m/s, r, c, e/c }'
  }
  read -r s r c lo hi < <(runs "startup cold" "$vigil" hunt "$tiny" "${rules[@]}" -q --format jsonl --no-rule-cache)
  row "vigil hunt, 50 events, start-up without caches (--no-rule-cache)" 50 0 "$s" "$r" "$c" "$lo" "$hi"
  "$vigil" hunt "$tiny" "${rules[@]}" -q --format jsonl >/dev/null 2>&1 || true
  read -r s r c lo hi < <(runs "startup warm" "$vigil" hunt "$tiny" "${rules[@]}" -q --format jsonl)
  row "vigil hunt, 50 events, start-up with warm caches" 50 0 "$s" "$r" "$c" "$lo" "$hi"
  if [ "$evtxexport" = 1 ]; then
  read -r s r c < <(run "evtxexport" bash -c "for f in \$(find '$evtx_dir' -name '*.evtx'); do evtxexport \"\$f\"; done")
  row "evtxexport (libevtx), all EVTX, sequential" "$evtx_events" "$evtx_mb" "$s" "$r" "$c"
  fi
  read -r s r c lo hi < <(runs "dump evtx" "$vigil" dump "$evtx_dir" -q)
  row "vigil dump, EVTX" "$evtx_events" "$evtx_mb" "$s" "$r" "$c" "$lo" "$hi"
  read -r s r c lo hi < <(runs "hunt evtx" "$vigil" hunt "$evtx_dir" "${rules[@]}" -q --format jsonl)
  row "vigil hunt, EVTX" "$evtx_events" "$evtx_mb" "$s" "$r" "$c" "$lo" "$hi"
  if [ "$evtxexport" = 1 ]; then
  read -r s r c < <(run "evtxexport sim" bash -c "find '$simevtx_dir' -name '*.evtx' -print0 | xargs -0 -n1 evtxexport")
  row "evtxexport (libevtx), simulated EVTX, sequential" "$simevtx_events" "$simevtx_mb" "$s" "$r" "$c"
  fi
  read -r s r c lo hi < <(runs "dump simevtx" "$vigil" dump "$simevtx_dir" -q)
  row "vigil dump, simulated EVTX" "$simevtx_events" "$simevtx_mb" "$s" "$r" "$c" "$lo" "$hi"
  read -r s r c lo hi < <(runs "hunt simevtx" "$vigil" hunt "$simevtx_dir" "${rules[@]}" -q --format jsonl)
  row "vigil hunt, simulated EVTX" "$simevtx_events" "$simevtx_mb" "$s" "$r" "$c" "$lo" "$hi"
  read -r s r c lo hi < <(runs "dump json" "$vigil" dump "$json_dir" -q)
  row "vigil dump, JSON lines" "$json_events" "$json_mb" "$s" "$r" "$c" "$lo" "$hi"
  read -r s r c lo hi < <(runs "hunt json" "$vigil" hunt "$json_dir" "${rules[@]}" -q --format jsonl)
  row "vigil hunt, JSON lines" "$json_events" "$json_mb" "$s" "$r" "$c" "$lo" "$hi"
  read -r s r c lo hi < <(runs "dump otrf" "$vigil" dump "$otrf_dir" -q)
  row "vigil dump, OTRF JSON x$otrf_copies" "$otrf_events" "$otrf_mb" "$s" "$r" "$c" "$lo" "$hi"
  read -r s r c lo hi < <(runs "hunt otrf" "$vigil" hunt "$otrf_dir" "${rules[@]}" -q --format jsonl)
  row "vigil hunt, OTRF JSON x$otrf_copies" "$otrf_events" "$otrf_mb" "$s" "$r" "$c" "$lo" "$hi"
} | tee "$out"
echo "written to $out" >&2
