/*
 * fixture.c -- the code of the stand-in DLLs that payload/mkdll.sh builds.
 *
 * These DLLs exist only so that hfx has real PE images to read versions
 * from, install, back up and roll back.  They are never run.  The code is
 * therefore as small as a valid DLL can be: an entry point that accepts
 * every notification, one exported function naming the fixture (so the
 * export table, like a real DLL's, names something), and a padding array.
 *
 * Invariants the build script relies on:
 *  - everything that differs between fixtures comes from fixture-def.h,
 *    written by mkdll.sh into its private build directory, so the source
 *    tree holds no generated file and two runs see identical inputs;
 *  - the padding lives alone in its own section, ".hfxpad", so that its
 *    size adds exactly round_up(FIXTURE_PAD_BYTES, FileAlignment) bytes to
 *    the image and mkdll.sh can hit an exact file size without an overlay;
 *  - nothing here depends on the C runtime (the DLL is linked -nostdlib),
 *    so the image does not change when the MinGW CRT does.
 */
#include "fixture-def.h"

#include <windows.h>

/* Its first byte is non-zero so that the array is initialised data with
 * raw bytes in the file, never uninitialised (.bss-like) data that would
 * take no file space. */
__attribute__((section(".hfxpad"), used))
const unsigned char hfx_fixture_padding[FIXTURE_PAD_BYTES] = { 0x48 };

__declspec(dllexport) const char *hfx_fixture_id(void)
{
	return FIXTURE_ORIGINAL_FILENAME " " FIXTURE_FILEVERSION_STR
		" (hfx test fixture)";
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
