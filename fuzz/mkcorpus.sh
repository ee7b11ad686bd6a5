#!/bin/bash
# fuzz/mkcorpus.sh -- regenerate the seed corpora in fuzz/corpus/.
#
# Usage: HFX=/path/to/src/hfx fuzz/mkcorpus.sh
#        (or HFX_BUILDDIR=/path/to/build, which has src/hfx)
#
# The seeds are committed, so neither a build nor `make check` runs this
# script; run it only to change the seeds, then review and commit what it
# wrote.  Needs: a built hfx (for `hfx pack`), openssl, python3 (tarfile,
# gzip, lzma, bz2 from the standard library, for the hand-made archives),
# zstd.
#
# What the seeds are for.  A fuzzer starting from nothing spends most of
# its time learning the syntax; seeds that are already valid (the
# KB899801 manifest, real signed packages, real DLLs) put it next to the
# interesting decisions at once, and the broken variants each sit on one
# side of one check (a link member, a ".." name, a duplicate, a
# truncation...), so mutations explore both sides.  Every seed is small:
# the fuzzers run more inputs per second on small inputs, and the corpus
# ships in the dist tarball.
#
# The packages are signed by a throwaway CA made here and thrown away:
# fuzz_package does not check signatures (see fuzz_package.c), it only
# needs real CMS bytes where manifest.sig belongs.
set -eu

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
HFX=${HFX:-${HFX_BUILDDIR:-$SRCDIR}/src/hfx}
OUT=$SRCDIR/fuzz/corpus
[ -x "$HFX" ] || { echo "mkcorpus.sh: no hfx at $HFX (set HFX or HFX_BUILDDIR)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/hfx-mkcorpus.XXXXXX")
trap 'rm -rf "$T"' EXIT

# Regression seeds (regress-*: inputs that once found a bug) are kept
# across regenerations; everything else is rebuilt.
mkdir -p "$T/regress"
(cd "$OUT" 2>/dev/null && find . -name 'regress-*' -type f | tar -cf - -T - | tar -xf - -C "$T/regress")
rm -rf "$OUT"
mkdir -p "$OUT/fuzz_manifest" "$OUT/fuzz_pe" "$OUT/fuzz_package" "$OUT/fuzz_config"
(cd "$T/regress" && find . -type f | tar -cf - -T - | tar -xf - -C "$OUT")

# --- PE files --------------------------------------------------------------
# The test fixtures as they are, a compact copy of the real KB899801
# Lscps.dll (its 320 KiB padding section dropped, the sections after it
# moved down, so the version resource is intact in 6 KiB), and a few
# edits that each break one step of the walk.
python3 - "$SRCDIR" "$OUT/fuzz_pe" <<'PY'
import struct, sys, shutil
src, out = sys.argv[1], sys.argv[2]
for n in ("pe32plus.dll", "noversion.dll", "version-only-ms.dll"):
    shutil.copy(f"{src}/tests/data/pe/{n}", f"{out}/{n}")

def sections(b):
    e = struct.unpack_from("<I", b, 0x3c)[0]
    ns = struct.unpack_from("<H", b, e + 6)[0]
    osz = struct.unpack_from("<H", b, e + 20)[0]
    st = e + 24 + osz
    return [(st + 40 * i,) + struct.unpack_from("<8sIIII", b, st + 40 * i)
            for i in range(ns)]

b = bytearray(open(f"{src}/payload/KB899801/bin/Lscps.dll", "rb").read())
secs = sections(b)
pad = next(s for s in secs if s[1].rstrip(b"\0") == b".hfxpad")
hdr, _, _, _, raw_size, raw_ptr = pad
compact = bytearray(b[:raw_ptr] + b[raw_ptr + raw_size:])
struct.pack_into("<II", compact, hdr + 16, 0, 0)   # no raw data
for h, _, _, _, rs, rp in secs:
    if rp > raw_ptr:
        struct.pack_into("<I", compact, h + 20, rp - raw_size)
open(f"{out}/lscps-compact.dll", "wb").write(compact)
# Headers and section table only: every RVA maps beyond the end.
open(f"{out}/lscps-headers-only.dll", "wb").write(compact[:0x400])
# The fixed info's signature broken: a PE without a usable version.
p32 = bytearray(open(f"{src}/tests/data/pe/pe32plus.dll", "rb").read())
i = p32.find(struct.pack("<I", 0xFEEF04BD))
bad = bytearray(p32); bad[i] ^= 0xff
open(f"{out}/pe32plus-bad-fixed-sig.dll", "wb").write(bad)
# wLength of VS_VERSIONINFO larger than its resource.
bad = bytearray(p32)
k = p32.find("VS_VERSION_INFO".encode("utf-16-le")) - 6
struct.pack_into("<H", bad, k, 0xffff)
open(f"{out}/pe32plus-vs-wlength.dll", "wb").write(bad)
# A DOS stub whose e_lfanew points past the end.
dos = bytearray(64); dos[0:2] = b"MZ"; struct.pack_into("<I", dos, 0x3c, 0x1000)
open(f"{out}/mz-lfanew-past-end.bin", "wb").write(dos)
PY

