#!/bin/sh
# run-demo.sh -- the KB899801 demo, end to end, with real components:
# a demo CA and publisher made with openssl, the package built and signed
# by `hfx pack`, a product root with two running demo services that map
# the DLLs they serve, a silent install, query, list, fileversion, and a
# rollback to the original bytes.
#
#   demo/run-demo.sh [DEMO-DIR]      (default: ./demo-root in the build tree)
#
# Run as `make demo` from the build tree.  Exits non-zero if any step does
# not do what it should.
set -eu
HFX_SRCDIR=${HFX_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
HFX_BUILDDIR=${HFX_BUILDDIR:-$(pwd)}
export HFX_SRCDIR HFX_BUILDDIR
. "$HFX_SRCDIR/demo/lib.sh"

work=${1:-$HFX_BUILDDIR/demo-root}
root=$work/root
pki=$work/pki
pkg=$work/KB899801.hfx

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

if [ -d "$root" ]; then services_stop "$root" 2>/dev/null || true; fi
rm -rf "$work"
mkdir -p "$work"
trap 'services_stop "$root" 2>/dev/null || true' EXIT

step "A demo CA and a code-signing publisher certificate (openssl)"
pki_init "$pki" || fail "making the demo PKI"
openssl x509 -in "$pki/publisher.pem" -noout -subject -issuer

step "Build and sign the package"
run "$HFX" pack "$HFX_SRCDIR/manifests/KB899801.ini" \
	--payload "$HFX_SRCDIR/payload/KB899801" \
	--key "$pki/publisher.key" --cert "$pki/publisher.pem" -o "$pkg"

step "A root with Exchange Server 2003 at 6.5.7226.0 and its two services"
make_root "$root" "$pki" || fail "making the root"
services_start "$root" || fail "starting the services"
run "$HFX" info --root "$root" "$pkg" || fail "info exited $?"
run "$HFX" fileversion "$root"/opt/exchsrvr/bin/Lscps.dll "$root"/opt/exchsrvr/bin/Lsmexif.dll
for s in lotus calendar; do
	echo "service $s (pid $(service_pid "$root" $s)) loaded Lscps.dll $(service_version "$root" $s Lscps.dll)"
done
lotus_before=$(service_pid "$root" lotus)

step "Silent install"
run "$HFX" install --quiet --root "$root" "$pkg" || fail "install exited $?"
echo "exit 0"
for s in lotus calendar; do
	v=$(service_version "$root" $s Lscps.dll)
	echo "service $s (pid $(service_pid "$root" $s)) now reports Lscps.dll $v"
	[ "$v" = 6.5.7233.26 ] || fail "service $s runs $v"
done
[ "$(service_pid "$root" lotus)" != "$lotus_before" ] || fail "lotus was not restarted"

step "Is the fix present?"
run "$HFX" query --root "$root" KB899801 || fail "query"
run "$HFX" query --root "$root" --json KB899801
run "$HFX" list --root "$root"
run "$HFX" fileversion "$root"/opt/exchsrvr/bin/Lscps.dll "$root"/opt/exchsrvr/bin/Lsmexif.dll

step "Roll back"
run "$HFX" rollback --root "$root" KB899801 || fail "rollback"
for f in Lscps.dll Lsmexif.dll; do
	cmp "$root/opt/exchsrvr/bin/$f" "$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin/$f" ||
		fail "$f is not the original"
	echo "$f: byte-identical to the original"
done
for s in lotus calendar; do
	v=$(service_version "$root" $s Lscps.dll)
	echo "service $s (pid $(service_pid "$root" $s)) reports Lscps.dll $v"
	[ "$v" = 6.5.7226.0 ] || fail "service $s runs $v after rollback"
done
set +e
run "$HFX" query --root "$root" KB899801
rc=$?
set -e
echo "exit $rc"
[ "$rc" = 1 ] || fail "query after rollback exited $rc, not 1"
run "$HFX" history --root "$root"

step "Demo complete: every step did what it should."
