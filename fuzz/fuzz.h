/*
 * fuzz/fuzz.h -- helpers shared by the libFuzzer targets.
 *
 * FUZZ_CHECK is an assertion that cannot be compiled out (assert() goes
 * away under NDEBUG, and a property that silently stops being checked is
 * worse than none).  It prints the broken property, then abort()s so that
 * libFuzzer records the input as a crash like any sanitizer report.
 */
#ifndef HFX_FUZZ_H
#define HFX_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: property failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, "  " __VA_ARGS__);		\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

/* True when `s` starts with `prefix`. */
static inline int fuzz_has_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

#endif
