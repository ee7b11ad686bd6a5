#!/bin/bash
# hostile-package.sh -- issue 3, packages: every malformed, mis-signed or
# hostile package is refused with exit 3 and one message naming the
# problem, before anything is touched: the root is byte for byte as it was,
# no *.hfx-* file is left, the running services keep their pids.
#
# Fixtures are built at test time by fixtures.py from the members of a good
# package (manifest.ini, manifest.sig, payload/...), so each one differs
# from an installable package by exactly the defect under test.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

setup_kb899801 || { not_ok "setup"; done_testing; exit 1; }
R=$ROOT
U=$T/good
unpack_package "$PKG" "$U"
MI=file:manifest.ini=$U/manifest.ini
MS=file:manifest.sig=$U/manifest.sig
PL=file:payload/bin/Lscps.dll=$U/payload/bin/Lscps.dll
PX=file:payload/bin/Lsmexif.dll=$U/payload/bin/Lsmexif.dll
WATCH_UNDO='"$HFX" rollback -q --no-services --root "$_w_root" KB899801'

# pkg NAME FIXTURE-ARGS...: build $T/NAME.hfx with fixtures.py.
pkg() {
	_name=$1
	shift
	fixture tar -o "$T/$_name.hfx" "$@" || diag "fixture $_name not built"
}

# rejects NAME PATTERN DESC: installing $T/NAME.hfx on the watched root is
# refused with exit 3 and a message matching "rejected: PATTERN".
rejects() {
	refused 3 "$T/$1\.hfx rejected: $2" "$3" \
		"$HFX" install --root "$_w_root" "$T/$1.hfx"
}

# signed_manifest NAME PYTHON: $T/NAME/manifest.ini is the good manifest
# edited by PYTHON (on the string s), signed by the demo publisher.
signed_manifest() {
	mkdir -p "$T/$1"
	fixture edit "$U/manifest.ini" "$T/$1/manifest.ini" "$2" &&
	sign_manifest "$T/$1/manifest.ini" "$T/$1/manifest.sig"
}

# A scratch root (no services) for a case hfx currently accepts, so that
# its install cannot spoil the shared root.
scratch_root() {
	make_root "$T/$1" "$PKI" && track_root "$T/$1"
	watch_root "$T/$1"
}

# --- controls: the fixtures differ from a good package only by their defect ---
pkg control -z zstd "$MI" "$MS" "$PL" "$PX"
expect_exit 0 "control: the good members, re-packed by fixtures.py, pass info" \
	"$HFX" info --root "$R" "$T/control.hfx"
signed_manifest cms-control "pass"
pkg cms-control "file:manifest.ini=$T/cms-control/manifest.ini" \
	"file:manifest.sig=$T/cms-control/manifest.sig" "$PL" "$PX"
expect_exit 0 "control: a manifest signed with openssl cms passes info" \
	"$HFX" info --root "$R" "$T/cms-control.hfx"
watch_root "$R"

# --- member order and the signature --------------------------------------------
pkg sig-first "$MS" "$MI" "$PL" "$PX"
rejects sig-first "member 'manifest\.sig' found where manifest\.ini must be" \
	"manifest.ini not first"
pkg payload-first "$PL" "$MI" "$MS" "$PX"
rejects payload-first "member 'payload/bin/Lscps\.dll' found where manifest\.ini must be" \
	"a payload member first"
pkg no-sig "$MI" "$PL" "$PX"
rejects no-sig "member 'payload/bin/Lscps\.dll' found where manifest\.sig must be" \
	"manifest.sig missing"
pkg only-manifest "$MI"
rejects only-manifest "manifest\.sig is missing" "nothing but manifest.ini"
pkg empty-sig "$MI" text:manifest.sig= "$PL" "$PX"
rejects empty-sig "manifest\.sig is empty" "manifest.sig empty"
head -c 1500 /dev/urandom > "$T/random.sig"
pkg random-sig "$MI" "file:manifest.sig=$T/random.sig" "$PL" "$PX"
rejects random-sig "manifest\.sig is not a DER CMS structure" "manifest.sig random bytes"

signed_manifest other-bytes "s = s.replace('title = ', 'title = other ')"
pkg other-bytes "$MI" "file:manifest.sig=$T/other-bytes/manifest.sig" "$PL" "$PX"
rejects other-bytes "signature of manifest\.ini is not valid.*signer: CN=Demo Hotfix Publisher" \
	"a valid signature over other bytes"

