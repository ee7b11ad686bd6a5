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

# wait_trash ROOT: a rollback moves the hotfix's files into the store's
# .trash and a background process empties it; wait (up to 20 s) until it
# is gone, so that what follows sees the settled state.
wait_trash() {
	for _ in $(seq 1 400); do
		[ -z "$(find "$1" -type d -name .trash 2>/dev/null | head -n 1)" ] && return 0
		sleep 0.05
	done
	return 1
}

# no_temporaries ROOT DESC: no *.hfx-* staging or undo file anywhere, and
# the store's trash emptied.
no_temporaries() {
	wait_trash "$1" || diag "the store's trash was not emptied within 20 s"
	_left=$(find "$1" \( -name '*.hfx-*' -o -name .trash \) 2>/dev/null | head -n 5)
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

# ---- helpers for the hostile-input tests (hostile-*.sh) ----------------------

# todo REASON ASSERTION [ARGS...]: run one assertion (ok, check, expect_exit,
# is, like, unchanged, ...) as a TAP TODO for a known hfx bug.  A failure is
# printed "not ok N - desc # TODO REASON" and counts as an expected failure
# (XFAIL: the suite stays green); a pass is "ok N - desc # TODO REASON", an
# unexpected pass (XPASS), which fails the suite: the bug is fixed, so drop
# the todo.  REASON must not contain '#'.
todo() {
	_todo_reason=$1
	shift
	_todo_failed=$_tap_failed
	"$@" > "$T/.todo"
	while IFS= read -r _todo_line; do
		case $_todo_line in
		"ok "* | "not ok "*)
			printf '%s # TODO %s\n' "$_todo_line" "$_todo_reason" ;;
		*)	printf '%s\n' "$_todo_line" ;;
		esac
	done < "$T/.todo"
	_tap_failed=$_todo_failed
}

# maybe_todo REASON ASSERTION...: todo if REASON is not empty.
maybe_todo() {
	if [ -n "$1" ]; then
		todo "$@"
	else
		shift
		"$@"
	fi
}

# message_like PATTERN DESC: the last command's stderr ($T/.err) is exactly
# one line, and it matches PATTERN (a POSIX extended regex, as for grep -E).
message_like() {
	mapfile -t _ml_lines < "$T/.err"
	if [ "${#_ml_lines[@]}" = 1 ] && [[ ${_ml_lines[0]} =~ $1 ]]; then
		ok "$2"
	else
		not_ok "$2"
		diag "stderr (${#_ml_lines[@]} lines):" \
			"$(head -n 5 "$T/.err" | cut -c1-600)" "pattern: $1"
	fi
}

# children_cpu: set CHILDREN_CPU_MS to the CPU time (user + system, ms) of
# the shell's finished children so far.  A cost measured in CPU time does
# not grow when other jobs load the machine, unlike wall-clock time.  It
# sets a variable rather than printing: `times` must run in this shell (a
# subshell has no finished children of its own), so neither the call nor
# `times` may sit in a command substitution or a pipe.
children_cpu() {
	local _l _u _s
	times > "$T/.times"
	{ read -r _l; read -r _u _s; } < "$T/.times"
	CHILDREN_CPU_MS=$(( $(_min_s_to_ms "$_u") + $(_min_s_to_ms "$_s") ))
}

