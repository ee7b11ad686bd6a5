#!/bin/bash
# kb899801.sh -- the KB899801 slice end to end: pack, info, install with
# real services, query, list, fileversion, already installed, verify,
# rollback to the original bytes; not applicable; files already newer;
# unsigned, untrusted and tampered packages refused with nothing touched.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

setup_kb899801 || { not_ok "setup"; done_testing; exit 1; }
ORIG=$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin
NEW=$HFX_SRCDIR/payload/KB899801/bin

# --- pack and info ---------------------------------------------------------
expect_exit 0 "info verifies the package" "$HFX" info --root "$ROOT" "$PKG"
like "$(cat "$T/.out")" "signed by: +CN=Demo Hotfix Publisher,O=hfx demo \(verified\)" \
	"info names the signer"
expect_exit 0 "info --json" "$HFX" info --json --root "$ROOT" "$PKG"
is "$(json_get "$T/.out" '.files | length')" 2 "info --json lists two files"
is "$(json_get "$T/.out" '.files[0].sha256')" \
	"$(sha256sum < "$NEW/Lscps.dll" | cut -c1-64)" "manifest carries the payload's SHA-256"
expect_exit 1 "query before install: absent" "$HFX" query --root "$ROOT" "$PKG"

# --- install with services ---------------------------------------------------
# An unusual mode and owner on one target, so keeping them is observable;
# the original's inode, to show it is kept by a link, not copied.
chmod 0750 "$ROOT/opt/exchsrvr/bin/Lscps.dll"
chown 4321:8765 "$ROOT/opt/exchsrvr/bin/Lscps.dll"
orig_ino=$(stat -c %i "$ROOT/opt/exchsrvr/bin/Lscps.dll")
lotus_pid=$(service_pid "$ROOT" lotus)
cal_pid=$(service_pid "$ROOT" calendar)
expect_exit 0 "silent install exits 0" "$HFX" install --quiet --root "$ROOT" "$PKG"
is "$(cat "$T/.out")" "" "--quiet prints nothing on stdout"
check "new Lscps.dll in place" cmp "$ROOT/opt/exchsrvr/bin/Lscps.dll" "$NEW/Lscps.dll"
check "new Lsmexif.dll in place" cmp "$ROOT/opt/exchsrvr/bin/Lsmexif.dll" "$NEW/Lsmexif.dll"
is "$(service_version "$ROOT" lotus Lscps.dll)" 6.5.7233.26 "Connector for Lotus Notes runs the new Lscps.dll"
is "$(service_version "$ROOT" lotus Lsmexif.dll)" 6.5.7233.26 "Connector for Lotus Notes runs the new Lsmexif.dll"
is "$(service_version "$ROOT" calendar Lscps.dll)" 6.5.7233.26 "Calendar Connector runs the new Lscps.dll"
new_lotus=$(service_pid "$ROOT" lotus)
new_cal=$(service_pid "$ROOT" calendar)
check "Connector for Lotus Notes was restarted" test -n "$new_lotus" -a "$new_lotus" != "$lotus_pid"
check "Calendar Connector was restarted" test -n "$new_cal" -a "$new_cal" != "$cal_pid"
is "$(stat -c '%a %u:%g' "$ROOT/opt/exchsrvr/bin/Lscps.dll")" "750 4321:8765" \
	"mode and owner of the replaced file kept"
is "$(stat -c '%a %u:%g' "$ROOT/opt/exchsrvr/bin/Lsmexif.dll")" "644 0:0" \
	"the other file keeps its own mode and owner"
check "original kept in the store" \
	cmp "$ROOT/var/lib/hfx/store/KB899801/bin/Lscps.dll" "$ORIG/Lscps.dll"
is "$(stat -c %i "$ROOT/var/lib/hfx/store/KB899801/bin/Lscps.dll")" "$orig_ino" \
	"... as the same inode (a link, not a copy)"
no_temporaries "$ROOT" "no staging files left"