pki_root "$T/other" ca "/O=elsewhere/CN=Elsewhere Root CA" &&
pki_issue_dated "$T/other" rogue "/O=elsewhere/CN=Rogue Publisher" ca \
	20200101000000Z 20990101000000Z
sign_manifest "$U/manifest.ini" "$T/rogue.sig" "$T/other/rogue.key" "$T/other/rogue.pem"
pkg rogue "$MI" "file:manifest.sig=$T/rogue.sig" "$PL" "$PX"
rejects rogue "signature of manifest\.ini is not valid: .*issuer certificate.*signer: CN=Rogue Publisher" \
	"signed by an untrusted certificate"

pki_issue_dated "$PKI" expired "/O=hfx demo/CN=Expired Publisher" ca \
	20200101000000Z 20210101000000Z
sign_manifest "$U/manifest.ini" "$T/expired.sig" "$PKI/expired.key" "$PKI/expired.pem"
pkg expired "$MI" "file:manifest.sig=$T/expired.sig" "$PL" "$PX"
rejects expired "signature of manifest\.ini is not valid: +certificate has expired.*signer: CN=Expired Publisher" \
	"signed by an expired certificate"

pki_issue_dated "$PKI" future "/O=hfx demo/CN=Future Publisher" ca \
	20990101000000Z 21000101000000Z
sign_manifest "$U/manifest.ini" "$T/future.sig" "$PKI/future.key" "$PKI/future.pem"
pkg future "$MI" "file:manifest.sig=$T/future.sig" "$PL" "$PX"
rejects future "signature of manifest\.ini is not valid: +certificate is not yet valid.*signer: CN=Future Publisher" \
	"signed by a certificate not yet valid"

# An intermediate CA that is not in the trust store: the chain must be
# embedded (hfx pack --chain) or the signer does not reach the root.
pki_issue_ca "$PKI" inter "/O=hfx demo/CN=hfx Demo Intermediate CA" ca &&
pki_issue "$PKI" chained "/O=hfx demo/CN=Chained Publisher" inter
"$HFX" pack "$HFX_SRCDIR/manifests/KB899801.ini" --payload "$HFX_SRCDIR/payload/KB899801" \
	--key "$PKI/chained.key" --cert "$PKI/chained.pem" -o "$T/no-chain.hfx" >/dev/null
rejects no-chain "signature of manifest\.ini is not valid: +unable to get local issuer certificate.*signer: CN=Chained Publisher" \
	"intermediate CA neither trusted nor embedded"
"$HFX" pack "$HFX_SRCDIR/manifests/KB899801.ini" --payload "$HFX_SRCDIR/payload/KB899801" \
	--key "$PKI/chained.key" --cert "$PKI/chained.pem" --chain "$PKI/inter.pem" \
	-o "$T/chain.hfx" >/dev/null
expect_exit 0 "control: the same signer with the intermediate embedded (--chain) is accepted" \
	"$HFX" info --root "$R" "$T/chain.hfx"
like "$(cat "$T/.out")" "signed by: +CN=Chained Publisher,O=hfx demo \(verified\)" \
	"control: info names the chained signer, verified"

pki_issue_dated "$PKI" tls "/O=hfx demo/CN=TLS Server" ca \
	20200101000000Z 20990101000000Z serverAuth
sign_manifest "$U/manifest.ini" "$T/tls.sig" "$PKI/tls.key" "$PKI/tls.pem"
pkg tls "$MI" "file:manifest.sig=$T/tls.sig" "$PL" "$PX"
rejects tls "signer CN=TLS Server,O=hfx demo is not allowed to sign code" \
	"signed by a trusted certificate without codeSigning"

# --- payload members against the manifest --------------------------------------
pkg extra "$MI" "$MS" "$PL" "$PX" text:payload/bin/extra.dll=hello
rejects extra "member 'payload/bin/extra\.dll' is not listed in the manifest" \
	"a payload member not listed"
signed_manifest one-file "s = s[:s.index('[file bin/Lsmexif.dll]')]"
pkg one-file "file:manifest.ini=$T/one-file/manifest.ini" \
	"file:manifest.sig=$T/one-file/manifest.sig" "$PL" "$PX"
rejects one-file "member 'payload/bin/Lsmexif\.dll' is not listed in the manifest" \
	"a member the (validly signed) manifest does not list"
pkg missing "$MI" "$MS" "$PL"
rejects missing "payload/bin/Lsmexif\.dll is listed in the manifest but missing" \
	"a listed file missing"
