#!/bin/bash
# hostile-manifest.sh -- issue 3, manifests: a malformed manifest is refused
# with one message naming its line (or the missing key).
#
#  - in a package, validly signed by the trusted demo publisher (so only
#    the manifest is at fault): install exits 3 and touches nothing -- the
#    root, temporaries, the running services;
#  - as the source manifest of `hfx pack`: exit 1, and no package written.
#
# Each bad manifest is the good one with one edit (Python code run on its
# text s, by fixtures.py edit); the same edit is applied to the packaged
# manifest and to manifests/KB899801.ini, whose line numbers differ.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

setup_kb899801 || { not_ok "setup"; done_testing; exit 1; }
R=$ROOT
U=$T/good
unpack_package "$PKG" "$U"
SRC=$HFX_SRCDIR/manifests/KB899801.ini
PL=file:payload/bin/Lscps.dll=$U/payload/bin/Lscps.dll
PX=file:payload/bin/Lsmexif.dll=$U/payload/bin/Lsmexif.dll
mkdir -p "$T/src" "$T/out"
WATCH_UNDO='"$HFX" rollback -q --no-services --root "$_w_root" KB899801'

# bad_manifest NAME EDIT: $T/NAME.hfx, the good package with its manifest
# edited by EDIT and signed again by the demo publisher; and
# $T/src/NAME.ini, the source manifest edited the same way.
bad_manifest() {
	mkdir -p "$T/$1"
	fixture edit "$U/manifest.ini" "$T/$1/manifest.ini" "$2" &&
	sign_manifest "$T/$1/manifest.ini" "$T/$1/manifest.sig" &&
	fixture tar -o "$T/$1.hfx" "file:manifest.ini=$T/$1/manifest.ini" \
		"file:manifest.sig=$T/$1/manifest.sig" "$PL" "$PX" &&
	fixture edit "$SRC" "$T/src/$1.ini" "$2" || diag "fixture $1 not built"
}

# rejects NAME PATTERN DESC: installing $T/NAME.hfx is refused, exit 3,
# with a message "...NAME.hfx:manifest.ini" followed by PATTERN.
rejects() {
	refused 3 "$1\.hfx:manifest\.ini$2" "package: $3" \
		"$HFX" install --root "$R" "$T/$1.hfx"
}

# pack_fails NAME PATTERN DESC: hfx pack of $T/src/NAME.ini exits 1 with a
# message "...NAME.ini" followed by PATTERN, and writes nothing.
pack_fails() {
	expect_exit 1 "pack: $3: exit 1" "$HFX" pack "$T/src/$1.ini" \
		--payload "$HFX_SRCDIR/payload/KB899801" --key "$PKI/publisher.key" \
		--cert "$PKI/publisher.pem" -o "$T/out/$1.hfx"
	message_like "src/$1\.ini$2" "pack: $3: says why"
	is "$(ls -A "$T/out")" "" "pack: $3: no package, no temporary file"
}

watch_root "$R"

# --- required keys ------------------------------------------------------------
for key in id title product product-dir; do
	bad_manifest no-$key "import re; s = re.sub(r'(?m)^$key = .*\n', '', s, 1)"
	rejects no-$key ": \[hotfix\] lacks the required key '$key'" "no $key"
	pack_fails no-$key ": \[hotfix\] lacks the required key '$key'" "no $key"
done
bad_manifest no-version "s = s.replace('version = 6.5.7233.26\n', '', 1)"
rejects no-version ":11: \[file bin/Lscps\.dll\] lacks the required key 'version'" \
	"a [file] without version"
pack_fails no-version ":17: \[file bin/Lscps\.dll\] lacks the required key 'version'" \
	"a [file] without version"
bad_manifest no-size "s = s.replace('size = 332288\n', '')"
rejects no-size ":11: \[file bin/Lscps\.dll\] lacks 'size'" "a packaged [file] without size"

# --- unknown keys, and x-* keys, which are ignored ------------------------------
bad_manifest unknown "s = s.replace('\nrestart =', '\ncolour = blue\nrestart =')"
rejects unknown ":6: unknown key 'colour' in \[hotfix\]" "an unknown key in [hotfix]"
pack_fails unknown ":12: unknown key 'colour' in \[hotfix\]" "an unknown key in [hotfix]"
bad_manifest unknown-file "s = s.replace('date = 2005-06-13T20:50:00Z', 'date = 2005-06-13T20:50:00Z\ncolour = blue')"
rejects unknown-file ":14: unknown key 'colour' in \[file bin/Lscps\.dll\]" \
	"an unknown key in a [file]"
pack_fails unknown-file ":20: unknown key 'colour' in \[file bin/Lscps\.dll\]" \
	"an unknown key in a [file]"
