/*
 * grow.h -- the engine's growable-array helper.
 *
 * Arrays that receive rows, files or processes one at a time double their
 * capacity when full, so appending n elements costs O(n) copies in all.
 * (Lists bounded by a configuration or a manifest line -- services,
 * products, list items -- grow by one; they stay a few entries long.)
 */
#ifndef HFX_GROW_H
#define HFX_GROW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Make room for element number `n` of the array *arrayp (capacity *cap,
 * elements of `elem` bytes).  False when out of memory; the array is then
 * left as it was. */
static inline bool hfx_grow(void *arrayp, size_t *cap, size_t n, size_t elem)
{
	void *old, *grown;
	size_t ncap;

	if (n < *cap)
		return true;
	/* arrayp points at a `T *`; memcpy reads and writes it without
	 * pretending it is a `void *` object (strict aliasing). */
	memcpy(&old, arrayp, sizeof(old));
	ncap = *cap ? *cap * 2 : 16;
	if (ncap <= n || ncap > SIZE_MAX / elem)
		return false;
	grown = realloc(old, ncap * elem);
	if (!grown)
		return false;
	memcpy(arrayp, &grown, sizeof(grown));
	*cap = ncap;
	return true;
}

#endif
