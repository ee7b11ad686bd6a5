#!/bin/bash
# hostile-tree.sh -- issue 3, the target tree: a good package installed into
# a product tree someone has booby-trapped.  hfx must never write through a
# symlink, out of the product directory or onto a non-file: it refuses
# (exit 1, one message naming the path) and changes nothing -- inside the
# root or outside it.
#
# Static traps: the parent directory of a target is a symlink (to a
# directory elsewhere, to /etc), a target is a symlink, a directory, a
# fifo; the product directory is a symlink leaving the root.  Races: the
# service's stop command (services.conf runs it while hfx waits, after the
# checks and before the swap) replaces a target, or its directory, by a
# symlink to something outside.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

PKI=$T/pki
pki_init "$PKI" && pack_kb899801 "$PKI" "$T/KB899801.hfx" >/dev/null ||
	{ not_ok "setup"; done_testing; exit 1; }
PKG=$T/KB899801.hfx
OLD=$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin
NEW=$HFX_SRCDIR/payload/KB899801/bin

# trap_root NAME: a fresh root $T/NAME (no services) -> $R; and an outside
# directory $T/NAME-outside -> $OUT holding copies of the product's files.
trap_root() {
	R=$T/$1
	OUT=$T/$1-outside
	make_root "$R" "$PKI" && track_root "$R" &&
	mkdir -p "$OUT" && cp "$OLD/Lscps.dll" "$OLD/Lsmexif.dll" "$OUT/"
}

# outside_same DESC: $OUT is as outside_watch saw it (tree_digest), and
# holds no staging file.
outside_watch() { tree_digest "$OUT" > "$T/.outside"; }
outside_same() {
	tree_digest "$OUT" > "$T/.outside-now"
	if cmp -s "$T/.outside" "$T/.outside-now"; then
		ok "$1"
	else
		not_ok "$1"
		diag "$(diff "$T/.outside" "$T/.outside-now" | head -n 10)"
	fi
}

# --- the parent directory of the targets is a symlink out of the product -------
for how in absolute relative; do
	trap_root parent-$how
	rm -rf "$R/opt/exchsrvr/bin"
	if [ $how = absolute ]; then
		ln -s "$OUT" "$R/opt/exchsrvr/bin"
	else
		ln -s "../../../parent-$how-outside" "$R/opt/exchsrvr/bin"
	fi
	services_start "$R"	# they load the DLLs through the link
	watch_root "$R"
	outside_watch
	refused 1 "opt/exchsrvr/bin/Lscps\.dll: path leaves its directory through a symlink" \
		"bin/ is an $how symlink to a directory outside" \
		"$HFX" install --root "$R" "$PKG"
	outside_same "bin/ -> outside ($how): the outside directory is untouched"
done

trap_root parent-etc
rm -rf "$R/opt/exchsrvr/bin"
ln -s /etc "$R/opt/exchsrvr/bin"
watch_root "$R"
refused 1 "opt/exchsrvr/bin/Lscps\.dll: path leaves its directory through a symlink" \
	"bin/ is a symlink to /etc" "$HFX" install --root "$R" "$PKG"
is "$(find /etc -maxdepth 1 \( -name 'Ls*.dll' -o -name '*.hfx-*' \))" "" \
	"bin/ -> /etc: nothing written to /etc"

# --- a target is a symlink, a directory, a fifo ------------------------------------
trap_root target-link
rm "$R/opt/exchsrvr/bin/Lscps.dll"
ln -s "$OUT/Lscps.dll" "$R/opt/exchsrvr/bin/Lscps.dll"
services_start "$R"
watch_root "$R"
outside_watch
refused 1 "opt/exchsrvr/bin/Lscps\.dll is a symbolic link; refusing to replace a link" \
	"the target is a symlink to a file outside" "$HFX" install --root "$R" "$PKG"
outside_same "target -> outside: the outside file is untouched"

trap_root target-dir
rm "$R/opt/exchsrvr/bin/Lscps.dll"
mkdir "$R/opt/exchsrvr/bin/Lscps.dll"
echo keep > "$R/opt/exchsrvr/bin/Lscps.dll/inside"
watch_root "$R"
refused 1 "opt/exchsrvr/bin/Lscps\.dll is a directory, not a file" \
	"the target is a directory" "$HFX" install --root "$R" "$PKG"

trap_root target-fifo
rm "$R/opt/exchsrvr/bin/Lscps.dll"
mkfifo "$R/opt/exchsrvr/bin/Lscps.dll"
watch_root "$R"
refused 1 "opt/exchsrvr/bin/Lscps\.dll is not a regular file" \
	"the target is a fifo" timeout 20 "$HFX" install --root "$R" "$PKG"