signed_manifest size "s = s.replace('size = 332288', 'size = 332287')"
pkg size "file:manifest.ini=$T/size/manifest.ini" "file:manifest.sig=$T/size/manifest.sig" "$PL" "$PX"
rejects size "member 'payload/bin/Lscps\.dll' is 332288 bytes but the manifest says 332287" \
	"member size differs from the signed manifest"
signed_manifest sha "s = s.replace('sha256 = ad55', 'sha256 = bd55')"
pkg sha "file:manifest.ini=$T/sha/manifest.ini" "file:manifest.sig=$T/sha/manifest.sig" "$PL" "$PX"
rejects sha "SHA-256 of member 'payload/bin/Lscps\.dll' does not match the manifest" \
	"member SHA-256 differs from the signed manifest"
cp "$U/payload/bin/Lscps.dll" "$T/tampered.dll"
printf 'X' | dd of="$T/tampered.dll" bs=1 seek=4096 conv=notrunc 2>/dev/null
pkg tampered "$MI" "$MS" "file:payload/bin/Lscps.dll=$T/tampered.dll" "$PX"
rejects tampered "SHA-256 of member 'payload/bin/Lscps\.dll' does not match the manifest" \
	"payload bytes changed after signing (same size)"
pkg dup "$MI" "$MS" "$PL" "$PL" "$PX"
rejects dup "member 'payload/bin/Lscps\.dll' appears twice" "a duplicate payload member"
pkg dup-manifest "$MI" "$MI" "$MS" "$PL" "$PX"
rejects dup-manifest "member 'manifest\.ini' found where manifest\.sig must be" \
	"a duplicate manifest.ini"

# --- names: absolute, .., odd bytes, long ----------------------------------------
pkg abs "$MI" "$MS" "file:/payload/bin/Lscps.dll=$U/payload/bin/Lscps.dll" "$PX"
rejects abs "member '/payload/bin/Lscps\.dll' is not listed in the manifest" \
	"an absolute member name"
pkg abs-etc "$MI" "$MS" "$PL" "$PX" "text:/etc/cron.d/hfx-evil=* * * * * root id"
rejects abs-etc "member '/etc/cron\.d/hfx-evil' is not listed in the manifest" \
	"an absolute member outside payload/"
pkg dotdot "$MI" "$MS" "$PL" "$PX" "text:payload/../../etc/cron.d/hfx-evil=x"
rejects dotdot "member 'payload/\.\./\.\./etc/cron\.d/hfx-evil' is not listed in the manifest" \
	"a member escaping with '..'"
pkg dotdot-in "$MI" "$MS" "file:payload/bin/../bin/Lscps.dll=$U/payload/bin/Lscps.dll" "$PX"
rejects dotdot-in "member 'payload/bin/\.\./bin/Lscps\.dll' is not listed in the manifest" \
	"a '..' component inside the payload"
pkg newline "$MI" "$MS" "$PL" "file:payload/bin/Lsmexif.dll\n=$U/payload/bin/Lsmexif.dll"
rejects newline "member 'payload/bin/Lsmexif\.dll\\\\x0a' is not listed in the manifest" \
	"a name ending in a newline (shown escaped)"
pkg backslash "$MI" "$MS" "file:payload\\\\bin\\\\Lscps.dll=$U/payload/bin/Lscps.dll" "$PX"
rejects backslash "member 'payload\\\\x5cbin\\\\x5cLscps\.dll' is not listed in the manifest" \
	"a name with backslashes (shown escaped)"
pkg escape "$MI" "$MS" "$PL" "$PX" 'text:payload/\x1b[31mred\x1b[0m=x'
rejects escape "member 'payload/\\\\x1b\[31mred\\\\x1b\[0m' is not listed in the manifest" \
	"a name with terminal escapes (shown escaped)"
pkg high-bytes "$MI" "$MS" "$PL" "$PX" 'text:payload/bin/\xff\xfe\x9b.dll=x'
rejects high-bytes "member 'payload/bin/\\\\xff\\\\xfe\\\\x9b\.dll' is not listed in the manifest" \
	"a name with bytes that are not UTF-8 (shown escaped)"
expect_exit 3 "the same, --json: exit 3" "$HFX" install --json --root "$R" "$T/high-bytes.hfx"
is "$(jq -r '.results[0].error | type' "$T/.out" 2>&1)" string \
	"the same, --json: the document carries the error"
long=payload/$(printf 'a%.0s' $(seq 300))
pkg long300 "$MI" "$MS" "$PL" "$PX" "text:$long=x"
rejects long300 "member 'payload/a{100,}\.\.\.' is not listed in the manifest" \
	"a 308-byte name (pax), shown shortened"
