#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang) and runs them.
#   run.sh smoke [SECONDS]   each target replays its seeds + regressions, then fuzzes SECONDS (default 10)
#   run.sh full  [SECONDS] [RUNS]  each target until RUNS executions (default 10,000,000) or SECONDS
# FUZZ_TARGETS="fuzz_a fuzz_b" limits the run to those targets (e.g. to run two halves in parallel).
# FUZZ_PRESET=fuzz-long builds under UBSan only (no ASan), several times faster, for long campaigns;
# its files go to build-fuzz-long/. The default preset `fuzz` runs ASan + UBSan.
# Findings are written to <build dir>/artifacts/<target>/; a crash fails the run. Keep every crasher
# as a regression input under tests/fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-smoke}
jobs=$(nproc)
preset=${FUZZ_PRESET:-fuzz}
case "$preset" in fuzz) dir=build-fuzz ;; fuzz-long) dir=build-fuzz-long ;; *) echo "FUZZ_PRESET: fuzz or fuzz-long" >&2; exit 64 ;; esac
cmake --preset "$preset" >/dev/null
read -ra targets <<<"${FUZZ_TARGETS:-fuzz_all}"
cmake --build --preset "$preset" -j"$jobs" --target "${targets[@]}" >/dev/null

case "$mode" in
  smoke) seconds=${2:-10}; runs=-1 ;;
  full)  seconds=${2:-0}; runs=${3:-10000000} ;;
  *) echo "usage: $0 smoke|full [SECONDS] [RUNS]" >&2; exit 64 ;;
esac

# UBSan reports are findings: stop at the first one, so libFuzzer saves the input as a crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
for bin in "$dir"/fuzz/fuzz_*; do
  [[ -x $bin ]] || continue
  name=$(basename "$bin")
  if [[ -n ${FUZZ_TARGETS:-} && " $FUZZ_TARGETS " != *" $name "* ]]; then continue; fi
  seeds=tests/fuzz/corpus/$name
  regress=tests/fuzz/regressions/$name
  work=$dir/corpus/$name
  art=$dir/artifacts/$name
  mkdir -p "$work" "$art"
  # fuzz_pii's seeds are the labelled PII corpus, one value per file.
  if [[ $name == fuzz_pii ]]; then
    awk -F'\t' -v d="$work" '!/^#/ && NF >= 3 { f = d "/values-" NR; printf "%s", $3 > f; close(f) }' \
      tests/gateway/pii_corpus/values.tsv
  fi
  # Replay the regression inputs first: each must run clean.
  if compgen -G "$regress/*" >/dev/null; then
    "$bin" -runs=0 "$regress"/* >/dev/null 2>"$art/regress.log" || { echo "fuzz: $name regression FAILED"; tail -20 "$art/regress.log"; status=1; continue; }
  fi
  # The CSV reader is driven with 1–17-byte reads, so long inputs cost thousands of callbacks;
  # records longer than 512 bytes add no new paths to it.
  # fuzz_pii: a phone candidate is at most a few dozen bytes, and each one may cost several
  # libphonenumber calls (tens of µs), so long inputs only slow it down.
  max_len=4096; [[ $name == fuzz_csv ]] && max_len=512; [[ $name == fuzz_pii ]] && max_len=256
  args=(-artifact_prefix="$art/" -print_final_stats=1 -max_len=$max_len -timeout=10 -rss_limit_mb=2048)
  [[ $seconds != 0 ]] && args+=(-max_total_time="$seconds")
  [[ $runs != -1 ]] && args+=(-runs="$runs")
  dirs=("$work"); [[ -d $seeds ]] && dirs+=("$seeds")
  if "$bin" "${args[@]}" "${dirs[@]}" >"$art/run.log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$art/run.log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $name ok ($execs executions)"
  else
    echo "fuzz: $name FOUND A CRASH (see $art/run.log)"; grep -E 'ERROR|invariant|SUMMARY' "$art/run.log" | head -5
    status=1
  fi
done
exit $status
