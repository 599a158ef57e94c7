// SPDX-License-Identifier: GPL-2.0
/*
 * Vector clocks for the happens-before detector.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vclock.h"

void rw_vc__fini(struct rw_vc *vc)
{
	free(vc->c);
	vc->c = NULL;
	vc->n = vc->cap = 0;
}

static int rw_vc__grow(struct rw_vc *vc, __u32 n)
{
	__u32 cap;
	__u32 *c;

	if (n <= vc->n)
		return 0;
	if (n > vc->cap) {
		cap = vc->cap ? vc->cap : 8;
		while (cap < n)
			cap *= 2;
		c = realloc(vc->c, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		vc->c = c;
		vc->cap = cap;
	}
	memset(vc->c + vc->n, 0, (n - vc->n) * sizeof(*vc->c));
	vc->n = n;
	return 0;
}

int rw_vc__set(struct rw_vc *vc, __u32 slot, __u32 val)
{
	int err = rw_vc__grow(vc, slot + 1);

	if (err)
		return err;
	vc->c[slot] = val;
	return 0;
}

int rw_vc__tick(struct rw_vc *vc, __u32 slot)
{
	return rw_vc__set(vc, slot, rw_vc__get(vc, slot) + 1);
}

/* dst = max(dst, src) componentwise */
int rw_vc__join(struct rw_vc *dst, const struct rw_vc *src)
{
	__u32 i;
	int err;

	err = rw_vc__grow(dst, src->n);
	if (err)
		return err;
	for (i = 0; i < src->n; i++)
		if (src->c[i] > dst->c[i])
			dst->c[i] = src->c[i];
	return 0;
}

int rw_vc__copy(struct rw_vc *dst, const struct rw_vc *src)
{
	dst->n = 0;
	return rw_vc__join(dst, src);
}

/* Hand src's storage to dst (dst's own is freed); src ends empty. */
void rw_vc__move(struct rw_vc *dst, struct rw_vc *src)
{
	rw_vc__fini(dst);
	*dst = *src;
	src->c = NULL;
	src->n = src->cap = 0;
}

/* 1 if a <= b componentwise (every event a knows, b knows) */
int rw_vc__leq(const struct rw_vc *a, const struct rw_vc *b)
{
	__u32 i;

	for (i = 0; i < a->n; i++)
		if (a->c[i] > rw_vc__get(b, i))
			return 0;
	return 1;
}