# Opening the fifo would block until timeout(1) killed hfx: exit 124, not 1.

# --- the product directory is an absolute symlink: it resolves inside the root -----
trap_root product-link
mv "$R/opt/exchsrvr" "$OUT/exchsrvr"
ln -s "$OUT/exchsrvr" "$R/opt/exchsrvr"
watch_root "$R"
outside_watch
refused 4 "product directory of Microsoft Exchange Server 2003 not found" \
	"the product directory is an absolute symlink out of the root" \
	"$HFX" install --root "$R" "$PKG"
outside_same "product dir -> outside the root: the outside tree is untouched"

# --- races: the stop command plants the symlink after the checks ----------------
# stop_hook ROOT SCRIPT: the Connector for Lotus Notes is stopped by a
# script that stops it and then runs SCRIPT (sh, HFX_ROOT set).
stop_hook() {
	{
		echo '#!/bin/sh'
		echo '"$HFX_ROOT/usr/sbin/exchsvc" stop lotus || exit 1'
		echo "$2"
	} > "$1/usr/sbin/stop-lotus"
	chmod 0755 "$1/usr/sbin/stop-lotus"
	sed -i 's|^stop = .*stop lotus$|stop = "$HFX_ROOT/usr/sbin/stop-lotus"|' \
		"$1/etc/hfx/services.conf"
	grep -q stop-lotus "$1/etc/hfx/services.conf" || diag "stop hook not installed"
}

trap_root race-file
stop_hook "$R" "mv \"\$HFX_ROOT/opt/exchsrvr/bin/Lscps.dll\" \"$OUT/Lscps.moved\" &&
ln -s \"$OUT/Lscps.dll\" \"\$HFX_ROOT/opt/exchsrvr/bin/Lscps.dll\""
services_start "$R"
outside_sha=$(sha256_of "$OUT/Lscps.dll")
expect_exit 1 "race: Lscps.dll becomes a symlink during the stop: exit 1" \
	"$HFX" install --root "$R" "$PKG"
like "$(cat "$T/.err")" "opt/exchsrvr/bin/Lscps\.dll changed since it was checked" \
	"race: the message names the file that changed"
is "$(sha256_of "$OUT/Lscps.dll")" "$outside_sha" "race: the file outside is untouched (not written through the link)"
is "$(readlink "$R/opt/exchsrvr/bin/Lscps.dll")" "$OUT/Lscps.dll" \
	"race: the planted symlink is left as it is, not replaced"
check "race: Lsmexif.dll is still the old one (all old)" \
	cmp "$R/opt/exchsrvr/bin/Lsmexif.dll" "$OLD/Lsmexif.dll"
no_temporaries "$R" "race: no temporary files in the root"
no_temporaries "$OUT" "race: no temporary files outside"
is "$(find "$R/var/lib/hfx/store" -type f 2>/dev/null)" "" "race: nothing left in the store"
check "race: both services run again" test -n "$(service_pid "$R" lotus)" -a \
	-n "$(service_pid "$R" calendar)"
expect_exit 1 "race: query says KB899801 is absent" "$HFX" query --root "$R" KB899801

trap_root race-dir
stop_hook "$R" "mv \"\$HFX_ROOT/opt/exchsrvr/bin\" \"\$HFX_ROOT/opt/exchsrvr/bin.moved\" &&
ln -s \"$OUT\" \"\$HFX_ROOT/opt/exchsrvr/bin\""
services_start "$R"
outside_watch
"$HFX" install --root "$R" "$PKG" >"$T/.out" 2>"$T/.err"
diag "race on bin/: install exited $? ($(head -n 1 "$T/.err"))"
outside_same "race: bin/ becomes a symlink during the stop: the outside directory is untouched"
no_temporaries "$R" "race on bin/: no temporary files in the root"
no_temporaries "$OUT" "race on bin/: no temporary files outside"
moved=$R/opt/exchsrvr/bin.moved
if cmp -s "$moved/Lscps.dll" "$OLD/Lscps.dll"; then
	check "race on bin/: the real directory holds the old files, both" \
		cmp "$moved/Lsmexif.dll" "$OLD/Lsmexif.dll"
else
	check "race on bin/: the real directory holds the new files, both" \
		sh -c "cmp '$moved/Lscps.dll' '$NEW/Lscps.dll' && cmp '$moved/Lsmexif.dll' '$NEW/Lsmexif.dll'"
fi

done_testing
