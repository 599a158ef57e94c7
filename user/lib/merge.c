// SPDX-License-Identifier: GPL-2.0
/*
 * Timestamp-ordered min-heap of records.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

static bool rw_item__less(const struct rw_merge_item *a, const struct rw_merge_item *b)
{
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns;
	return a->seq < b->seq;
}

static void rw_item__swap(struct rw_merge_item *a, struct rw_merge_item *b)
{
	struct rw_merge_item t = *a;

	*a = *b;
	*b = t;
}

/* Hold a copy of @rec until it is popped. */
int rw_merge__push(struct rw_merge *m, __u64 time_ns, const void *rec, size_t len)
{
	struct rw_merge_item *it;
	size_t i;

	if (m->nr == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;

		it = realloc(m->heap, cap * sizeof(*it));
		if (!it)
			return -ENOMEM;
		m->heap = it;
		m->cap = cap;
	}
	it = &m->heap[m->nr];
	it->rec = malloc(len);
	if (!it->rec)
		return -ENOMEM;
	memcpy(it->rec, rec, len);
	it->len = len;
	it->time_ns = time_ns;
	it->seq = m->seq++;
	for (i = m->nr++; i > 0; i = (i - 1) / 2) {
		size_t parent = (i - 1) / 2;

		if (!rw_item__less(&m->heap[i], &m->heap[parent]))
			break;
		rw_item__swap(&m->heap[i], &m->heap[parent]);
	}
	return 0;
}

/* The oldest held record, or NULL. */
const struct rw_merge_item *rw_merge__peek(const struct rw_merge *m)
{
	return m->nr ? &m->heap[0] : NULL;
}

/* Take the oldest record; the caller frees out->rec. */
void rw_merge__pop(struct rw_merge *m, struct rw_merge_item *out)
{
	size_t i = 0;

	*out = m->heap[0];
	m->heap[0] = m->heap[--m->nr];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < m->nr && rw_item__less(&m->heap[l], &m->heap[min]))
			min = l;
		if (r < m->nr && rw_item__less(&m->heap[r], &m->heap[min]))
			min = r;
		if (min == i)
			break;
		rw_item__swap(&m->heap[i], &m->heap[min]);
		i = min;
	}
}

void rw_merge__fini(struct rw_merge *m)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		free(m->heap[i].rec);
	free(m->heap);
	memset(m, 0, sizeof(*m));
}
