#!/bin/bash
# docs.sh -- the man pages and the bash completion against the code: the
# pages are lint-clean for mandoc and render through man(1) without a
# warning; every command of `hfx help` and every long option the CLI
# parses is documented in hfx(8); the completion completes commands and
# the hotfix IDs installed in the root named on the command line.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

PAGES="doc/hfx.8 doc/hfx-manifest.5 doc/hfx.conf.5"

# --- the pages render cleanly -------------------------------------------------
if ! command -v mandoc >/dev/null; then
	not_ok "mandoc is installed (apt-get install mandoc)"
else
	for p in $PAGES; do
		is "$(mandoc -T lint -W warning "$HFX_SRCDIR/$p" 2>&1)" "" \
			"mandoc -T lint -W warning $p is clean"
	done
fi
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
	not_ok "man and groff are installed (apt-get install man-db groff-base)"
else
	for p in $PAGES; do
		# man(1) writes troff's warnings to stderr; the page itself to
		# stdout, which must not be empty either.
		out=$(MANWIDTH=80 man -l "$HFX_SRCDIR/$p" 2>"$T/.man-err")
		is "$(cat "$T/.man-err")" "" "man -l $p renders without warnings"
		check "man -l $p renders a page" test -n "$out"
		is "$(groff -ww -mandoc -Tutf8 -z "$HFX_SRCDIR/$p" 2>&1)" "" \
			"groff -ww $p has no warnings"
	done
fi

# --- hfx(8) covers the CLI -------------------------------------------------------
# The rendered text (overstrike removed) is what a reader sees; options are
# searched for there so that "\-\-root" in the source counts as --root.
if command -v mandoc >/dev/null; then
	mandoc -T ascii "$HFX_SRCDIR/doc/hfx.8" | col -bx > "$T/hfx.8.txt"
else
	MANWIDTH=80 man -l "$HFX_SRCDIR/doc/hfx.8" 2>/dev/null | col -bx > "$T/hfx.8.txt"
fi
# Tag lines of the COMMANDS section start at column 6.
sed -n '/^COMMANDS$/,/^[A-Z]/p' "$T/hfx.8.txt" > "$T/commands.txt"

