/*
 * fuzz/config.h -- what the autotools config.h gives the engine sources,
 * for fuzz/run.sh, which compiles the src/ files directly with clang so
 * that the fuzzers build from an unconfigured tree (and under `make
 * distcheck`, where the configured config.h lives in another directory).
 *
 * Only what the fuzzed sources rely on: the GNU/POSIX extensions
 * AC_USE_SYSTEM_EXTENSIONS would enable (memfd_create, strndup, timegm,
 * openat2 headers).  (context.c, which uses the configured directories,
 * is not among them.)  Fault injection stays off: the fuzzers must
 * exercise release behaviour.
 */
#ifndef HFX_FUZZ_CONFIG_H
#define HFX_FUZZ_CONFIG_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#endif