long=payload/$(printf 'b%.0s' $(seq 5000))
pkg long5000 "$MI" "$MS" "$PL" "$PX" "text:$long=x"
rejects long5000 "member 'payload/b{100,}\.\.\.' is not listed in the manifest" \
	"a 5008-byte name (pax), shown shortened"

# --- member types ------------------------------------------------------------------
pkg symlink "$MI" "$MS" symlink:payload/bin/Lscps.dll=/etc/passwd "$PX"
rejects symlink "member 'payload/bin/Lscps\.dll' is a symbolic link" \
	"a symlink member in place of a payload file"
pkg symlink-extra "$MI" "$MS" "$PL" "$PX" symlink:payload/bin/evil=/etc/shadow
rejects symlink-extra "member 'payload/bin/evil' is a symbolic link" "an extra symlink member"
pkg hardlink "$MI" "$MS" "$PL" hardlink:payload/bin/Lsmexif.dll=payload/bin/Lscps.dll
rejects hardlink "member 'payload/bin/Lsmexif\.dll' is a hard link" "a hardlink member"
pkg hardlink-etc "$MI" "$MS" "$PL" "$PX" hardlink:payload/bin/shadow=/etc/shadow
rejects hardlink-etc "member 'payload/bin/shadow' is a hard link" "a hardlink to /etc/shadow"
pkg chardev "$MI" "$MS" chardev:payload/bin/Lscps.dll=1,3 "$PX"
rejects chardev "member 'payload/bin/Lscps\.dll' is a character device" "a character device member"
mkdir -p "$T/tarred/payload/bin" && cp "$U/manifest.ini" "$U/manifest.sig" "$T/tarred/"
if mknod "$T/tarred/payload/bin/null" c 1 3 2>/dev/null; then
	tar -C "$T/tarred" --zstd --format=pax -cf "$T/mknod.hfx" \
		manifest.ini manifest.sig payload/bin/null
	rejects mknod "member 'payload/bin/null' is a character device" \
		"a character device made by tar from a mknod node"
else
	ok "a character device made by tar from a mknod node # SKIP mknod needs root"
fi
pkg blockdev "$MI" "$MS" "$PL" "$PX" blockdev:payload/bin/sda=8,0
rejects blockdev "member 'payload/bin/sda' is a block device" "a block device member"
pkg fifo "$MI" "$MS" "$PL" fifo:payload/bin/Lsmexif.dll
rejects fifo "member 'payload/bin/Lsmexif\.dll' is a fifo" "a fifo member"
pkg dir "$MI" "$MS" dir:payload/bin "$PL" "$PX"
rejects dir "member 'payload/bin/?' is a directory" "a directory member"

# --- the container ------------------------------------------------------------------
pkg plain -z none "$MI" "$MS" "$PL" "$PX"
rejects plain "not compressed with gzip, xz or zstd" "an uncompressed tar"
gzip -c "$T/control.hfx" > "$T/double.hfx"
rejects double "compressed more than once" "a package compressed twice"
: > "$T/empty.hfx"
rejects empty "cannot read it" "an empty file"
pkg gnu --format gnu "$MI" "$MS" "$PL" "$PX"
rejects gnu "only ustar and pax archives are accepted, not 'GNU tar format'" \
	"a GNU-format tar (only ustar and pax)"

# Truncated: the compressed file cut at several points ...
for z in zstd gzip xz; do
	pkg good-$z -z $z "$MI" "$MS" "$PL" "$PX"
	size=$(stat -c %s "$T/good-$z.hfx")
	cuts="10 $((size / 2)) $((size - 1))"
	[ $z = zstd ] && cuts="10 $((size / 2)) $((size - 40)) $((size - 1))"
	for cut in $cuts; do
		head -c "$cut" "$T/good-$z.hfx" > "$T/cut-$z-$cut.hfx"
		rejects cut-$z-$cut "(.*)?[Tt]runcated" \
			"$z package cut at byte $cut of $size"
	done
done
# ... the tar cut inside a member, its compression intact ...
for cut in 700 3000 200000; do
	pkg tar-cut-$cut --cut $cut "$MI" "$MS" "$PL" "$PX"
	rejects tar-cut-$cut "member '[^']+' is damaged or truncated: Truncated tar archive" \
		"tar cut at byte $cut, compression intact"
done
# ... and the tar cut right after the last member: no end-of-archive blocks.
scratch_root noeof-root
pkg no-eof --no-eof "$MI" "$MS" "$PL" "$PX"
rejects no-eof "(.* )?(truncated|end of the archive|end-of-archive)" \
	"tar cut after the last member (no end-of-archive blocks)"
