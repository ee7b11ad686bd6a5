#!/usr/bin/env python3
"""fixtures.py -- build hostile .hfx packages for the integration tests.

    fixtures.py tar -o OUT [-z none|gzip|xz|zstd] [--format pax|ustar|gnu]
                [--no-eof] [--cut BYTES] MEMBER...
    fixtures.py edit INPUT OUTPUT CODE   (OUTPUT = INPUT after CODE ran on s)
    fixtures.py serve                    (commands on stdin, one a line)
    fixtures.py selftest

Writes a tar archive, member by member exactly as asked, then compresses
it.  Python's tarfile module is used to encode headers, so any member type,
pax header and odd name can be written; nothing is normalised.

MEMBER is KIND:NAME[=ARG].  NAME takes backslash escapes (\\n, \\\\, \\xHH,
...), decoded to raw bytes, so names with newlines, backslashes or bytes
that are not UTF-8 can be written.

    file:NAME=PATH         a regular file with the bytes of PATH
    text:NAME=STRING       a regular file holding STRING (escapes decoded)
    zeros:NAME=SIZE        a regular file of SIZE zero bytes (K, M, G
                           suffixes); compressed without ever holding or
                           deflating SIZE bytes, so several GiB are cheap
    decl:NAME=SIZE         a header declaring SIZE bytes and no data at all:
                           the archive simply stops there (a tiny package
                           whose member claims gigabytes)
    symlink:NAME=TARGET    a symbolic link
    hardlink:NAME=TARGET   a hard link
    chardev:NAME=MAJ,MIN   a character device
    blockdev:NAME=MAJ,MIN  a block device
    fifo:NAME              a fifo
    dir:NAME               a directory
    many:PREFIX=COUNT      COUNT empty regular files PREFIX000000, ...

--no-eof leaves out the two zero blocks that end a tar archive; --cut BYTES
cuts the uncompressed tar after BYTES bytes (a truncated archive whose
compression is nevertheless complete).  Headers use mtime 0 and root
ownership so fixtures are reproducible.

Compression: gzip is one gzip member (zlib, raw deflate with a full flush
before and after each run of zeros, so a run is a repeated, independent
block sequence and its CRC is computed by crc32_combine); zstd uses the
zstd command (concatenated frames, a run of zeros being a repeated frame of
64 MiB of zeros); xz uses the lzma module (no shortcut for zeros: keep them
small).
"""

import argparse
import codecs
import io
import lzma
import os
import struct
import subprocess
import sys
import tarfile
import zlib

BLOCK = 512
RECORD = 20 * BLOCK
ZRUN = 64 << 20                  # zeros per repeated zstd frame
GZRUN = 1 << 20                  # zeros per repeated deflate chunk

# ---- CRC-32 of long runs of zeros (zlib's crc32_combine, in Python) ------


