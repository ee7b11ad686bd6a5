#!/bin/bash
# mkdll.sh -- build the PE DLL fixtures that hfx installs and tests against.
#
# Usage: payload/mkdll.sh        (from anywhere; writes into the source tree)
#
# Needs: mingw-w64 (i686-w64-mingw32-gcc/-windres, x86_64-w64-mingw32-gcc/
# -windres), coreutils.  The DLLs it writes are committed, so a normal build
# never runs this script; run it only to change a fixture, then commit the
# DLLs it prints.
#
# What it makes (all from payload/dllsrc/fixture.c and version.rc):
#
#   payload/KB899801/bin/Lscps.dll         PE32  6.5.7233.26   332,288 bytes
#   payload/KB899801/bin/Lsmexif.dll       PE32  6.5.7233.26   231,936 bytes
#   demo/exchsrvr-6.5.7226.0/bin/Lscps.dll   PE32  6.5.7226.0  331,776 bytes
#   demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll PE32  6.5.7226.0  231,424 bytes
#   tests/data/pe/pe32plus.dll             PE32+ 1.2.3.4       (natural size)
#   tests/data/pe/noversion.dll            PE32, no RT_VERSION (natural size)
#   tests/data/pe/version-only-ms.dll      PE32  3.10.0.0, a VERSIONINFO that
#                                          holds only the fixed info (no
#                                          StringFileInfo/VarFileInfo) and
#                                          whose FileVersionLS is 0
#
# The KB899801 files have the sizes of the real hotfix's files; the older
# product files are one FileAlignment unit (512 bytes) smaller.
#
# How exact sizes are reached: with a padding array, never an overlay.
# fixture.c puts a `const` array of FIXTURE_PAD_BYTES bytes alone in a
# section of its own, ".hfxpad", which adds round_up(pad, 512) bytes of raw
# data to the image (FileAlignment is 512 and every target size is a
# multiple of it).  The script links once with a 512-byte pad, measures,
# sets the pad to make up the difference and links again; the result is a
# clean PE whose sections account for every byte of the file.
#
# Reproducibility (running the script twice gives byte-identical DLLs):
#  - the link uses --no-insert-timestamp (COFF header and export directory
#    TimeDateStamp are 0) and -s (no symbol table);
#  - every compile happens in a fresh private directory under the same
#    relative names, so no absolute path of the checkout reaches the image;
#  - the DLLs are linked -nostdlib, so the MinGW CRT version does not
#    matter; only the compiler and binutils versions do.
#  - LC_ALL=C, TZ=UTC, SOURCE_DATE_EPOCH=0 for good measure.
# Different toolchain versions may still produce different bytes; the
# committed DLLs are the reference, and the tests check versions, not
# hashes.
set -euo pipefail

export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
srcdir=$top/payload/dllsrc
work=$(mktemp -d "${TMPDIR:-/tmp}/hfx-mkdll.XXXXXX")
trap 'rm -rf "$work"' EXIT

for tool in i686-w64-mingw32-gcc i686-w64-mingw32-windres \
	    x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres; do
	command -v "$tool" >/dev/null ||
		{ echo "mkdll.sh: $tool not found (apt-get install mingw-w64)" >&2; exit 1; }
done

# link_once DIR ARCH NAME PAD WITH_RC
# Compile and link DIR/NAME with a pad of PAD bytes.  DIR already holds
# the sources and fixture-def.h (without the pad, which is appended here).
link_once() {
	local dir=$1 arch=$2 name=$3 pad=$4 with_rc=$5 entry
	case $arch in
	i686)   entry=_DllMain@12 ;;
	x86_64) entry=DllMain ;;
	esac
	(
		cd "$dir"
		{ cat fixture-def.base; echo "#define FIXTURE_PAD_BYTES $pad"; } > fixture-def.h
		rm -f fixture.o version.o "$name"
		"$arch-w64-mingw32-gcc" -std=c11 -O2 -Wall -Wextra -Werror \
			-ffreestanding -fno-ident -fno-asynchronous-unwind-tables -I. -c fixture.c -o fixture.o
		local objs=(fixture.o)
		if [ "$with_rc" = yes ]; then
			"$arch-w64-mingw32-windres" -I. --input-format=rc \
				--output-format=coff -i version.rc -o version.o
			objs+=(version.o)
		fi
		"$arch-w64-mingw32-gcc" -shared -nostdlib -s \
			-Wl,--no-insert-timestamp -Wl,--subsystem,windows \
			-Wl,-e,"$entry" \
			-o "$name" "${objs[@]}"
	)
}

