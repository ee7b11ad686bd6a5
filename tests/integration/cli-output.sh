#!/bin/bash
# cli-output.sh -- the command line as administrators script it: every
# command's --json parsed by jq, --quiet silent, usage errors exit 2 with a
# short usage, help and --version, the progress bar on a real terminal (a
# pty made by script(1)) and never on a pipe, --quiet or --json, and
# --syslog sending one line per install/rollback/failure.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

setup_kb899801 || { not_ok "setup"; done_testing; exit 1; }
services_stop "$ROOT"

# --- usage ------------------------------------------------------------------------
expect_exit 2 "unknown command: exit 2" "$HFX" frobnicate
like "$(cat "$T/.err")" "unknown command 'frobnicate'" "it names the command"
is "$(wc -l < "$T/.err")" 3 "a short usage (3 lines)"
expect_exit 2 "unknown option: exit 2" "$HFX" install --frobnicate "$PKG"
like "$(cat "$T/.err")" "usage: hfx install" "the usage of the command"
expect_exit 2 "no command: exit 2" "$HFX"
expect_exit 2 "rollback without an ID: exit 2" "$HFX" rollback
expect_exit 2 "a bad --timeout: exit 2" "$HFX" install --timeout soon "$PKG"
expect_exit 0 "--version" "$HFX" --version
like "$(cat "$T/.out")" "^hfx [0-9]+\.[0-9]+" "prints the version"
expect_exit 0 "help" "$HFX" help
like "$(cat "$T/.out")" "rollback" "help lists the commands"
expect_exit 0 "help install" "$HFX" help install
like "$(cat "$T/.out")" "^usage: hfx install" "help COMMAND shows its usage"
expect_exit 0 "install --help" "$HFX" install --help
like "$(cat "$T/.out")" "--no-services" "COMMAND --help shows its options"

