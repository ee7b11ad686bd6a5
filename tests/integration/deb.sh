#!/bin/bash
# deb.sh -- the Debian package: built with dpkg-buildpackage from a copy of
# the source tree, it holds the command, the man pages and the completion;
# installed into a scratch dpkg root (never on the host) its hfx runs the
# KB899801 demo end to end, and it was built without the crash points.
#
# Slow (a full configure and build); HFX_SKIP_DEB=1 skips it.

if [ "${HFX_SKIP_DEB:-0}" = 1 ]; then
	echo "1..0 # SKIP HFX_SKIP_DEB=1"
	exit 0
fi
for tool in dpkg-buildpackage dpkg-deb dpkg; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (apt-get install dpkg-dev debhelper)"
		exit 0
	fi
done
if [ "$(id -u)" != 0 ]; then
	# dpkg --root still wants to chown what it unpacks.
	echo "1..0 # SKIP installing into a scratch dpkg root needs root"
	exit 0
fi

. "$HFX_SRCDIR/tests/integration/testlib.sh"

# --- a copy of the source tree -------------------------------------------------
# From a git checkout: the files git knows, tracked or new (not ignored), so
# work not yet committed is packaged too.  From a release tarball (make
# distcheck): the whole tree.  Generated autotools files are remade by
# dh_autoreconf either way.
SRC=$T/build/hfx
mkdir -p "$SRC"
if git -C "$HFX_SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$HFX_SRCDIR" &&
	 git ls-files -z --cached --others --exclude-standard |
	 while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	 done | xargs -0 cp --parents -a -t "$SRC")
else
	cp -a "$HFX_SRCDIR"/. "$SRC"
fi
chmod -R u+w "$SRC"	# distcheck's source tree is read-only
check "the copy has debian/rules" test -x "$SRC/debian/rules"
check "the copy is not configured" test ! -e "$SRC/config.status"

# --- build -----------------------------------------------------------------------
# The make running this test exports its jobserver and flags; the package's
# own make must not inherit them.
(cd "$SRC" &&
 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u DESTDIR \
	DEB_BUILD_OPTIONS="parallel=$(nproc 2>/dev/null || echo 2)" \
	dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1
rc=$?
is "$rc" 0 "dpkg-buildpackage -us -uc -b succeeds"
[ "$rc" = 0 ] || diag "$(tail -n 40 "$T/build.log")"
DEB=$(ls "$T"/build/hfx_*.deb 2>/dev/null | head -n 1)
check "the .deb was written" test -f "$DEB"
if [ ! -f "$DEB" ]; then
	done_testing
	exit 1
fi
diag "$(tail -n 8 "$T/build.log")"
like "$(cat "$T/build.log")" "--disable-fault-injection" \
	"configured with --disable-fault-injection"

# --- contents --------------------------------------------------------------------
dpkg-deb -c "$DEB" | awk '{print $NF}' > "$T/contents"
for f in ./usr/sbin/hfx ./usr/share/man/man8/hfx.8.gz \
	./usr/share/man/man5/hfx-manifest.5.gz ./usr/share/man/man5/hfx.conf.5.gz \
	./usr/share/bash-completion/completions/hfx ./etc/hfx/trust/ ./var/lib/hfx/; do
	check "the package holds $f" grep -qx -- "$f" "$T/contents"
done
like "$(dpkg-deb -f "$DEB" Depends)" "libarchive" "Depends computed from the shared libraries"

# --- install into a scratch dpkg root --------------------------------------------
# A minimal admin directory is all dpkg needs; --force-depends because the
# root has none of the libraries (the host's are used to run it).
D=$T/dpkgroot
mkdir -p "$D/var/lib/dpkg/info" "$D/var/lib/dpkg/updates" "$D/var/lib/dpkg/triggers"
touch "$D/var/lib/dpkg/status" "$D/var/lib/dpkg/available"
expect_exit 0 "dpkg --root installs the package" \
	dpkg --root="$D" --log="$T/dpkg.log" --force-depends --force-script-chrootless \
	-i "$DEB"
is "$(dpkg-query --admindir="$D/var/lib/dpkg" -W -f='${Status}' hfx 2>/dev/null)" \
	"install ok installed" "dpkg records hfx as installed in the scratch root"
check "nothing of it on the host" test ! -e /var/lib/dpkg/info/hfx.list
check "/etc/hfx/trust is created" test -d "$D/etc/hfx/trust"
check "/var/lib/hfx is created" test -d "$D/var/lib/hfx"

HFXDEB=$D/usr/sbin/hfx
expect_exit 0 "hfx --version runs" "$HFXDEB" --version
is "$(cat "$T/.out")" "$("$HFX" --version)" "it is this version"
check "its man page renders" sh -c "MANWIDTH=80 man -l '$D/usr/share/man/man8/hfx.8.gz' | grep -q 'hfx install'"

# --- the demo with the packaged hfx ----------------------------------------------
# The demo's service daemon comes from the build tree (it is not packaged).
HFX=$HFXDEB HFX_SRCDIR=$HFX_SRCDIR HFX_BUILDDIR=$HFX_BUILDDIR \
	sh "$HFX_SRCDIR/demo/run-demo.sh" "$T/demo" > "$T/demo.log" 2>&1
rc=$?
is "$rc" 0 "demo/run-demo.sh passes with the packaged hfx"
[ "$rc" = 0 ] && diag "$(tail -n 3 "$T/demo.log")" ||
	diag "$(tail -n 30 "$T/demo.log")"

# The crash points are compiled out: HFX_FAULT_KILL_AT=1 must not kill it.
expect_exit 0 "the packaged hfx ignores HFX_FAULT_KILL_AT" \
	env HFX_FAULT_KILL_AT=1 "$HFXDEB" install --quiet --no-services \
	--root "$T/demo/root" "$T/demo/KB899801.hfx"

done_testing
