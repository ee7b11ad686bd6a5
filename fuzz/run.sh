#!/bin/bash
# fuzz/run.sh -- build the libFuzzer targets and run each for a while.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target: the argument, else $HFX_FUZZ_SECONDS, else 10.
# TARGETs: fuzz_manifest fuzz_pe fuzz_package fuzz_config (default:
# $HFX_FUZZ_TARGETS, else all four).
#
# The fuzzers are built here, not by configure/make: libFuzzer needs clang
# and its own main(), and the engine must be compiled with the sanitizers
# too, so the needed src/*.c files are compiled directly with clang, with
# fuzz/config.h standing in for the configured config.h (the tree may be
# unconfigured, or configured elsewhere as under `make distcheck`).
#
# Build directory: $HFX_FUZZ_BUILDDIR, else $HFX_BUILDDIR/fuzz-build, else
# a temporary directory (removed at the end unless something crashed).
# Each target runs on a scratch copy of fuzz/corpus/<target>: the committed
# seeds are never modified, and what a run discovers is thrown away.
#
# Output: one line per target,
#   fuzz_pe: 123456 runs in 10 s, no crash
#   fuzz_pe: 1234 runs in 3 s, CRASHED, input: DIR/crash-..., log: DIR/fuzz_pe.log
# followed, for a crash, by the head of the sanitizer report.
# Exit status: 0 when nothing crashed, 1 on any crash (or timeout, leak,
# out-of-memory: anything libFuzzer reports), 2 on a build or usage error,
# 77 when clang cannot build libFuzzer programs (the Automake "skip" code).
#
# Other environment: HFX_FUZZ_CC (default clang), HFX_FUZZ_TIMEOUT
# (seconds one input may take before it counts as a hang, default 20),
# HFX_FUZZ_SEED (fixed libFuzzer seed, for reproducing a run).
set -u

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
FUZZDIR=$SRCDIR/fuzz
ALL_TARGETS="fuzz_manifest fuzz_pe fuzz_package fuzz_config"

SECONDS_EACH=${HFX_FUZZ_SECONDS:-10}
if [ $# -gt 0 ] && [ -n "$1" ] && [ -z "${1//[0-9]/}" ]; then
	SECONDS_EACH=$1
	shift
fi
if [ -n "${SECONDS_EACH//[0-9]/}" ] || [ "${SECONDS_EACH:-0}" -lt 1 ]; then
	echo "run.sh: seconds must be a positive number, not '$SECONDS_EACH'" >&2
	exit 2
fi
TARGETS=${*:-${HFX_FUZZ_TARGETS:-$ALL_TARGETS}}
for t in $TARGETS; do
	case " $ALL_TARGETS " in
	*" $t "*) ;;
	*) echo "run.sh: unknown target '$t' (one of: $ALL_TARGETS)" >&2; exit 2 ;;
	esac
done

