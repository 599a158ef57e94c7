/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Happens-before detector: vector clocks per thread (threads of all watched
 * processes share one clock space) and per sync object, FastTrack-style
 * state per watched location, and the locks each thread holds.
 */
#ifndef __RACEWATCH_DETECTOR_H
#define __RACEWATCH_DETECTOR_H

#include <stdbool.h>
#include <linux/types.h>
#include <racewatch/sync.h>

#include "vclock.h"

struct rw_maps;
struct rw_det;
struct rw_thread;

/**
 * struct rw_lockref - a lock a thread holds
 * @key: the lock's identity
 * @prim: RW_PRIM_* family
 * @read: held for reading (rwlock)
 * @depth: recursion depth (RW_SYNC_F_RECURSIVE)
 * @pid: process that took it (its address is in this process's space)
 * @caller: return address of the lock call (0 if unknown)
 */
struct rw_lockref {
	struct rw_key key;
	__u16 prim;
	__u16 read;
	__u32 depth;
	__u32 pid;
	__u32 reserved;
	__u64 caller;
};

/**
 * struct rw_access - a processed access, kept for reports
 * @refs: references (location state entries, the caller)
 * @time_ns: when it happened
 * @pid: process
 * @tid: thread
 * @watch_id: the watch that trapped
 * @len: watched length
 * @addr: watched address in @pid
 * @value: value after the access, if @value_ok
 * @value_ok: @value is meaningful
 * @write: a write (else a read)
 * @mask: the watched bytes it touched (bit i: byte @addr + i); 0 means all
 * @atomic: decoded as an atomic read-modify-write
 * @decode_how: RW_DECODE_* of the instruction
 * @insn: the decoded instruction text
 * @comm: thread name
 * @ip: trap ip (after the instruction)
 * @pc: start of the accessing instruction (ip - 1 if not decoded)
 * @codeloc: process-independent code location of @pc (dedup key)
 * @nr_stack: entries in @stack
 * @stack: return addresses, innermost first
 * @nr_locks: entries in @locks
 * @locks: locks held at the access
 * @maps: maps snapshot of @pid when the access was processed (a reference)
 */
struct rw_access {
	int refs;
	__u64 time_ns;
	__u32 pid;
	__u32 tid;
	__u32 watch_id;
	__u32 len;
	__u64 addr;
	__u64 value;
	bool value_ok;
	bool write;
	__u8 mask;
	bool atomic;
	int decode_how;
	char insn[64];
	char comm[16];
	__u64 ip;
	__u64 pc;
	__u64 codeloc;
	__u32 nr_stack;
	__u64 *stack;
	__u32 nr_locks;
	struct rw_lockref *locks;
	struct rw_maps *maps;
};

/**
 * struct rw_loc_entry - one remembered access of a location
 * @slot: thread slot of the access
 * @clock: that thread's clock at the access (the epoch is slot@clock)
 * @write: it wrote
 * @atomic: it was an atomic RMW
 * @mask: the bytes of the location it touched (bit i: byte i)
 * @acc: the access, for reports
 */
struct rw_loc_entry {
	__u32 slot;
	__u32 clock;
	bool write;
	bool atomic;
	__u8 mask;
	struct rw_access *acc;
};

/**
 * struct rw_loc - one watched location (all watches with its key)
 * @key: identity
 * @name: the first watch's name
 * @len: watched length
 * @refs: watches naming it
 * @nr: entries in @ent
 * @cap: room in @ent
 * @ent: accesses not yet superseded: at most one read and one write per
 *	thread, usually one or two in all (FastTrack's epoch case)
 * @nr_tids: entries in @tids
 * @tids: threads that took part in a reported race here
 * @races: distinct reports on this location
 */
struct rw_loc {
	struct rw_key key;
	char name[64];
	__u32 len;
	int refs;
	__u32 nr;
	__u32 cap;
	struct rw_loc_entry *ent;
	__u32 nr_tids;
	__u32 *tids;
	__u64 races;
};

typedef void (*rw_race_fn)(void *ctx, struct rw_loc *loc, struct rw_access *cur,
			   struct rw_access *prev);

/**
 * struct rw_det_opts - detector settings
 * @max_threads: thread identities (clock slots) in all
 * @max_exited: exit clocks of threads and processes kept for joins
 * @race: called for every unordered conflicting pair
 * @ctx: passed to @race
 */
struct rw_det_opts {
	__u32 max_threads;
	__u32 max_exited;
	rw_race_fn race;
	void *ctx;
};

/**
 * struct rw_det_stats - detector counters
 * @unresolved_joins: joins/waits that found no exit clock
 * @dropped_threads: events ignored past max_threads
 * @threads: thread identities made
 * @late_links: threads seen before the event that created them
 * @objects: sync objects held now
 */
struct rw_det_stats {
	__u64 unresolved_joins;
	__u64 dropped_threads;
	__u64 threads;
	__u64 late_links;
	__u64 objects;
};

struct rw_det *rw_det__new(const struct rw_det_opts *opts);
void rw_det__free(struct rw_det *d);
struct rw_thread *rw_det__thread(struct rw_det *d, __u32 pid, __u32 tid, __u64 fsbase,
				 const char *comm);
int rw_det__sync(struct rw_det *d, const struct rw_sync_event *ev);
int rw_det__access(struct rw_det *d, struct rw_thread *t, struct rw_loc *loc,
		   struct rw_access *a);
struct rw_loc *rw_det__loc_get(struct rw_det *d, const struct rw_key *key, const char *name,
			       __u32 len);
void rw_det__loc_put(struct rw_det *d, struct rw_loc *loc);
void rw_det__stats(const struct rw_det *d, struct rw_det_stats *st);
void rw_det__walk_locs(struct rw_det *d, void (*fn)(void *ctx, struct rw_loc *loc), void *ctx);

struct rw_access *rw_access__get(struct rw_access *a);
void rw_access__put(struct rw_access *a);

#endif /* __RACEWATCH_DETECTOR_H */