def _gf2_times(mat, vec):
    s = 0
    i = 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat):
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1, crc2, len2):
    """CRC-32 of A+B from crc(A), crc(B) and len(B), as zlib computes it."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)          # 2 zero bits
    odd = _gf2_square(even)          # 4 zero bits
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def crc32_zeros(n):
    """CRC-32 of n zero bytes, by doubling."""
    result, have = 0, 0          # crc of have zeros
    chunk, clen = zlib.crc32(b"\0"), 1
    while n:
        if n & 1:
            result = crc32_combine(result, chunk, clen)
            have += clen
        chunk = crc32_combine(chunk, chunk, clen)
        clen *= 2
        n >>= 1
    return result

# ---- the uncompressed tar as a list of segments ---------------------------
# A segment is bytes, or an int: that many zero bytes.


class Segments:
    def __init__(self):
        self.parts = []
        self.size = 0

    def data(self, b):
        if b:
            self.parts.append(bytes(b))
            self.size += len(b)

    def zeros(self, n):
        if n > 0:
            self.parts.append(int(n))
            self.size += n

    def cut(self, limit):
        out, left = [], limit
        for p in self.parts:
            if left <= 0:
                break
            n = p if isinstance(p, int) else len(p)
            if n > left:
                p = left if isinstance(p, int) else p[:left]
                n = left
            out.append(p)
            left -= n
        self.parts = out
        self.size = min(self.size, limit)


def parse_size(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text and text[-1].upper() in mult:
        return int(text[:-1]) * mult[text[-1].upper()]
    return int(text)


def raw_name(text):
    """Backslash escapes -> bytes -> str that tarfile writes back as the
    same bytes (surrogateescape)."""
    b = codecs.escape_decode(text.encode("utf-8", "surrogateescape"))[0]
    return b.decode("utf-8", "surrogateescape")


def tarinfo(name, kind, size=0):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = size
    ti.mtime = 0
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def header(ti, fmt):
    return ti.tobuf(fmt, "utf-8", "surrogateescape")


def pad(n):
    return (-n) % BLOCK


def many_headers(seg, prefix, count, fmt):
    """COUNT empty members from one template header, patched in place
    (tarfile's encoder is too slow for 100,000 of them)."""
    template = bytearray(header(tarinfo(prefix + "000000", tarfile.REGTYPE),
                                fmt))
    if len(template) != BLOCK:
        raise SystemExit("many: the prefix must fit a plain ustar header")
    base = prefix.encode("utf-8", "surrogateescape")
    template[0:100] = bytes(100)
    template[148:156] = b" " * 8
    fixed = sum(template)            # checksum of all but the name
    out = bytearray()
    for i in range(count):
        name = base + b"%06d" % i
        out += name
        out += bytes(100 - len(name))
        out += template[100:148]
        out += b"%06o\0 " % (fixed + sum(name))
        out += template[156:]
        if len(out) >= (8 << 20):
            seg.data(out)
            out = bytearray()
    seg.data(out)


def build_tar(members, fmt, eof):
    seg = Segments()
    for spec in members:
        kind, _, rest = spec.partition(":")
        name, has_arg, arg = rest.partition("=")
        name = raw_name(name)
        if kind == "file":
            with open(arg, "rb") as f:
                data = f.read()
            seg.data(header(tarinfo(name, tarfile.REGTYPE, len(data)), fmt))
            seg.data(data + b"\0" * pad(len(data)))
        elif kind == "text":
            data = raw_name(arg).encode("utf-8", "surrogateescape")
            seg.data(header(tarinfo(name, tarfile.REGTYPE, len(data)), fmt))
            seg.data(data + b"\0" * pad(len(data)))
        elif kind == "zeros":
            n = parse_size(arg)
            seg.data(header(tarinfo(name, tarfile.REGTYPE, n), fmt))
            seg.zeros(n + pad(n))
        elif kind == "decl":
            n = parse_size(arg)
            seg.data(header(tarinfo(name, tarfile.REGTYPE, n), fmt))
            return seg          # nothing can follow a member with no data
        elif kind in ("symlink", "hardlink"):
            ti = tarinfo(name, tarfile.SYMTYPE if kind == "symlink"
                         else tarfile.LNKTYPE)
            ti.linkname = raw_name(arg)
            seg.data(header(ti, fmt))
        elif kind in ("chardev", "blockdev"):
            ti = tarinfo(name, tarfile.CHRTYPE if kind == "chardev"
                         else tarfile.BLKTYPE)
            major, _, minor = (arg or "1,3").partition(",")
            ti.devmajor, ti.devminor = int(major), int(minor or 0)
            seg.data(header(ti, fmt))
        elif kind == "fifo":
            seg.data(header(tarinfo(name, tarfile.FIFOTYPE), fmt))
        elif kind == "dir":
            seg.data(header(tarinfo(name, tarfile.DIRTYPE), fmt))
        elif kind == "many":
            many_headers(seg, name, parse_size(arg), fmt)
        else:
            raise SystemExit("fixtures.py: unknown member kind %r" % kind)
    if eof:
        seg.zeros(2 * BLOCK)
        seg.zeros((-seg.size) % RECORD)
    return seg

# ---- compression ------------------------------------------------------------


def write_none(seg, out):
    for p in seg.parts:
        if isinstance(p, int):
            while p:
                n = min(p, GZRUN)
                out.write(bytes(n))
                p -= n
        else:
            out.write(p)


def write_gzip(seg, out):
    out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03")  # mtime 0, Unix
    crc, total = 0, 0
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    chunk = None
    for p in seg.parts:
        if isinstance(p, int):
            # Byte-aligned and without history: splice independent blocks.
            out.write(co.flush(zlib.Z_FULL_FLUSH))
            if chunk is None:
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                chunk = c.compress(bytes(GZRUN)) + c.flush(zlib.Z_FULL_FLUSH)
            reps, rest = divmod(p, GZRUN)
            for _ in range(reps):
                out.write(chunk)
            if rest:
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                out.write(c.compress(bytes(rest)) + c.flush(zlib.Z_FULL_FLUSH))
            crc = crc32_combine(crc, crc32_zeros(p), p)
            total += p
            co = zlib.compressobj(6, zlib.DEFLATED, -15)   # fresh history
        else:
            out.write(co.compress(p))
            crc = zlib.crc32(p, crc)
            total += len(p)
    out.write(co.flush(zlib.Z_FINISH))
    out.write(struct.pack("<II", crc & 0xFFFFFFFF, total & 0xFFFFFFFF))


def zstd_frame(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def write_zstd(seg, out):
    pending = bytearray()
    frame64 = None
    for p in seg.parts:
        if isinstance(p, int) and p > ZRUN:
            if pending:
                out.write(zstd_frame(bytes(pending)))
                pending = bytearray()
            if frame64 is None:
                frame64 = zstd_frame(bytes(ZRUN))
            reps, rest = divmod(p, ZRUN)
            for _ in range(reps):
                out.write(frame64)
            if rest:
                out.write(zstd_frame(bytes(rest)))
        elif isinstance(p, int):
            pending += bytes(p)
        else:
            pending += p
    if pending or out.tell() == 0:
        out.write(zstd_frame(bytes(pending)))


def write_xz(seg, out):
    raw = io.BytesIO()
    write_none(seg, raw)
    out.write(lzma.compress(raw.getvalue(), format=lzma.FORMAT_XZ))


def cmd_tar(a):
    fmt = {"pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT,
           "gnu": tarfile.GNU_FORMAT}[a.format]
    seg = build_tar(a.members, fmt, not a.no_eof)
    if a.cut is not None:
        seg.cut(a.cut)
    writer = {"none": write_none, "gzip": write_gzip, "xz": write_xz,
              "zstd": write_zstd}[a.compress]
    tmp = a.output + ".part"
    with open(tmp, "wb") as out:
        writer(seg, out)
    os.replace(tmp, a.output)


def cmd_edit(a):
    with open(a.input, encoding="utf-8", errors="surrogateescape") as f:
        env = {"s": f.read()}
    exec(a.code, env)
    with open(a.output, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(env["s"])


def cmd_selftest(a):
    for n in (0, 1, 511, 4096, 3 << 20):
        assert crc32_zeros(n) == zlib.crc32(bytes(n)), n
    assert crc32_combine(zlib.crc32(b"ab"), zlib.crc32(b"cde"), 3) == \
        zlib.crc32(b"abcde")
    print("ok")


def cmd_serve(a):
    """One command per line on stdin (shell-quoted, as `printf %q` writes
    it); answers "ok" or "error: WHY" on stdout.  The tests keep one server
    running instead of starting Python for every fixture."""
    import shlex
    for line in sys.stdin:
        try:
            run(shlex.split(line))
            print("ok", flush=True)
        except SystemExit as e:
            print("error: exit %s" % e.code, flush=True)
        except Exception as e:           # report, keep serving
            print("error: %s: %s" % (type(e).__name__, e), flush=True)


def run(argv):
    ap = argparse.ArgumentParser(prog="fixtures.py",
                                 description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tar", help="write a tar archive, compressed")
    t.add_argument("-o", "--output", required=True)
    t.add_argument("-z", "--compress", default="zstd",
                   choices=["none", "gzip", "xz", "zstd"])
    t.add_argument("--format", default="pax", choices=["pax", "ustar", "gnu"])
    t.add_argument("--no-eof", action="store_true")
    t.add_argument("--cut", type=parse_size)
    t.add_argument("members", nargs="+")
    t.set_defaults(func=cmd_tar)
    e = sub.add_parser("edit", help="OUTPUT = INPUT edited by Python CODE on s")
    e.add_argument("input")
    e.add_argument("output")
    e.add_argument("code")
    e.set_defaults(func=cmd_edit)
    sub.add_parser("selftest").set_defaults(func=cmd_selftest)
    sub.add_parser("serve").set_defaults(func=cmd_serve)
    a = ap.parse_args(argv)
    a.func(a)


if __name__ == "__main__":
    run(sys.argv[1:])