# --- JSON of every command (one document, parsed by jq) ------------------------------
json_ok() { # DESC FILTER CMD...: one JSON document on stdout, FILTER true
	desc=$1 filter=$2
	shift 2
	"$@" > "$T/j.out" 2>/dev/null
	if jq -e "$filter" "$T/j.out" >/dev/null 2>&1 &&
	   [ "$(jq -s length "$T/j.out" 2>/dev/null)" = 1 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "$(head -c 600 "$T/j.out")"
	fi
}
json_ok "info --json" '.id == "KB899801" and .verified and (.files|length) == 2' \
	"$HFX" info --json --root "$ROOT" "$PKG"
json_ok "install --dry-run --json" '.dry_run and .results[0].changed == false and (.results[0].files|length) == 2' \
	"$HFX" install --dry-run --json --no-services --root "$ROOT" "$PKG"
json_ok "install --json" '.ok and .results[0].changed and .exit_code == 0' \
	"$HFX" install --json --no-services --root "$ROOT" "$PKG"
json_ok "query --json" '.hotfixes[0].state == "installed"' "$HFX" query --json --root "$ROOT" KB899801
json_ok "list --json" '.hotfixes[0].id == "KB899801" and .hotfixes[0].rollback_possible' \
	"$HFX" list --json --root "$ROOT"
json_ok "verify --json" '.ok and (.files|length) == 2' "$HFX" verify --json --root "$ROOT"
json_ok "history --json" '(.events|length) >= 1 and .events[-1].command == "install"' \
	"$HFX" history --json --root "$ROOT"
json_ok "fileversion --json" '.files[0].version == "6.5.7233.26" and .files[0].kind == "pe"' \
	"$HFX" fileversion --json "$ROOT/opt/exchsrvr/bin/Lscps.dll"
json_ok "fileversion --json of a non-PE file" '.files[0].kind == "not-pe" and .files[0].version == null' \
	"$HFX" fileversion --json "$ROOT/etc/hfx/services.conf"
json_ok "recover --json" '.ok and .pending == 0' "$HFX" recover --json --root "$ROOT"
json_ok "commit --dry-run --json" '.dry_run and .files == 2' "$HFX" commit --dry-run --json --root "$ROOT" KB899801
json_ok "rollback --json" '.ok and .changed and .files[0].action == "restore"' \
	"$HFX" rollback --json --no-services --root "$ROOT" KB899801
json_ok "pack --json" '.ok and .package != null' "$HFX" pack --json "$HFX_SRCDIR/manifests/KB899801.ini" \
	--payload "$HFX_SRCDIR/payload/KB899801" --key "$PKI/publisher.key" --cert "$PKI/publisher.pem" -o "$T/again.hfx"
json_ok "a failure in --json: one document with the error" '.ok == false and .exit_code == 1 and (.error|test("not installed"))' \
	"$HFX" rollback --json --root "$ROOT" KB899801
mkdir -p "$T/untrusting/etc/hfx/trust"
json_ok "a package refused for trust in --json" '.exit_code == 3 and .results[0].error_kind == "signature-rejected"' \
	"$HFX" install --json --root "$T/untrusting" "$PKG"

# --- quiet ---------------------------------------------------------------------------
expect_exit 0 "install -q" "$HFX" install -q --no-services --root "$ROOT" "$PKG"
is "$(cat "$T/.out")$(cat "$T/.err")" "" "--quiet: nothing on stdout or stderr"
"$HFX" rollback -q --no-services --root "$ROOT" KB899801 >/dev/null 2>&1

# --- the progress bar ----------------------------------------------------------------
# A stop command that takes 1.5 s makes the install last long enough for
# the bar (shown after 1 s).
cat >> "$ROOT/etc/hfx/services.conf" <<'CONF'

[Slow]
start = rm -f "$HFX_ROOT/slow-down"
stop = sleep 1.5; touch "$HFX_ROOT/slow-down"
status = test ! -f "$HFX_ROOT/slow-down"
CONF
sed 's/^services = \(.*\)$/services = Slow, \1/' "$HFX_SRCDIR/manifests/KB899801.ini" > "$T/slow.ini"
"$HFX" pack "$T/slow.ini" --payload "$HFX_SRCDIR/payload/KB899801" --key "$PKI/publisher.key" \
	--cert "$PKI/publisher.pem" -o "$T/slow.hfx" >/dev/null
run_tty() { # OUT CMD...: run CMD on a pty (script(1)), its terminal output in OUT
	out=$1
	shift
	script -qec "$(printf '%q ' "$@")" /dev/null > "$out" 2>&1 < /dev/null
}
run_tty "$T/tty.out" "$HFX" install --root "$ROOT" "$T/slow.hfx"
like "$(tr '\r' '\n' < "$T/tty.out")" "KB899801: \[#+ *\] +[0-9]+%  [0-9]+/[0-9]+ files" \
	"on a terminal, a long install shows a progress bar"
like "$(tr '\r' '\n' < "$T/tty.out")" "files  (swapping files|starting services|recording)" "the bar names the current phase"
"$HFX" rollback -q --root "$ROOT" KB899801 >/dev/null 2>&1
"$HFX" install --root "$ROOT" "$T/slow.hfx" > "$T/pipe.out" 2> "$T/pipe.err"
is "$(grep -c '\[#' "$T/pipe.err" "$T/pipe.out" | awk -F: '{s+=$2} END {print s}')" 0 \
	"not a terminal: no progress bar"
"$HFX" rollback -q --root "$ROOT" KB899801 >/dev/null 2>&1
run_tty "$T/tty-q.out" "$HFX" install -q --root "$ROOT" "$T/slow.hfx"
is "$(grep -c '\[#' "$T/tty-q.out")" 0 "--quiet on a terminal: no progress bar"
"$HFX" rollback -q --root "$ROOT" KB899801 >/dev/null 2>&1
run_tty "$T/tty-j.out" "$HFX" install --json --root "$ROOT" "$T/slow.hfx"
is "$(grep -c '\[#' "$T/tty-j.out")" 0 "--json on a terminal: no progress bar"
"$HFX" rollback -q --root "$ROOT" KB899801 >/dev/null 2>&1

# --- syslog ----------------------------------------------------------------------------
if [ ! -e /dev/log ] && command -v python3 >/dev/null; then
	python3 - "$T/syslog.out" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(20)
with open(sys.argv[1], "w") as out:
    try:
        for _ in range(3):
            out.write(s.recv(4096).decode(errors="replace") + "\n")
            out.flush()
    except socket.timeout:
        pass
os.unlink("/dev/log")
PY
	listener=$!
	for _ in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.05; done
	"$HFX" install -q --syslog --no-services --root "$ROOT" "$PKG"
	"$HFX" rollback -q --syslog --no-services --root "$ROOT" KB899801
	"$HFX" rollback -q --syslog --root "$ROOT" KB899801 2>/dev/null
	wait "$listener"
	like "$(cat "$T/syslog.out")" "hfx\[[0-9]+\]: install KB899801: ok exit=0" "--syslog: one line for the install"
	like "$(cat "$T/syslog.out")" "rollback KB899801: ok exit=0" "--syslog: one line for the rollback"
	like "$(cat "$T/syslog.out")" "rollback KB899801: not-found exit=1" "--syslog: one line for a failure, with its exit code"
	rm -f /dev/log
else
	ok "--syslog # SKIP /dev/log exists (a real syslog runs) or no python3"
fi

done_testing