# --- manifests ---------------------------------------------------------------
M=$OUT/fuzz_manifest
cp "$SRCDIR/manifests/KB899801.ini" "$M/kb899801.ini"
# The same with CRLF line ends and a UTF-8 byte order mark.
printf '\357\273\277' > "$M/kb899801-crlf-bom.ini"
sed 's/$/\r/' "$SRCDIR/manifests/KB899801.ini" >> "$M/kb899801-crlf-bom.ini"
cat > "$M/minimal.ini" <<'EOF'
[hotfix]
id = KB1
title = t
product = p
product-dir = /p
restart = none

[file a]
version = 1
EOF
cat > "$M/new-files.ini" <<'EOF'
[hotfix]
id = KB2.1_x-y
title = New files, lists and extension keys
product = Example Product
product-dir = /opt/example/current
restart = reboot
supersedes = KB1, KB0.9
requires = KB0
x-vendor-note = ignored by hfx

[file bin/tool]
version = 2.0.1
new = yes
mode = 0755
x-local = also ignored

[file share/doc/example/README]
version = 65535.65535.65535.65535
new = no
date = 2024-02-29T23:59:60Z
EOF
cat > "$M/packaged-sizes.ini" <<'EOF'
[hotfix]
id = KB3
title = Packaged form
product = p
product-dir = /p
restart = services
services = A, B service, C
supersedes =
requires =

[file x/y.dll]
version = 1.2.3.4
size = 0
sha256 = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

[file x/z]
version = 1.2
new = yes
mode = 0600
size = 18446744073709551615
sha256 = E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855
EOF
# Lines at and just over libinih's limit (198 bytes of text).
{
	printf '[hotfix]\nid = KB4\n'
	printf 'title = %s\n' "$(printf 'T%.0s' $(seq 190))"
	printf 'product = p\nproduct-dir = /p\nrestart = none\n\n[file a]\nversion = 1\n'
} > "$M/line-198.ini"
{
	printf '[hotfix]\nid = KB4\n'
	printf 'title = %s\n' "$(printf 'T%.0s' $(seq 191))"
	printf 'product = p\nproduct-dir = /p\nrestart = none\n\n[file a]\nversion = 1\n'
} > "$M/line-199.ini"
# One refusal each.
printf '[hotfix]\nid = KB5\nid = KB5\n' > "$M/bad-duplicate-key.ini"
printf '[hotfix]\nid = KB5\ntitle = a\n  continued\nproduct = p\nproduct-dir = /p\nrestart = none\n[file a]\nversion = 1\n' > "$M/bad-continuation.ini"
printf '[hotfix]\nid = KB5\ntitle = a\nproduct = p\nproduct-dir = /p\nrestart = none\n[file bin]\nversion = 1\n[file bin/x]\nversion = 1\n[file bin-x]\nversion = 1\n' > "$M/bad-nested-target.ini"
printf '[hotfix]\nid = KB5\ntitle = a\nproduct = p\nproduct-dir = /p/../q\nrestart = none\n[file ../etc/passwd]\nversion = 1\n' > "$M/bad-dotdot.ini"
printf '[file a]\nversion = 1\n[hotfix]\nid = KB5\n' > "$M/bad-file-first.ini"
printf '[hotfix]\nid = KB5\ntitle = a\x01b\n' > "$M/bad-control-byte.ini"
printf '[hotfix] ; x\nid = KB5\n[file a ;b]\nversion = 1.2.3.4.5\nsize = -1\nmode = 0777\n' > "$M/bad-values.ini"

# --- host configuration --------------------------------------------------------
C=$OUT/fuzz_config
cat > "$C/hfx.conf" <<'EOF'
# /etc/hfx/hfx.conf
[hfx]
timeout = 90
lock-timeout = 0
syslog = yes

[product Microsoft Exchange Server 2003]
dir = /srv/wine/drive_c/Program Files/Exchsrvr

[product Example]
dir = /opt/example
EOF
cat > "$C/services-demo.conf" <<'EOF'
# The demo services run inside this root; hfx runs these commands with
# HFX_ROOT set to the root.
[Connector for Lotus Notes]
start = "$HFX_ROOT/usr/sbin/exchsvc" start lotus
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop lotus
status = "$HFX_ROOT/usr/sbin/exchsvc" status lotus