commands=$("$HFX" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
check "hfx help lists commands" test -n "$commands"
missing=
for c in $commands; do
	grep -Eq "^     $c( |$)" "$T/commands.txt" || missing="$missing $c"
done
is "$missing" "" "every command of hfx help has an entry under COMMANDS in hfx(8)"
alias=$("$HFX" help rollback | sed -n 's/^Alias: \(.*\)\.$/\1/p')
is "$alias" uninstall "hfx help rollback names the alias"
check "the alias uninstall is documented" grep -q "uninstall is an alias" "$T/commands.txt"

longopts=$(sed -n 's/.*{ "\([a-z][a-z-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' \
	"$HFX_SRCDIR"/src/cli/*.c "$HFX_SRCDIR"/src/cli/*.h | sort -u)
check "the CLI sources declare long options" test -n "$longopts"
missing=
for o in $longopts; do
	grep -Eq -- "--$o([^a-z-]|$)" "$T/hfx.8.txt" || missing="$missing --$o"
done
is "$missing" "" "every long option of src/cli/*.c appears in hfx(8)"
missing=
for o in q v h o; do
	grep -Eq -- "(^|[^a-z-])-$o([^a-z-]|$)" "$T/hfx.8.txt" || missing="$missing -$o"
done
is "$missing" "" "every short option appears in hfx(8)"
missing=
for code in 0 1 2 3 4 5 6 7 10; do
	sed -n '/^EXIT STATUS$/,/^[A-Z]/p' "$T/hfx.8.txt" |
		grep -Eq "^     $code( |$)" || missing="$missing $code"
done
is "$missing" "" "every exit status of SPEC.md is under EXIT STATUS"

# --- bash completion ---------------------------------------------------------------
setup_kb899801 >/dev/null 2>&1 || { not_ok "setup"; done_testing; exit 1; }
# Services stopped first: a running one would keep the old DLLs mapped and
# make the install exit 10 (restart required).
services_stop "$ROOT" >/dev/null 2>&1
expect_exit 0 "install KB899801 (no services)" \
	"$HFX" install --quiet --no-services --root "$ROOT" "$PKG"

# complete_line WORD...: what the completion offers for the command line
# WORD... (the last word is the one being completed), one per line, sorted.
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_hfx
	[ ${#COMPREPLY[@]} -gt 0 ] && printf '%s\n' "${COMPREPLY[@]}" | sort
}

run_completion_cases() {
	local how=$1
	is "$(complete_line "$HFX" ro)" rollback "$how: 'hfx ro' completes to rollback"
	is "$(complete_line "$HFX" un)" uninstall "$how: 'hfx un' completes to the alias uninstall"
	is "$(complete_line "$HFX" rollback --root "$ROOT" "")" KB899801 \
		"$how: 'hfx rollback --root R ' completes to the IDs installed in R"
	is "$(complete_line "$HFX" --root "$ROOT" uninstall K)" KB899801 \
		"$how: a --root before the command is honoured"
	is "$(complete_line "$HFX" rollback --root "$T/empty-root" "")" "" \
		"$how: no ID from a root without hotfixes"
	is "$(complete_line "$HFX" install --n)" --no-services \
		"$how: install options complete"
	is "$(complete_line "$HFX" pack --compress "")" "$(printf 'gzip\nxz\nzstd')" \
		"$how: --compress completes its values"
	# In the directory of the sample files; not a subshell, so that the
	# TAP counters survive.
	cd "$T/files" || return
	is "$(complete_line "$HFX" pack x.ini --key "")" "$(printf 'a.pem\nsub')" \
		"$how: --key completes *.pem files (and directories)"
	is "$(complete_line "$HFX" pack "")" "$(printf 'm.ini\nsub')" \
		"$how: pack completes *.ini manifests"
	is "$(complete_line "$HFX" info "")" "$(printf 'p.hfx\nsub')" \
		"$how: info completes *.hfx packages"
	is "$(complete_line "$HFX" --root "")" sub \
		"$how: --root completes directories"
	cd - >/dev/null || return
}

mkdir -p "$T/empty-root" "$T/files/sub"
touch "$T/files/a.pem" "$T/files/m.ini" "$T/files/p.hfx" "$T/files/notes.txt"
# Without bash-completion loaded (plain compgen), then with it (_filedir);
# each in a subshell so the first does not leak into the second, handing
# the TAP counters back through a file.
(
	. "$HFX_SRCDIR/contrib/bash-completion/hfx"
	run_completion_cases "bare bash"
	echo "_tap_n=$_tap_n _tap_failed=$_tap_failed" > "$T/.counts"
)
. "$T/.counts"
# The IDs again without jq, through the sed fallback: a PATH holding every
# tool of the usual one but jq.
mkdir -p "$T/nojq"
for d in /usr/local/bin /usr/bin /bin; do
	for f in "$d"/*; do
		[ "${f##*/}" = jq ] || [ -e "$T/nojq/${f##*/}" ] || ln -s "$f" "$T/nojq/"
	done
done
(
	PATH=$T/nojq
	. "$HFX_SRCDIR/contrib/bash-completion/hfx"
	check "jq is out of reach" test -z "$(command -v jq)"
	is "$(complete_line "$HFX" rollback --root "$ROOT" "")" KB899801 \
		"without jq: 'hfx rollback --root R ' completes to the IDs installed in R"
	echo "_tap_n=$_tap_n _tap_failed=$_tap_failed" > "$T/.counts"
)
. "$T/.counts"
if [ -f /usr/share/bash-completion/bash_completion ]; then
	(
		. /usr/share/bash-completion/bash_completion
		. "$HFX_SRCDIR/contrib/bash-completion/hfx"
		run_completion_cases "bash-completion"
		echo "_tap_n=$_tap_n _tap_failed=$_tap_failed" > "$T/.counts"
	)
	. "$T/.counts"
else
	not_ok "bash-completion is installed (apt-get install bash-completion)"
fi

done_testing