# make_dll DEST ARCH VERSION(a,b,c,d) SIZE(bytes|natural) WITH_RC STRINGS
#          COMPANY PRODUCT DESCRIPTION
make_dll() {
	local dest=$1 arch=$2 ver=$3 want=$4 with_rc=$5 strings=$6
	local company=$7 product=$8 desc=$9
	local name dir verstr pad size try
	name=$(basename "$dest")
	verstr=${ver//,/.}
	dir=$work/$(echo "$dest" | tr / _)
	mkdir -p "$dir"
	cp "$srcdir/fixture.c" "$srcdir/version.rc" "$dir/"
	cat > "$dir/fixture-def.base" <<EOF
#define FIXTURE_FILEVERSION $ver
#define FIXTURE_FILEVERSION_STR "$verstr"
#define FIXTURE_ORIGINAL_FILENAME "$name"
#define FIXTURE_INTERNAL_NAME "${name%.dll}"
#define FIXTURE_COMPANY "$company"
#define FIXTURE_PRODUCT "$product"
#define FIXTURE_DESCRIPTION "$desc"
#define FIXTURE_COPYRIGHT "hfx test fixture; contains no code of the product it stands for"
#define FIXTURE_STRINGS $strings
EOF
	if [ "$want" = natural ]; then
		link_once "$dir" "$arch" "$name" 16 "$with_rc"
	else
		# Measure with the smallest pad that still gives .hfxpad one
		# FileAlignment unit, then grow the pad by the shortfall.
		pad=512
		for try in 1 2 3; do
			link_once "$dir" "$arch" "$name" "$pad" "$with_rc"
			size=$(stat -c %s "$dir/$name")
			[ "$size" -eq "$want" ] && break
			pad=$((pad + want - size))
			if [ "$pad" -lt 1 ]; then
				echo "mkdll.sh: $dest: image without padding is $size bytes, above the $want wanted" >&2
				exit 1
			fi
		done
		size=$(stat -c %s "$dir/$name")
		if [ "$size" -ne "$want" ]; then
			echo "mkdll.sh: $dest: got $size bytes, wanted $want" >&2
			exit 1
		fi
	fi
	mkdir -p "$top/$(dirname "$dest")"
	cp "$dir/$name" "$top/$dest.tmp"
	mv -f "$top/$dest.tmp" "$top/$dest"
}

ms="Microsoft Corporation"
exch="Microsoft Exchange"
hfx="hfx project"
tp="hfx test fixtures"

make_dll payload/KB899801/bin/Lscps.dll         i686 6,5,7233,26 332288 yes 1 \
	"$ms" "$exch" "Lotus Notes calendar connector library (stand-in)"
make_dll payload/KB899801/bin/Lsmexif.dll       i686 6,5,7233,26 231936 yes 1 \
	"$ms" "$exch" "Lotus Notes connector interface library (stand-in)"
make_dll demo/exchsrvr-6.5.7226.0/bin/Lscps.dll   i686 6,5,7226,0 331776 yes 1 \
	"$ms" "$exch" "Lotus Notes calendar connector library (stand-in)"
make_dll demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll i686 6,5,7226,0 231424 yes 1 \
	"$ms" "$exch" "Lotus Notes connector interface library (stand-in)"
make_dll tests/data/pe/pe32plus.dll        x86_64 1,2,3,4  natural yes 1 \
	"$hfx" "$tp" "PE32+ DLL with a version resource"
make_dll tests/data/pe/noversion.dll       i686   0,0,0,0  natural no  1 \
	"$hfx" "$tp" "PE32 DLL without a version resource"
make_dll tests/data/pe/version-only-ms.dll i686   3,10,0,0 natural yes 0 \
	"$hfx" "$tp" "PE32 DLL whose VERSIONINFO holds only the fixed info"

# The sizes are part of the contract of the demo (they are the sizes of the
# real hotfix's files); check them once more on the files written.
check_size() {
	local size
	size=$(stat -c %s "$top/$1")
	if [ "$size" -ne "$2" ]; then
		echo "mkdll.sh: $1 is $size bytes, expected $2" >&2
		exit 1
	fi
}
check_size payload/KB899801/bin/Lscps.dll 332288
check_size payload/KB899801/bin/Lsmexif.dll 231936
check_size demo/exchsrvr-6.5.7226.0/bin/Lscps.dll 331776
check_size demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll 231424

cd "$top"
for f in payload/KB899801/bin/Lscps.dll payload/KB899801/bin/Lsmexif.dll \
	 demo/exchsrvr-6.5.7226.0/bin/Lscps.dll \
	 demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll \
	 tests/data/pe/pe32plus.dll tests/data/pe/noversion.dll \
	 tests/data/pe/version-only-ms.dll; do
	printf '%s  %8d  %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" \
		"$(stat -c %s "$f")" "$f"
done