[Calendar Connector]
start = "$HFX_ROOT/usr/sbin/exchsvc" start calendar
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop calendar
status = "$HFX_ROOT/usr/sbin/exchsvc" status calendar
health = test -S /run/calendar.sock
EOF
cat > "$C/services-units.conf" <<'EOF'
[Connector for Lotus Notes]
unit = exchange-lotus.service
health = /usr/lib/exchange/check-lotus

[Calendar Connector]
unit = calcon
EOF
printf '[hfx]\ntimeout = 86401\n' > "$C/bad-timeout.conf"
printf '[product X]\ndir = relative/path\n[product X]\n' > "$C/bad-product.conf"
printf '[Svc]\nstop = a\nstart = b\n\n[Svc]\nunit = a/b\n' > "$C/bad-services.conf"
printf 'timeout = 5\n[]\nunit =\n' > "$C/bad-outside.conf"

# --- packages ------------------------------------------------------------------
# Two tiny signed packages made by `hfx pack`, in each compression, then
# hand-made archives from their members (python's tarfile writes exactly
# the member types and orders we ask for).
(
	HFX_SRCDIR=$SRCDIR HFX_BUILDDIR=${HFX_BUILDDIR:-$SRCDIR}
	export HFX_SRCDIR HFX_BUILDDIR
	. "$SRCDIR/demo/lib.sh"
	pki_init "$T/pki"
)
mkdir -p "$T/payload/bin" "$T/payload/etc"
cp "$OUT/fuzz_pe/lscps-compact.dll" "$T/payload/bin/Lscps.dll"
printf 'hello from a fuzz seed\n' > "$T/payload/etc/readme.txt"
cat > "$T/KB-FUZZ1.ini" <<'EOF'
[hotfix]
id = KB-FUZZ1
title = Fuzz seed package
product = Microsoft Exchange Server 2003
product-dir = /opt/exchsrvr
restart = services
services = Connector for Lotus Notes

[file bin/Lscps.dll]
version = 6.5.7233.26
date = 2005-06-13T20:50:00Z

[file etc/readme.txt]
version = 1.0
new = yes
mode = 0644
EOF
cat > "$T/KB-FUZZ2.ini" <<'EOF'
[hotfix]
id = KB-FUZZ2
title = One small file
product = p
product-dir = /p
restart = none

[file a]
version = 1
EOF
mkdir -p "$T/payload2" && printf 'a\n' > "$T/payload2/a"
P=$OUT/fuzz_package
for c in zstd gzip xz; do
	"$HFX" pack "$T/KB-FUZZ1.ini" --payload "$T/payload" --key "$T/pki/publisher.key" \
		--cert "$T/pki/publisher.pem" --compress "$c" -o "$P/kb-fuzz1-$c.hfx" >/dev/null
done
"$HFX" pack "$T/KB-FUZZ2.ini" --payload "$T/payload2" --key "$T/pki/publisher.key" \
	--cert "$T/pki/publisher.pem" --compress gzip -o "$P/kb-fuzz2-gzip.hfx" >/dev/null
# The packaged manifest is a manifest seed too.
python3 - "$P/kb-fuzz1-gzip.hfx" "$M/kb-fuzz1-packaged.ini" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "r:gz") as t:
    open(sys.argv[2], "wb").write(t.extractfile("manifest.ini").read())
PY

python3 - "$P" <<'PY'
import bz2, gzip, io, lzma, os, subprocess, sys, tarfile
out = sys.argv[1]
with tarfile.open(f"{out}/kb-fuzz1-gzip.hfx", "r:gz") as t:
    mem = {m.name: t.extractfile(m).read() for m in t.getmembers()}
MI, MS = mem["manifest.ini"], mem["manifest.sig"]
DLL, TXT = mem["payload/bin/Lscps.dll"], mem["payload/etc/readme.txt"]

def reg(name, data):
    return ("reg", name, data)

GOOD = [reg("manifest.ini", MI), reg("manifest.sig", MS),
        reg("payload/bin/Lscps.dll", DLL), reg("payload/etc/readme.txt", TXT)]

