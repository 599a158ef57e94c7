/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reorder window: records from the two rings (module, BPF) are held in a
 * min-heap by timestamp and released once they are older than the window
 * behind the newest time seen (or a caller-given "now").
 */
#ifndef __RACEWATCH_MERGE_H
#define __RACEWATCH_MERGE_H

#include <stddef.h>
#include <linux/types.h>

/**
 * struct rw_merge_item - one held record
 * @time_ns: its timestamp
 * @seq: arrival order, breaks ties so equal times keep arrival order
 * @len: bytes at @rec
 * @rec: a copy of the record
 */
struct rw_merge_item {
	__u64 time_ns;
	__u64 seq;
	size_t len;
	void *rec;
};

/**
 * struct rw_merge - the heap
 * @nr: held records
 * @cap: room
 * @heap: binary min-heap by (time_ns, seq)
 * @seq: next arrival number
 */
struct rw_merge {
	size_t nr;
	size_t cap;
	struct rw_merge_item *heap;
	__u64 seq;
};

int rw_merge__push(struct rw_merge *m, __u64 time_ns, const void *rec, size_t len);
const struct rw_merge_item *rw_merge__peek(const struct rw_merge *m);
void rw_merge__pop(struct rw_merge *m, struct rw_merge_item *out);
void rw_merge__fini(struct rw_merge *m);

#endif /* __RACEWATCH_MERGE_H */
