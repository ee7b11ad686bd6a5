#!/bin/bash
# io-faults.sh -- disk full (ENOSPC) and I/O errors (EIO) injected at every
# write while the new files are staged: the install must abort cleanly,
# exit 1 with the reason, and leave the root exactly as it was (no staged
# file, no journal, no record).  Also a real ENOSPC on a small tmpfs when
# this machine lets us mount one.
. "$HFX_SRCDIR/tests/integration/testlib.sh"
. "$HFX_SRCDIR/tests/integration/crashlib.sh"

crash_fixture || { not_ok "fixture"; done_testing; exit 1; }
tree_snapshot "$CRASH_TEMPLATE" > "$T/snap-template"

R=$T/count
cp -a "$CRASH_TEMPLATE" "$R"
expect_exit 0 "install counting its staging writes" \
	env HFX_FAULT_TRACE="$T/trace" "$HFX" install -q --no-services --root "$R" "$CRASH_PKG"
W=$(grep -c '^io ' "$T/trace")
diag "staging makes $W writes"
rm -rf "$R"

stride=4
[ "${HFX_EXHAUSTIVE:-0}" = 1 ] && stride=1
for e in ENOSPC EIO; do
	case $e in
	ENOSPC) msg="No space left on device" ;;
	EIO) msg="Input/output error" ;;
	esac
	for n in $(seq 1 "$stride" "$W"); do
		R=$T/io
		rm -rf "$R"
		cp -a "$CRASH_TEMPLATE" "$R"
		env HFX_FAULT_IO_AT="$n" HFX_FAULT_IO_ERRNO="$e" "$HFX" install -q \
			--no-services --root "$R" "$CRASH_PKG" >/dev/null 2>"$T/.err"
		rc=$?
		why=""
		[ "$rc" = 1 ] || why="$why exit $rc;"
		grep -q "$msg" "$T/.err" || why="$why message: $(head -c 200 "$T/.err");"
		tree_snapshot "$R" > "$T/snap-now"
		# the copy has new inode numbers: compare without them
		if ! diff <(sed 's/ [0-9]* \([0-9a-f]\{64\}\)$/ \1/' "$T/snap-template") \
			<(sed 's/ [0-9]* \([0-9a-f]\{64\}\)$/ \1/' "$T/snap-now") >/dev/null; then
			why="$why tree changed;"
		fi
		[ -z "$(find "$R" -name '*.hfx-*')" ] || why="$why temporaries left;"
		[ "$(sqlite3 "$R/var/lib/hfx/hfx.db" 'select count(*) from txn')" = 0 ] || why="$why journal left;"
		[ "$(sqlite3 "$R/var/lib/hfx/hfx.db" 'select count(*) from hotfix')" = 0 ] || why="$why recorded;"
		if [ -z "$why" ]; then
			ok "$e at staging write $n: exit 1, \"$msg\", nothing changed"
		else
			not_ok "$e at staging write $n:$why"
		fi
	done
done

# A real full disk, if we may mount a small tmpfs: the root fits, the
# 8 MiB file to stage does not.
MNT=$T/small
mkdir -p "$MNT"
if mount -t tmpfs -o size=6m hfxtest "$MNT" 2>/dev/null; then
	(cd "$CRASH_TEMPLATE" && tar --exclude=./opt/crash/lib/big.bin -cf - .) |
		(cd "$MNT" && tar -xpf -)
	head -c 1048576 /dev/urandom > "$MNT/opt/crash/lib/big.bin"
	tree_snapshot "$MNT" > "$T/snap-small"
	expect_exit 1 "a really full disk: exit 1" \
		"$HFX" install -q --no-services --root "$MNT" "$CRASH_PKG"
	like "$(cat "$T/.err")" "space" "the message says there is no space"
	unchanged "$MNT" "$T/snap-small" "a full disk leaves the tree as it was"
	no_temporaries "$MNT" "no staged file left on the full disk"
	umount "$MNT"
else
	ok "real ENOSPC on tmpfs # SKIP cannot mount tmpfs here"
fi
done_testing