def tar(members, fmt=tarfile.PAX_FORMAT, pax=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt,
                      pax_headers=pax or {}) as t:
        for kind, name, arg in members:
            ti = tarfile.TarInfo(name)
            ti.mtime, ti.uid, ti.gid = 0, 0, 0
            ti.uname = ti.gname = "root"
            ti.mode = 0o644
            if kind == "reg":
                ti.size = len(arg)
                t.addfile(ti, io.BytesIO(arg))
                continue
            ti.type = {"sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE,
                       "dir": tarfile.DIRTYPE, "chr": tarfile.CHRTYPE,
                       "fifo": tarfile.FIFOTYPE}[kind]
            if kind in ("sym", "lnk"):
                ti.linkname = arg
            t.addfile(ti)
    return buf.getvalue()

def gz(b):
    return gzip.compress(b, mtime=0)

def zst(b):
    # From a file, not a pipe, so zstd knows the size and keeps the
    # window small (the decoder allocates it on every fuzzer run).
    tmp = os.path.join(out, ".zst-input")
    open(tmp, "wb").write(b)
    try:
        return subprocess.run(["zstd", "-q", "-c", "-19", tmp],
                              stdout=subprocess.PIPE, check=True).stdout
    finally:
        os.unlink(tmp)

def xz(b):
    return lzma.compress(b, preset=0)   # 256 KiB dictionary, not 8 MiB

def put(name, data):
    open(os.path.join(out, name), "wb").write(data)

put("ustar.tar.gz", gz(tar(GOOD, tarfile.USTAR_FORMAT)))
put("pax-headers.tar.gz", gz(tar(GOOD, pax={"comment": "seed"})))
put("pax.tar.xz", xz(tar(GOOD)))
put("pax.tar.zst", zst(tar(GOOD)))
put("gnu-format.tar.gz", gz(tar(GOOD, tarfile.GNU_FORMAT)))
put("order-payload-first.tar.gz",
    gz(tar([GOOD[0], GOOD[2], GOOD[1], GOOD[3]])))
put("missing-sig.tar.gz", gz(tar([GOOD[0], GOOD[2], GOOD[3]])))
put("symlink.tar.gz", gz(tar(GOOD[:3] + [("sym", "payload/etc/readme.txt", "/etc/passwd")])))
put("hardlink.tar.xz", xz(tar(GOOD[:3] + [("lnk", "payload/etc/readme.txt", "payload/bin/Lscps.dll")])))
put("directory.tar.gz", gz(tar(GOOD[:2] + [("dir", "payload/bin", None)] + GOOD[2:])))
put("chardev.tar.zst", zst(tar(GOOD[:3] + [("chr", "payload/etc/readme.txt", None)])))
put("fifo.tar.gz", gz(tar(GOOD[:3] + [("fifo", "payload/etc/readme.txt", None)])))
put("dotdot.tar.gz", gz(tar(GOOD[:3] + [reg("payload/../payload/etc/readme.txt", TXT)])))
put("absolute.tar.gz", gz(tar(GOOD + [reg("/etc/cron.d/x", b"* * * * * root id\n")])))
put("duplicate.tar.gz", gz(tar(GOOD + [GOOD[3]])))
put("extra-member.tar.gz", gz(tar(GOOD + [reg("payload/etc/extra", b"x")])))
put("missing-payload.tar.gz", gz(tar(GOOD[:3])))
put("size-mismatch.tar.gz", gz(tar(GOOD[:3] + [reg("payload/etc/readme.txt", TXT + b"!")])))
flipped = bytes([TXT[0] ^ 1]) + TXT[1:]
put("hash-mismatch.tar.gz", gz(tar(GOOD[:3] + [reg("payload/etc/readme.txt", flipped)])))
put("zero-padding.tar.gz", gz(tar(GOOD) + bytes(4096)))
put("garbage-inside.tar.gz", gz(tar(GOOD) + b"garbage"))
put("garbage-outside.tar.gz", gz(tar(GOOD)) + b"garbage")
put("truncated.tar.gz", gz(tar(GOOD))[:1500])
put("plain.tar", tar(GOOD[:2]))
put("double-gzip.tar.gz.gz", gz(gz(tar(GOOD))))
put("bzip2.tar.bz2", bz2.compress(tar(GOOD)))
put("empty-archive.tar.gz", gz(bytes(1024)))
PY

# The list `make dist` ships, included by fuzz/Makefile.inc.
{
	echo "# fuzz/corpus.am -- written by fuzz/mkcorpus.sh; do not edit."
	echo "# Every seed file, so that the dist tarball carries the corpus."
	printf 'FUZZ_CORPUS ='
	(cd "$SRCDIR" && find fuzz/corpus -type f | LC_ALL=C sort) |
		while read -r f; do printf ' \\\n\t%s' "$f"; done
	printf '\n'
} > "$SRCDIR/fuzz/corpus.am"

du -sh "$OUT"
find "$OUT" -type f | wc -l