expect_exit 0 "query: installed" "$HFX" query --root "$ROOT" KB899801
expect_exit 0 "query --json" "$HFX" query --json --root "$ROOT" KB899801
is "$(json_get "$T/.out" '.hotfixes[0].state')" installed "JSON state installed"
is "$(json_get "$T/.out" '[.hotfixes[0].files[].ok] | all')" true "JSON: every file ok"
is "$(json_get "$T/.out" '.hotfixes[0].files[0].installed_version')" 6.5.7233.26 "JSON installed_version"
expect_exit 0 "query by package: installed" "$HFX" query --root "$ROOT" "$PKG"
expect_exit 0 "list" "$HFX" list --root "$ROOT"
like "$(cat "$T/.out")" "^KB899801 +installed" "list shows KB899801 installed"
expect_exit 0 "fileversion" "$HFX" fileversion "$ROOT/opt/exchsrvr/bin/Lscps.dll"
like "$(cat "$T/.out")" ": 6\.5\.7233\.26$" "fileversion prints the new version"

snap=$T/snap-installed
tree_snapshot "$ROOT" > "$snap"
expect_exit 0 "installing again exits 0" "$HFX" install --json --root "$ROOT" "$PKG"
is "$(json_get "$T/.out" '.results[0].changed')" false "installing again: changed false"
unchanged "$ROOT" "$snap" "installing again touches nothing"
is "$(service_pid "$ROOT" lotus)" "$new_lotus" "installing again does not restart services"
expect_exit 0 "verify: all files match the record" "$HFX" verify --root "$ROOT"
cp "$ROOT/opt/exchsrvr/bin/Lsmexif.dll" "$T/keep-lsmexif"
cp "$ORIG/Lsmexif.dll" "$ROOT/opt/exchsrvr/bin/Lsmexif.dll"
expect_exit 1 "verify after an older Lsmexif.dll was copied back: exit 1" "$HFX" verify --json --root "$ROOT"
is "$(json_get "$T/.out" '.files[] | select(.path|endswith("Lsmexif.dll")) | .status')" downgraded \
	"verify reports it downgraded (PE version below the record)"
expect_exit 1 "query: partial" "$HFX" query --root "$ROOT" KB899801
like "$(cat "$T/.out")" "KB899801: partial" "the state is partial"
cp "$T/keep-lsmexif" "$ROOT/opt/exchsrvr/bin/Lsmexif.dll"
expect_exit 0 "verify again once the file is restored" "$HFX" verify --root "$ROOT"

# --- rollback ----------------------------------------------------------------
expect_exit 0 "rollback exits 0" "$HFX" rollback --root "$ROOT" KB899801
check "Lscps.dll byte-identical to the original" cmp "$ROOT/opt/exchsrvr/bin/Lscps.dll" "$ORIG/Lscps.dll"
check "Lsmexif.dll byte-identical to the original" cmp "$ROOT/opt/exchsrvr/bin/Lsmexif.dll" "$ORIG/Lsmexif.dll"
is "$(stat -c '%i %a %u:%g' "$ROOT/opt/exchsrvr/bin/Lscps.dll")" "$orig_ino 750 4321:8765" \
	"the original inode is back, with its mode and owner"
is "$(service_version "$ROOT" lotus Lscps.dll)" 6.5.7226.0 "services restarted on the old files"
is "$(service_version "$ROOT" calendar Lscps.dll)" 6.5.7226.0 "calendar restarted on the old files"
expect_exit 1 "query after rollback exits 1" "$HFX" query --root "$ROOT" KB899801
expect_exit 1 "rollback of a hotfix not installed exits 1" "$HFX" rollback --root "$ROOT" KB899801
no_temporaries "$ROOT" "no undo files left, the trash emptied in the background"
check "the store is empty again" test -z "$(find "$ROOT/var/lib/hfx/store" -type f 2>/dev/null)"

# --- not applicable ------------------------------------------------------------
EMPTY=$T/empty
mkdir -p "$EMPTY/etc/hfx/trust" && cp "$PKI/ca.pem" "$EMPTY/etc/hfx/trust/"
tree_snapshot "$EMPTY" > "$T/snap-empty"
expect_exit 4 "install where the product is missing: exit 4" "$HFX" install --root "$EMPTY" "$PKG"
like "$(cat "$T/.err")" "not applicable" "the message says not applicable"
unchanged "$EMPTY" "$T/snap-empty" "nothing created on a root where it does not apply"
like "$(cat "$EMPTY/var/log/hfx.log")" "install KB899801: not-applicable exit=4" "the refusal is logged"
expect_exit 4 "query where the product is missing: exit 4" "$HFX" query --root "$EMPTY" "$PKG"