CC=${HFX_FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

# --- build directory, scratch directory -------------------------------------
if [ -n "${HFX_FUZZ_BUILDDIR:-}" ]; then
	B=$HFX_FUZZ_BUILDDIR
	B_TEMP=no
elif [ -n "${HFX_BUILDDIR:-}" ]; then
	B=$HFX_BUILDDIR/fuzz-build
	B_TEMP=no
else
	B=$(mktemp -d "${TMPDIR:-/tmp}/hfx-fuzz-build.XXXXXX") || exit 2
	B_TEMP=yes
fi
mkdir -p "$B/obj" "$B/logs" "$B/artifacts" || exit 2
B=$(cd "$B" && pwd)

# Scratch: corpus copies, and the directory fuzz_config writes its
# configuration files into.  tmpfs when there is one: the fuzzers write
# there on every run.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then SCRATCH_BASE=/dev/shm; else SCRATCH_BASE=${TMPDIR:-/tmp}; fi
W=$(mktemp -d "$SCRATCH_BASE/hfx-fuzz-run.XXXXXX") || exit 2
crashed=0
cleanup() {
	rm -rf "$W"
	if [ "$B_TEMP" = yes ] && [ "$crashed" = 0 ]; then rm -rf "$B"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- toolchain -------------------------------------------------------------
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "run.sh: $CC not found; cannot build the fuzzers" >&2
	exit 77
fi
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	> "$W/probe.c"
if ! "$CC" -fsanitize=fuzzer $SAN -o "$W/probe" "$W/probe.c" >"$W/probe.log" 2>&1; then
	echo "run.sh: $CC cannot build libFuzzer programs (libclang-rt / compiler-rt missing?):" >&2
	sed 's/^/  /' "$W/probe.log" | head -n 5 >&2
	exit 77
fi

PKGS="libarchive libcrypto sqlite3 inih jansson zlib"
if ! DEP_CFLAGS=$(pkg-config --cflags $PKGS) || ! DEP_LIBS=$(pkg-config --libs $PKGS); then
	echo "run.sh: pkg-config cannot find all of: $PKGS" >&2
	exit 2
fi

# --- build -----------------------------------------------------------------
# The engine files the four targets reach, and nothing else (no signature
# check, no database, no services): a smaller program runs more inputs per
# second.
ENGINE="error fsutil version pe inifile manifest hostconf package"
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer-no-link $SAN \
	-include $FUZZDIR/config.h -I$SRCDIR/src -I$FUZZDIR $DEP_CFLAGS"

# A file is rebuilt when it is older than its source, any engine header,
# fuzz/config.h or fuzz/fuzz.h (headers are few; tracking them exactly is
# not worth a dependency generator here).
newest_header=$(ls -t "$SRCDIR"/src/*.h "$FUZZDIR"/config.h "$FUZZDIR"/fuzz.h | head -n 1)
compile() {	# compile SOURCE OBJECT
	if [ ! -f "$2" ] || [ "$1" -nt "$2" ] || [ "$newest_header" -nt "$2" ] ||
	   [ "$0" -nt "$2" ]; then
		# shellcheck disable=SC2086
		"$CC" $CFLAGS -c "$1" -o "$2" || return 1
	fi
}
objs=""
for f in $ENGINE; do
	compile "$SRCDIR/src/$f.c" "$B/obj/$f.o" || { echo "run.sh: cannot compile src/$f.c" >&2; exit 2; }
	objs="$objs $B/obj/$f.o"
done
for t in $TARGETS; do
	compile "$FUZZDIR/$t.c" "$B/obj/$t.o" || { echo "run.sh: cannot compile fuzz/$t.c" >&2; exit 2; }
	# shellcheck disable=SC2086
	"$CC" -fsanitize=fuzzer $SAN -o "$B/$t" "$B/obj/$t.o" $objs $DEP_LIBS ||
		{ echo "run.sh: cannot link $t" >&2; exit 2; }
done

# Readable stacks in reports, when a symbolizer is installed.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
	for s in llvm-symbolizer llvm-symbolizer-14 llvm-symbolizer-15 llvm-symbolizer-16; do
		if command -v "$s" >/dev/null 2>&1; then
			export ASAN_SYMBOLIZER_PATH=$(command -v "$s")
			break
		fi
	done
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# --- run -------------------------------------------------------------------
dict_for() {
	case $1 in
	fuzz_manifest|fuzz_package) echo "$FUZZDIR/dict/manifest.dict" ;;
	fuzz_config) echo "$FUZZDIR/dict/config.dict" ;;
	fuzz_pe) echo "$FUZZDIR/dict/pe.dict" ;;
	esac
}

for t in $TARGETS; do
	corpus=$W/corpus-$t
	art=$B/artifacts/$t
	log=$B/logs/$t.log
	mkdir -p "$corpus" "$art"
	if [ -d "$FUZZDIR/corpus/$t" ]; then
		cp -R "$FUZZDIR/corpus/$t/." "$corpus/"
		chmod -R u+w "$corpus"	# a dist tarball may be read-only
	fi
	set -- -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-timeout="${HFX_FUZZ_TIMEOUT:-20}" -artifact_prefix="$art/"
	d=$(dict_for "$t")
	[ -f "$d" ] && set -- "$@" -dict="$d"
	[ -n "${HFX_FUZZ_SEED:-}" ] && set -- "$@" -seed="$HFX_FUZZ_SEED"
	HFX_FUZZ_TMPDIR=$W "$B/$t" "$@" "$corpus" >"$log" 2>&1
	rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		echo "$t: ${runs:-0} runs in ${secs:-$SECONDS_EACH} s, no crash"
		continue
	fi
	crashed=1
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "$t: ${runs:-0} runs, CRASHED (exit $rc), input: ${input:-none written}, log: $log"
	# The head of the report: from the first line that says what broke.
	sed -n '/ERROR: \|property failed\|runtime error\|deadly signal\|ALARM\|out-of-memory/,$p' "$log" |
		head -n 40 | sed 's/^/    /'
	[ -n "$input" ] && echo "    reproduce: $B/$t $input"
done
exit $crashed
