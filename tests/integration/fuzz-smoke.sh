#!/bin/bash
# fuzz-smoke.sh -- a short run of every libFuzzer target (fuzz/run.sh):
# the manifest parser, the PE version reader, the package container reader
# and the host configuration parsers, each from its seed corpus for
# HFX_FUZZ_SECONDS seconds (10 by default; CI sets 60).  One TAP case per
# target: it passes when the target ran without a sanitizer report, a
# broken property, a hang or a leak.  Skipped without clang or libFuzzer.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

# HFX_FUZZ_TARGETS narrows the run (fuzz/run.sh reads it too).
TARGETS=${HFX_FUZZ_TARGETS:-fuzz_manifest fuzz_pe fuzz_package fuzz_config}

if ! command -v "${HFX_FUZZ_CC:-clang}" >/dev/null 2>&1; then
	echo "1..0 # SKIP no clang"
	exit 0
fi

HFX_FUZZ_SECONDS=${HFX_FUZZ_SECONDS:-10} \
	"$BASH" "$HFX_SRCDIR/fuzz/run.sh" >"$T/fuzz.out" 2>"$T/fuzz.err"
rc=$?
if [ "$rc" = 77 ]; then
	echo "1..0 # SKIP no libFuzzer (${HFX_FUZZ_CC:-clang} cannot link -fsanitize=fuzzer)"
	exit 0
fi
if [ "$rc" = 2 ]; then
	not_ok "fuzz/run.sh builds the fuzzers"
	diag "$(tail -n 30 "$T/fuzz.err")"
	done_testing
	exit 1
fi

for t in $TARGETS; do
	line=$(grep "^$t: " "$T/fuzz.out")
	runs=$(printf '%s\n' "$line" | sed -n 's/^[^:]*: \([0-9]*\) runs.*/\1/p')
	case $line in
	*", no crash")
		ok "$t: $runs runs, no crash" ;;
	"")
		not_ok "$t: did not run"
		diag "$(tail -n 20 "$T/fuzz.err")" ;;
	*)
		not_ok "$t: $runs runs, crashed"
		# The crash line names the input and the log; the report follows
		# it, indented.
		diag "$(awk -v t="$t: " 'index($0, t) == 1 { on = 1; print; next }
			on && /^fuzz_[a-z]+: / { on = 0 } on' "$T/fuzz.out")" ;;
	esac
done
done_testing
