/* SPDX-License-Identifier: GPL-2.0 */
/*
 * racewatch.ko internals: sessions (one per open file), watches, the record
 * ring and the breakpoint handler.
 */
#ifndef _RACEWATCH_INTERNAL_H
#define _RACEWATCH_INTERNAL_H

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/perf_event.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <linux/racewatch.h>

/* Largest record the module writes: the fixed part and a full stack. */
#define RW_REC_MAX	(sizeof(struct racewatch_access) + RACEWATCH_MAX_STACK * sizeof(__u64))

/* The debug-register slot types a watch uses; KIND_RW uses both. */
enum rw_slot_type {
	RW_SLOT_W,	/* HW_BREAKPOINT_W: traps on writes */
	RW_SLOT_RW,	/* HW_BREAKPOINT_RW: traps on reads and writes */
	RW_NR_SLOT_TYPES,
};

/**
 * struct rw_ring - fixed-slot ring of access records
 * @lock: protects every other field; taken in #DB context, so raw and irqsave
 * @buf: @nr slots of RW_REC_MAX bytes
 * @nr: capacity in records
 * @head: slot of the oldest record
 * @count: records held
 * @seq: sequence number the next record gets (dropped ones use one too)
 * @records: records written
 * @dropped: records lost because the ring was full
 * @read: records handed to user space
 */
struct rw_ring {
	raw_spinlock_t lock;
	u8 *buf;
	u32 nr;
	u32 head;
	u32 count;
	u64 seq;
	u64 records;
	u64 dropped;
	u64 read;
};

struct rw_watch;
struct rw_session;

/**
 * struct rw_slot - what a breakpoint's handler context points at
 * @watch: the watch the breakpoint belongs to
 * @type: RW_SLOT_W or RW_SLOT_RW
 */
struct rw_slot {
	struct rw_watch *watch;
	u8 type;
};

/**
 * struct rw_thread_bps - the breakpoints one watch registered on one thread
 * @bp: per slot type; NULL for a slot the watch's kind does not use
 */
struct rw_thread_bps {
	struct perf_event *bp[RW_NR_SLOT_TYPES];
};

/**
 * struct rw_watch - one armed watch; immutable after arming except @hits
 * @session: owner
 * @id: id within the session
 * @pid: target thread-group id (caller's pid namespace)
 * @kind: RACEWATCH_KIND_*
 * @len: watched bytes
 * @flags: RACEWATCH_WATCH_* flags
 * @addr: watched user address
 * @live: set once every thread is armed; until then traps are ignored, so
 *	a WATCH that fails half-way leaves no record behind
 * @hits: records produced, dropped ones included
 * @slot: handler contexts, one per slot type
 * @nr_threads: entries in @threads
 * @cap_threads: room in @threads
 * @threads: breakpoints registered directly (inherited ones hang off them)
 */
struct rw_watch {
	struct rw_session *session;
	u32 id;
	u32 pid;
	u32 kind;
	u32 len;
	u32 flags;
	u64 addr;
	bool live;
	atomic64_t hits;
	struct rw_slot slot[RW_NR_SLOT_TYPES];
	unsigned int nr_threads;
	unsigned int cap_threads;
	struct rw_thread_bps *threads;
};

/**
 * struct rw_session - state of one open /dev/racewatch
 * @lock: protects @watches, @next_id and @nr_watches (arming and disarming)
 * @watches: id -> struct rw_watch
 * @next_id: cursor for cyclic id allocation, so ids are not reused soon
 * @nr_watches: watches held
 * @arm_failures: threads that could not be armed
 * @ring: access records
 * @wq: readers and pollers
 * @wake: wakes @wq outside #DB context
 */
struct rw_session {
	struct mutex lock;	/* watches, next_id, nr_watches */
	struct xarray watches;
	u32 next_id;
	unsigned int nr_watches;
	atomic64_t arm_failures;
	struct rw_ring ring;
	wait_queue_head_t wq;
	struct irq_work wake;
};

/* ring.c */
int rw_ring_init(struct rw_ring *ring, u32 nr);
void rw_ring_free(struct rw_ring *ring);
bool rw_ring_push(struct rw_ring *ring, struct racewatch_access *rec);
bool rw_ring_push_arm(struct rw_ring *ring, struct racewatch_arm *rec);
bool rw_ring_upgrade_write(struct rw_ring *ring, u64 seq);
int rw_ring_pop(struct rw_ring *ring, void *dst, size_t room);
bool rw_ring_empty(struct rw_ring *ring);
void rw_ring_stats(struct rw_ring *ring, struct racewatch_stats *st);

/* trap.c */
void rw_bp_handler(struct perf_event *bp, struct perf_sample_data *data, struct pt_regs *regs);
void rw_trap_forget(struct rw_watch *w);

/* watch.c */
struct task_struct;
typedef unsigned int (*rw_fill_fn)(void *ctx, struct task_struct **v, unsigned int cap);
int rw_collect_tasks(unsigned int cap, rw_fill_fn fill, void *ctx, struct task_struct ***out,
		     unsigned int *nr);
void rw_put_tasks(struct task_struct **v, unsigned int n);
int rw_watch_arm(struct rw_session *s, const struct racewatch_watch *req, u32 id,
		 struct rw_watch **out);
int rw_watch_arm_task(struct rw_session *s, const struct racewatch_watch *req, u32 id,
		      struct task_struct *leader, struct rw_watch **out);
void rw_watch_disarm(struct rw_watch *w);
void rw_watches_disarm_all(struct xarray *xa);
unsigned int rw_watch_live_threads(struct rw_watch *w);

/* file.c: watches of a shared file mapping in every process that maps it */
struct file;
int rw_file_init(void);
void rw_file_exit(void);
int rw_file_watch(struct rw_session *s, struct file *file, void __user *uarg);
int rw_file_watch_exe(struct rw_session *s, void __user *uarg);
int rw_file_stat(struct rw_session *s, void __user *uarg);
int rw_file_list(struct rw_session *s, struct racewatch_watch_info __user *out, u32 room, u32 *n);
void rw_file_stats(struct rw_session *s, struct racewatch_stats *st);
int rw_file_unwatch(struct rw_session *s, u32 id);
void rw_file_release(struct rw_session *s);

#endif /* _RACEWATCH_INTERNAL_H */
