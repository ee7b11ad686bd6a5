# tests/integration/testlib.sh -- TAP helpers for the integration tests.
#
# Each test script sources this file, runs cases with `ok`, `check`,
# `expect_exit`, and ends with `done_testing`.  Output is TAP, read by
# Automake's tap-driver, so every case counts in the summary.  Everything a
# test makes lives under one temporary directory ($T), removed at exit
# together with any demo service still running in a root it made.
#
# Environment (set by the Makefile): HFX_SRCDIR, HFX_BUILDDIR.

set -u
HFX_SRCDIR=${HFX_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HFX_BUILDDIR=${HFX_BUILDDIR:-$(pwd)}
export HFX_SRCDIR HFX_BUILDDIR
. "$HFX_SRCDIR/demo/lib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/hfx-test.XXXXXX")
_tap_n=0
_tap_failed=0
_roots=""

_cleanup() {
	for r in $_roots; do
		[ -x "$r/usr/sbin/exchsvc" ] && services_stop "$r" >/dev/null 2>&1
	done
	# Daemons started with extra names
	for p in "$T"/*/run/exchsvc/*.pid "$T"/*/*/run/exchsvc/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$T"
}
trap _cleanup EXIT

# Remember a root whose services must be stopped at exit.
track_root() { _roots="$_roots $1"; }

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $*"
}

# diag TEXT...: a TAP comment (shown in the log).
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# check DESC CMD...: passes when CMD exits 0.
check() {
	_desc=$1
	shift
	if "$@" >"$T/.out" 2>&1; then
		ok "$_desc"
	else
		not_ok "$_desc (exit $?)"
		diag "command: $*" "$(tail -n 20 "$T/.out")"
	fi
}

# expect_exit CODE DESC CMD...: passes when CMD exits CODE.  Its stdout is
# kept in $T/.out and its stderr in $T/.err for later checks.
expect_exit() {
	_want=$1 _desc=$2
	shift 2
	"$@" >"$T/.out" 2>"$T/.err"
	_got=$?
	if [ "$_got" = "$_want" ]; then
		ok "$_desc"
	else
		not_ok "$_desc (exit $_got, wanted $_want)"
		diag "command: $*" "stdout:" "$(tail -n 15 "$T/.out")" \
			"stderr:" "$(tail -n 15 "$T/.err")"
	fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:    '$1'" "wanted: '$2'"
	fi
}

# like TEXT PATTERN DESC: TEXT matches the grep -E PATTERN.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		diag "text:    $(printf '%s' "$1" | head -c 600)" "pattern: $2"
	fi
}

# json_get FILE JQ-FILTER: a value from a JSON document, parsed by jq
# (which also fails the test if the document is not valid JSON).
json_get() { jq -er "$2" "$1"; }

# tree_snapshot ROOT: every path under ROOT with type, mode, owner, size and
# content hash, except what hfx itself may write on a refused command: its
# database, lock and log, and the directories holding them (it records the
# failure).  The demo services' pid files and reports are left out too.
tree_snapshot() {
	(cd "$1" && find . \( -path ./var/lib/hfx/hfx.db -o \
		-path './var/lib/hfx/hfx.db-*' -o -path ./var/lib/hfx/lock -o \
		-path ./var/log/hfx.log -o -path './run/*' -o \
		-path './var/log/exchsvc/*' \) -prune -o \
		\( -type d \( -path ./var -o -path ./var/lib -o \
		-path ./var/lib/hfx -o -path ./var/log \) \) -o -print0 |
	 sort -z | while IFS= read -r -d '' p; do
		if [ -f "$p" ] && [ ! -L "$p" ]; then
			printf '%s %s %s\n' "$p" "$(stat -c '%F %a %u:%g %s %i' "$p")" \
				"$(sha256sum < "$p" | cut -c1-64)"
		else
			printf '%s %s\n' "$p" "$(stat -c '%F %a %u:%g' "$p")"
		fi
	done)
}

# unchanged ROOT SNAPSHOT DESC: the tree is what the snapshot says.
unchanged() {
	tree_snapshot "$1" > "$T/.snap-now"
	if cmp -s "$2" "$T/.snap-now"; then
		ok "$3"
	else
		not_ok "$3"
		diag "$(diff "$2" "$T/.snap-now" | head -n 20)"
	fi
}

# no_temporaries ROOT DESC: no *.hfx-* staging or undo file anywhere.
no_temporaries() {
	_left=$(find "$1" -name '*.hfx-*' 2>/dev/null | head -n 5)
	is "$_left" "" "$2"
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" = 0 ]
}

# A standard setup: PKI, package, root with running services.
#   setup_kb899801 [NAME]   -> $PKI $PKG $ROOT
setup_kb899801() {
	PKI=$T/pki
	[ -f "$PKI/publisher.pem" ] || pki_init "$PKI" || return 1
	PKG=$T/KB899801.hfx
	[ -f "$PKG" ] || pack_kb899801 "$PKI" "$PKG" >/dev/null || return 1
	ROOT=$T/${1:-root}
	make_root "$ROOT" "$PKI" || return 1
	track_root "$ROOT"
	services_start "$ROOT"
}