# --- files already at or above ----------------------------------------------------
MIX=$T/mix
make_root "$MIX" "$PKI" && track_root "$MIX"
cp "$NEW/Lscps.dll" "$MIX/opt/exchsrvr/bin/Lscps.dll"
ino_before=$(stat -c %i "$MIX/opt/exchsrvr/bin/Lscps.dll")
expect_exit 0 "install with one file already at the version" "$HFX" install --json --no-services --root "$MIX" "$PKG"
is "$(json_get "$T/.out" '.results[0].files[] | select(.path|endswith("Lscps.dll")) | .action')" keep-equal \
	"the file already at the version is left alone"
is "$(json_get "$T/.out" '.results[0].files[] | select(.path|endswith("Lsmexif.dll")) | .action')" replace \
	"the lower one is replaced"
is "$(stat -c %i "$MIX/opt/exchsrvr/bin/Lscps.dll")" "$ino_before" "the equal file was not rewritten"

# A hotfix older than what is installed: everything is newer, nothing done.
mkdir -p "$T/old-src"
sed -e 's/^id = KB899801/id = KB800000/' -e 's/6\.5\.7233\.26/6.5.7226.0/' \
	"$HFX_SRCDIR/manifests/KB899801.ini" > "$T/old-src/KB800000.ini"
"$HFX" pack "$T/old-src/KB800000.ini" --payload "$ORIG/.." --key "$PKI/publisher.key" \
	--cert "$PKI/publisher.pem" -o "$T/KB800000.hfx" >/dev/null
tree_snapshot "$MIX" > "$T/snap-mix"
expect_exit 0 "an older hotfix over newer files exits 0" "$HFX" install --json --no-services --root "$MIX" "$T/KB800000.hfx"
is "$(json_get "$T/.out" '[.results[0].files[].action] | unique | join(",")')" keep-newer "every file reported as newer, left alone"
is "$(json_get "$T/.out" '.results[0].changed')" false "nothing changed"
unchanged "$MIX" "$T/snap-mix" "newer files untouched"
expect_exit 0 "query of the older hotfix: present" "$HFX" query --json --root "$MIX" "$T/KB800000.hfx"
is "$(json_get "$T/.out" '.hotfixes[0].state')" present "state present (files above, no record)"

# --- refused packages touch nothing ---------------------------------------------------
R2=$T/refuse
make_root "$R2" "$PKI" && track_root "$R2"
services_start "$R2"
tree_snapshot "$R2" > "$T/snap-r2"
r2_pid=$(service_pid "$R2" lotus)

# untrusted: signed by another CA
pki_init "$T/other" >/dev/null
pack_kb899801 "$T/other" "$T/untrusted.hfx" >/dev/null
expect_exit 3 "package signed by an untrusted CA: exit 3" "$HFX" install --root "$R2" "$T/untrusted.hfx"
like "$(cat "$T/.err")" "Demo Hotfix Publisher" "the message names the signer"

# unsigned: manifest.sig missing
mkdir -p "$T/unpack" && (cd "$T/unpack" && tar --zstd -xf "$PKG")
(cd "$T/unpack" && tar --zstd --format=ustar -cf "$T/unsigned.hfx" manifest.ini payload/bin/Lscps.dll payload/bin/Lsmexif.dll)
expect_exit 3 "package without a signature: exit 3" "$HFX" install --root "$R2" "$T/unsigned.hfx"

# tampered: the manifest changed after signing
sed -i 's/^title = .*/title = tampered/' "$T/unpack/manifest.ini"
(cd "$T/unpack" && tar --zstd --format=ustar -cf "$T/tampered.hfx" manifest.ini manifest.sig payload/bin/Lscps.dll payload/bin/Lsmexif.dll)
expect_exit 3 "package with a tampered manifest: exit 3" "$HFX" install --root "$R2" "$T/tampered.hfx"
like "$(cat "$T/.err")" "signature" "the message says the signature is bad"

unchanged "$R2" "$T/snap-r2" "refused packages changed nothing under the root"
is "$(service_pid "$R2" lotus)" "$r2_pid" "refused packages did not touch services"

done_testing