# _min_s_to_ms 1m2.345s: 62345
_min_s_to_ms() {
	local m=${1%%m*} rest=${1#*m}
	rest=${rest%s}
	echo $(( (10#$m * 60 + 10#${rest%[.,]*}) * 1000 + 10#${rest#*[.,]} ))
}

sha256_of() { sha256sum < "$1" | cut -c1-64; }

# tree_digest ROOT: like tree_snapshot (same exemptions), in a handful of
# processes instead of several per file: type, mode, owner, inode, size and
# symlink target of every path, then the SHA-256 of every regular file.
tree_digest() {
	(cd "$1" && find . \( -path ./var/lib/hfx/hfx.db -o \
		-path './var/lib/hfx/hfx.db-*' -o -path ./var/lib/hfx/lock -o \
		-path ./var/log/hfx.log -o -path './run/*' -o \
		-path './var/log/exchsvc/*' \) -prune -o \
		\( -type d \( -path ./var -o -path ./var/lib -o \
		-path ./var/lib/hfx -o -path ./var/log \) \) -o \
		\( -type f -printf '%p f %m %U:%G %i %s\n' -exec sha256sum {} + \) -o \
		-printf '%p %y %m %U:%G %i -> %l\n' | LC_ALL=C sort)
}

# service_pids ROOT: "LOTUS-PID CALENDAR-PID " of the demo services that
# run (empty for one that does not), read without starting a process.
service_pids() {
	for _sp_name in lotus calendar; do
		_sp_pid=
		if [ -f "$1/run/exchsvc/$_sp_name.pid" ]; then
			IFS= read -r _sp_pid < "$1/run/exchsvc/$_sp_name.pid"
			[ -n "$_sp_pid" ] && [ -e "/proc/$_sp_pid" ] || _sp_pid=
		fi
		printf '%s ' "$_sp_pid"
	done
}

# watch_root ROOT: remember ROOT's tree (tree_digest) and the pids of its
# demo services; `refused` compares with them.  WATCH_UNDO, if set, is run
# (eval) when a command that should have been refused succeeded, to put the
# root back before the next case.
watch_root() {
	_w_root=$1
	tree_digest "$1" > "$T/.watch-tree"
	_w_pids=$(service_pids "$1")
}

# tree_same DESC: the watched root is as watch_root saw it.
tree_same() {
	tree_digest "$_w_root" > "$T/.watch-now"
	if cmp -s "$T/.watch-tree" "$T/.watch-now"; then
		ok "$1"
	else
		not_ok "$1"
		diag "$(diff "$T/.watch-tree" "$T/.watch-now" | head -n 20)"
	fi
}

# refused CODE PATTERN DESC CMD...: CMD exits CODE, prints one message on
# stderr matching PATTERN, and leaves the watched root as it was: the tree
# (except hfx's database, lock and log), no *.hfx-* file, and the services
# still running with the same pids (checked if any ran).  The CPU time CMD
# used (user + system, ms) is left in REFUSED_CPU_MS.  TODO_EXIT, TODO_MSG, TODO_TREE, TODO_TEMP and
# TODO_SVC, set to a reason, mark those cases as TODO (see todo).
refused() {
	_r_code=$1 _r_pat=$2 _r_desc=$3
	shift 3
	children_cpu
	_r_cpu0=$CHILDREN_CPU_MS
	maybe_todo "${TODO_EXIT:-}" expect_exit "$_r_code" "$_r_desc: exit $_r_code" "$@"
	children_cpu
	REFUSED_CPU_MS=$((CHILDREN_CPU_MS - _r_cpu0))
	_r_got=$_got	# set by expect_exit
	maybe_todo "${TODO_MSG:-}" message_like "$_r_pat" "$_r_desc: says why"
	maybe_todo "${TODO_TREE:-}" tree_same "$_r_desc: root unchanged"
	maybe_todo "${TODO_TEMP:-}" no_temporaries "$_w_root" \
		"$_r_desc: no temporary files"
	if [ "$_w_pids" != "  " ]; then
		maybe_todo "${TODO_SVC:-}" is "$(service_pids "$_w_root")" \
			"$_w_pids" "$_r_desc: services untouched"
	fi
	# Judge the next case on its own: undo an unexpected success, then
	# take the root as it is now.
	if [ -n "${WATCH_UNDO:-}" ] && [ "$_r_code" != 0 ] &&
		{ [ "$_r_got" = 0 ] || [ "$_r_got" = 10 ]; }; then
		eval "$WATCH_UNDO" >/dev/null 2>&1
		watch_root "$_w_root"
	else
		mv "$T/.watch-now" "$T/.watch-tree"
		_w_pids=$(service_pids "$_w_root")
	fi
}

# py ARGS...: python3.  The interpreter is resolved once (HFX_PYTHON): a
# pyenv-style shim costs most of a second a call.
py() {
	if [ -z "${HFX_PYTHON:-}" ]; then
		HFX_PYTHON=$(python3 -c 'import sys; print(sys.executable)') || return 1
	fi
	"$HFX_PYTHON" "$@"
}

# fixture ARGS...: tests/integration/fixtures.py ARGS (the hostile package
# builder: tar, edit; see its header).  One fixtures.py server runs for the
# whole script, so each fixture costs no Python start-up.
fixture() {
	if [ -z "${_fix_pid:-}" ]; then
		py -c '' || return 1	# resolve HFX_PYTHON here, once
		coproc _FIX { "$HFX_PYTHON" "$HFX_SRCDIR/tests/integration/fixtures.py" serve; }
		_fix_pid=$_FIX_PID _fix_in=${_FIX[1]} _fix_out=${_FIX[0]}
	fi
	printf '%q ' "$@" >&"$_fix_in" && echo >&"$_fix_in" &&
	IFS= read -r _fix_reply <&"$_fix_out" || _fix_reply="error: no fixtures.py server"
	[ "$_fix_reply" = ok ] || { echo "fixture $1: $_fix_reply" >&2; return 1; }
}

# unpack_package PKG DIR: the members of a package, as files under DIR.
unpack_package() {
	mkdir -p "$2" && tar -C "$2" -xf "$1"
}

# sign_manifest MANIFEST SIG [KEY CERT]: a detached CMS signature, DER, over
# the exact bytes of MANIFEST, as a publisher would make it (default: the
# demo publisher of $PKI).
sign_manifest() {
	openssl cms -sign -binary -outform DER -in "$1" -out "$2" \
		-inkey "${3:-$PKI/publisher.key}" -signer "${4:-$PKI/publisher.pem}" \
		>/dev/null 2>&1
}

# The certificates below use EC P-256 keys: generated in milliseconds,
# where an RSA key takes most of a second.
_ec_req() {
	_ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
		-keyout "$1/$2.key" -out "$1/$2.csr" -subj "$3"
}

# pki_root PKI NAME SUBJECT: a self-signed root CA PKI/NAME.pem.
pki_root() {
	mkdir -p "$1" &&
	_ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-sha256 -days 3650 -keyout "$1/$2.key" -out "$1/$2.pem" -subj "$3" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
}

# pki_issue_ca PKI NAME SUBJECT ISSUER: an intermediate CA PKI/NAME.pem.
pki_issue_ca() {
	printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
		"keyUsage=critical,keyCertSign,cRLSign" \
		"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" \
		> "$1/$2.ext"
	_ec_req "$1" "$2" "$3" &&
	_ossl x509 -req -sha256 -in "$1/$2.csr" -CA "$1/$4.pem" \
		-CAkey "$1/$4.key" -CAcreateserial -days 825 \
		-extfile "$1/$2.ext" -out "$1/$2.pem"
}

# pki_issue_dated PKI NAME SUBJECT ISSUER START END [EKU]: a certificate
# valid from START to END (YYYYMMDDHHMMSSZ) for extendedKeyUsage EKU
# (codeSigning), made with `openssl ca`, which (unlike `openssl x509 -req`
# in OpenSSL 3.0) takes explicit dates.
pki_issue_dated() {
	_d=$1/ca-db.$4
	mkdir -p "$_d" && : >> "$_d/index.txt" &&
	{ [ -f "$_d/serial" ] || echo 1000 > "$_d/serial"; } || return 1
	cat > "$1/$2.cnf" <<CNF
[ca]
default_ca = dated
[dated]
database = $_d/index.txt
new_certs_dir = $_d
serial = $_d/serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
organizationName = optional
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = ${7:-codeSigning}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
	_ec_req "$1" "$2" "$3" &&
	_ossl ca -batch -config "$1/$2.cnf" -extensions ext -notext \
		-preserveDN -cert "$1/$4.pem" -keyfile "$1/$4.key" \
		-startdate "$5" -enddate "$6" -in "$1/$2.csr" -out "$1/$2.pem"
}
