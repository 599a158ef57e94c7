// SPDX-License-Identifier: GPL-2.0
/*
 * The record ring of a session: written from the breakpoint handler (#DB
 * context, interrupts off, any CPU), read by read(2). Slots are fixed at the
 * largest record size; a record occupies rec->size bytes of its slot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/string.h>
#include <linux/vmalloc.h>

#include "racewatch.h"

static struct racewatch_access *rw_ring_slot(struct rw_ring *ring, u32 pos)
{
	return (struct racewatch_access *)(ring->buf + (size_t)(pos % ring->nr) * RW_REC_MAX);
}

/**
 * rw_ring_init() - allocate an empty ring
 * @ring: the ring
 * @nr: capacity in records
 *
 * Return: 0 or -ENOMEM.
 */
int rw_ring_init(struct rw_ring *ring, u32 nr)
{
	memset(ring, 0, sizeof(*ring));
	raw_spin_lock_init(&ring->lock);
	ring->buf = vzalloc(array_size(nr, RW_REC_MAX));
	if (!ring->buf)
		return -ENOMEM;
	ring->nr = nr;
	return 0;
}

/**
 * rw_ring_free() - free a ring's memory; no writer or reader may remain
 * @ring: the ring
 */
void rw_ring_free(struct rw_ring *ring)
{
	vfree(ring->buf);
	ring->buf = NULL;
}

static bool rw_ring_store(struct rw_ring *ring, void *rec, u32 size, u64 *seq)
{
	unsigned long flags;
	bool stored = false;

	raw_spin_lock_irqsave(&ring->lock, flags);
	*seq = ring->seq++;
	if (ring->count < ring->nr) {
		memcpy(rw_ring_slot(ring, ring->head + ring->count), rec, size);
		/* Pairs with the lockless check in rw_ring_empty(). */
		WRITE_ONCE(ring->count, ring->count + 1);
		ring->records++;
		stored = true;
	} else {
		ring->dropped++;
	}
	raw_spin_unlock_irqrestore(&ring->lock, flags);
	return stored;
}

/**
 * rw_ring_push() - append a record or count it as dropped
 * @ring: the ring
 * @rec: the record; rec->size bytes are copied, rec->seq is assigned
 *
 * Callable in any context. Every record gets a sequence number, so a reader
 * sees a gap where records were dropped.
 *
 * Return: true if stored, false if the ring was full.
 */
bool rw_ring_push(struct rw_ring *ring, struct racewatch_access *rec)
{
	return rw_ring_store(ring, rec, rec->size, &rec->seq);
}

/**
 * rw_ring_push_arm() - queue an arming record, or count it as dropped
 * @ring: the ring
 * @rec: the record; its @seq is set
 *
 * Return: true if stored.
 */
bool rw_ring_push_arm(struct rw_ring *ring, struct racewatch_arm *rec)
{
	return rw_ring_store(ring, rec, rec->size, &rec->seq);
}

/**
 * rw_ring_upgrade_write() - turn a queued record into a write
 * @ring: the ring
 * @seq: sequence number of the record
 *
 * Used when the W slot of a trap reports after the RW slot of the same trap
 * already produced a read record. Only the newest few records are searched:
 * the one wanted was pushed microseconds ago on this CPU.
 *
 * Return: true if the record was still in the ring and was changed.
 */
bool rw_ring_upgrade_write(struct rw_ring *ring, u64 seq)
{
	struct racewatch_access *rec;
	unsigned long flags;
	bool found = false;
	u32 i;

	raw_spin_lock_irqsave(&ring->lock, flags);
	for (i = 0; i < ring->count && i < 8; i++) {
		rec = rw_ring_slot(ring, ring->head + ring->count - 1 - i);
		if (rec->type != RACEWATCH_REC_ACCESS)
			continue;
		if (rec->seq == seq) {
			rec->access = RACEWATCH_ACCESS_WRITE;
			found = true;
			break;
		}
		if (rec->seq < seq)
			break;
	}
	raw_spin_unlock_irqrestore(&ring->lock, flags);
	return found;
}

/**
 * rw_ring_pop() - take the oldest record if it fits
 * @ring: the ring
 * @dst: where to copy the record
 * @room: bytes available at @dst
 *
 * Return: the record's size, 0 if the ring is empty, -ENOSPC if the oldest
 * record is larger than @room (it stays queued).
 */
int rw_ring_pop(struct rw_ring *ring, void *dst, size_t room)
{
	struct racewatch_access *rec;
	unsigned long flags;
	int ret = 0;

	raw_spin_lock_irqsave(&ring->lock, flags);
	if (ring->count) {
		rec = rw_ring_slot(ring, ring->head);
		if (rec->size > room) {
			ret = -ENOSPC;
		} else {
			memcpy(dst, rec, rec->size);
			ret = rec->size;
			ring->head = (ring->head + 1) % ring->nr;
			WRITE_ONCE(ring->count, ring->count - 1);
			ring->read++;
		}
	}
	raw_spin_unlock_irqrestore(&ring->lock, flags);
	return ret;
}

/**
 * rw_ring_empty() - lockless emptiness test for wait and poll conditions
 * @ring: the ring
 *
 * Return: true if no record is queued.
 */
bool rw_ring_empty(struct rw_ring *ring)
{
	return READ_ONCE(ring->count) == 0;
}

/**
 * rw_ring_stats() - copy the ring's counters into a stats reply
 * @ring: the ring
 * @st: filled: records, dropped, read
 */
void rw_ring_stats(struct rw_ring *ring, struct racewatch_stats *st)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ring->lock, flags);
	st->records = ring->records;
	st->dropped = ring->dropped;
	st->read = ring->read;
	raw_spin_unlock_irqrestore(&ring->lock, flags);
}