bad_manifest x-keys "s = s.replace('\nrestart =', '\nx-colour = blue\nrestart =').replace('date = 2005-06-13T20:50:00Z', 'date = 2005-06-13T20:50:00Z\nx-build = 4711')"
expect_exit 0 "package: x-* keys are ignored: the package is accepted" \
	"$HFX" info --root "$R" "$T/x-keys.hfx"
expect_exit 0 "pack: x-* keys are ignored: the manifest packs" "$HFX" pack "$T/src/x-keys.ini" \
	--payload "$HFX_SRCDIR/payload/KB899801" --key "$PKI/publisher.key" \
	--cert "$PKI/publisher.pem" -o "$T/x-keys-packed.hfx"

# --- versions --------------------------------------------------------------------
n=0
for v in "6.5.x|expected a number at 'x'" "70000.1|part above 65535" \
	"|empty version" "1.2.3.4.5|more than four parts" "6..5|expected a number" \
	"-1|expected a number"; do
	n=$((n + 1))
	text=${v%%|*} why=${v#*|}
	bad_manifest version-$n "s = s.replace('version = 6.5.7233.26', 'version = $text', 1)"
	rejects version-$n ":12: \[file bin/Lscps\.dll\]: .*$why" "version '$text'"
	pack_fails version-$n ":18: \[file bin/Lscps\.dll\]: .*$why" "version '$text'"
done

# --- targets -----------------------------------------------------------------------
mkdir -p "$T/outside" && echo "not yours" > "$T/outside/victim"
victim_sha=$(sha256_of "$T/outside/victim")
n=0
for target in ../../etc/shadow /etc/shadow bin/../../../etc/shadow "$T/outside/victim" \
	./bin/Lscps.dll bin//Lscps.dll 'bin\\Lscps.dll'; do
	n=$((n + 1))
	label=${target/#$T/\$T}	# stable test names
	label=${label//\\\\/\\}	# the Python literal's \\ is one backslash
	bad_manifest target-$n "s = s.replace('[file bin/Lscps.dll]', '[file $target]')"
	rejects target-$n ":11: target '.*' must be a clean path relative to the product directory" \
		"target $label"
	pack_fails target-$n ":17: target '.*' must be a clean path relative to the product directory" \
		"target $label"
done
is "$(sha256_of "$T/outside/victim")" "$victim_sha" "the file an absolute target names is untouched"
bad_manifest twice "s = s.replace('[file bin/Lsmexif.dll]', '[file bin/Lscps.dll]')"
rejects twice ":17: \[file bin/Lscps\.dll\] given twice \(first at line 11\)" \
	"two sections for the same target"
pack_fails twice ":21: \[file bin/Lscps\.dll\] given twice \(first at line 17\)" \
	"two sections for the same target"

# --- size, line length, bytes ----------------------------------------------------------
bad_manifest huge "s = s + (';' + 'x' * 100 + '\n') * 42000"
refused 3 "huge\.hfx rejected: manifest\.ini is [0-9]+ bytes, over the 4194304-byte limit" \
	"package: a manifest over 4 MiB" "$HFX" install --root "$R" "$T/huge.hfx"
pack_fails huge ": too large \([0-9]+ bytes, limit 4194304\)" "a manifest over 4 MiB"
bad_manifest long-line "s = s.replace('title = ', 'title = ' + 'A' * 200)"
rejects long-line ":3: line longer than 198 bytes" "a line over 198 bytes"
pack_fails long-line ":9: line longer than 198 bytes" "a line over 198 bytes"
bad_manifest long-comment "s = s.replace('[hotfix]', ';' + 'c' * 250 + '\n[hotfix]')"
rejects long-comment ":1: line longer than 198 bytes" "a comment line over 198 bytes"
bad_manifest control "s = s.replace('title = ', 'title = \x01')"
rejects control ":3: control byte 0x01" "a control byte"
pack_fails control ":9: control byte 0x01" "a control byte"
bad_manifest nul "s = s.replace('title = ', 'title = \x00')"
rejects nul ":3: control byte 0x00" "a NUL byte"
pack_fails nul ":9: control byte 0x00" "a NUL byte"
bad_manifest escape "s = s.replace('title = ', 'title = \x1b[2J')"
rejects escape ":3: control byte 0x1b" "a terminal escape"

# --- an empty item in a list (a typo must not pass as a shorter list) -----------------
bad_manifest empty-item "s = s.replace('Connector for Lotus Notes, Calendar Connector', 'Connector for Lotus Notes,, Calendar Connector', 1)"
rejects empty-item ":7: services: empty item in list" "an empty item in services"
pack_fails empty-item ":13: services: empty item in list" "an empty item in services"

done_testing