watch_root "$R"

# Garbage after the archive: appended bytes outside the compression ...
for z in gzip zstd xz; do
	cp "$T/good-$z.hfx" "$T/append-$z.hfx"
	printf 'GARBAGE AFTER THE ARCHIVE' >> "$T/append-$z.hfx"
	# gzip ends its stream cleanly and the garbage is seen after it; zstd
	# and xz fail to decode it while the tar reader still reads ahead.
	rejects append-$z "(.* )?(garbage after the|followed by garbage)" "$z package with bytes appended"
done
# ... and inside it: one more compressed member / frame / stream of garbage.
for z in gzip zstd xz; do
	cp "$T/good-$z.hfx" "$T/member-$z.hfx"
	printf 'this is not a tar archive\n' | $z -c >> "$T/member-$z.hfx"
	rejects member-$z "garbage after the end of the archive" \
		"a second $z member of garbage after the archive"
done

# --- bombs: tiny packages whose members declare or expand to gigabytes --------------
# Expanding one costs seconds of CPU (4 GiB of zeros: zstd alone 0.7 s,
# gzip about 8 s, plus hashing); a refusal costs a few tens of ms.  CPU
# time, unlike wall-clock time, does not grow when the machine is busy.
pkg decl-manifest decl:manifest.ini=10G
rejects decl-manifest "manifest\.ini is 10737418240 bytes, over the 4194304-byte limit" \
	"a pax header declaring a 10 GiB manifest.ini"
check "it is refused without being expanded ($REFUSED_CPU_MS ms of CPU, limit 500)" \
	test "$REFUSED_CPU_MS" -lt 500
pkg decl-sig "$MI" decl:manifest.sig=10G
rejects decl-sig "manifest\.sig is 10737418240 bytes, over the 262144-byte limit" \
	"a pax header declaring a 10 GiB manifest.sig"
pkg decl-payload "$MI" "$MS" decl:payload/bin/Lscps.dll=10G
rejects decl-payload "member 'payload/bin/Lscps\.dll' is 10737418240 bytes but the manifest says 332288" \
	"a pax header declaring a 10 GiB payload member"
for z in zstd gzip; do
	pkg bomb-$z -z $z zeros:manifest.ini=4G
	check "the $z bomb is small ($(stat -c %s "$T/bomb-$z.hfx") bytes for 4 GiB)" \
		test "$(stat -c %s "$T/bomb-$z.hfx")" -lt 8000000
	rejects bomb-$z "manifest\.ini is 4294967296 bytes, over the 4194304-byte limit" \
		"a $z stream of 4 GiB of zeros as manifest.ini"
	check "it is refused without being expanded ($REFUSED_CPU_MS ms of CPU, limit 500)" \
	test "$REFUSED_CPU_MS" -lt 500
done
pkg bomb-payload -z zstd "$MI" "$MS" zeros:payload/bin/Lscps.dll=4G "$PX"
rejects bomb-payload "member 'payload/bin/Lscps\.dll' is 4294967296 bytes but the manifest says 332288" \
	"a zstd stream of 4 GiB of zeros as a payload member"
check "it is refused without being expanded ($REFUSED_CPU_MS ms of CPU, limit 500)" \
	test "$REFUSED_CPU_MS" -lt 500
pkg many -z gzip "$MI" "$MS" many:payload/junk-=100000
rejects many "member 'payload/junk-000000' is not listed in the manifest" \
	"100,000 empty members, refused at the first"
check "it is refused without being expanded ($REFUSED_CPU_MS ms of CPU, limit 500)" \
	test "$REFUSED_CPU_MS" -lt 500

# --- a hostile package is refused even when there is nothing to do --------------------
# The whole package is checked (SPEC: anything else rejects the whole
# package), whether or not its files are needed here.
DONE=$T/done-root
make_root "$DONE" "$PKI" && track_root "$DONE"
"$HFX" install -q --no-services --root "$DONE" "$PKG"
services_start "$DONE"
watch_root "$DONE"
rejects tampered "SHA-256 of member 'payload/bin/Lscps\.dll' does not match the manifest" \
	"a tampered package of a hotfix already installed"
SAME=$T/same-root
make_root "$SAME" "$PKI" && track_root "$SAME"
cp "$U/payload/bin/Lscps.dll" "$U/payload/bin/Lsmexif.dll" "$SAME/opt/exchsrvr/bin/"
watch_root "$SAME"
rejects symlink "member 'payload/bin/Lscps\.dll' is a symbolic link" \
	"a hostile package whose files are all already present"

done_testing
