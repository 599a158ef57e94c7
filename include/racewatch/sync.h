/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Synchronization events: the records the sync tracer (bpf/sync.bpf.c) puts on
 * its BPF ring buffer and the detector consumes. Plain C with fixed-width
 * types only, so it compiles after vmlinux.h in BPF programs and after
 * <linux/types.h> in user space.
 */
#ifndef __RACEWATCH_SYNC_H
#define __RACEWATCH_SYNC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Record type of struct rw_sync_event; access records (the module's) use 1. */
#define RW_REC_SYNC		16

/* struct rw_key.kind */
#define RW_KEY_NONE		0
#define RW_KEY_PRIVATE		1 /* (tgid, address): memory only one process sees */
#define RW_KEY_SHARED		2 /* (device, inode, offset): a shared file/shm/memfd mapping */

/**
 * struct rw_key - identity of a sync object, equal in every process for the same memory
 * @kind: RW_KEY_*
 * @dev: RW_KEY_SHARED: the file's device (kernel dev_t encoding); else 0
 * @id: RW_KEY_SHARED: inode number; RW_KEY_PRIVATE: tgid
 * @off: RW_KEY_SHARED: byte offset in the file; RW_KEY_PRIVATE: virtual address
 */
struct rw_key {
	__u32 kind;
	__u32 dev;
	__u64 id;
	__u64 off;
};

/* Primitive families (struct rw_sync_event.prim), for reports. */
#define RW_PRIM_MUTEX		1
#define RW_PRIM_RWLOCK		2
#define RW_PRIM_SPIN		3
#define RW_PRIM_SEM		4
#define RW_PRIM_COND		5
#define RW_PRIM_BARRIER		6
#define RW_PRIM_ONCE		7
#define RW_PRIM_FUTEX		8
#define RW_PRIM_THREAD		9
#define RW_PRIM_PROCESS		10
#define RW_PRIM_PIPE		11 /* a pipe or FIFO: write(2) releases, read(2) acquires */

/*
 * Operations (struct rw_sync_event.op). "Lazy" acquires are recorded at the
 * entry of a blocking call; the engine applies them at the thread's next
 * event, when the call has necessarily returned (see Documentation/sync.rst).
 */
#define RW_OP_ACQUIRE		1  /* obj acquired (result known: trylock/timed returned 0) */
#define RW_OP_ACQUIRE_LAZY	2  /* blocking acquire of obj entered */
#define RW_OP_RELEASE		3  /* obj released (stamped before the release happens) */
#define RW_OP_RD_ACQUIRE	4  /* rwlock obj acquired for reading */
#define RW_OP_RD_ACQUIRE_LAZY	5  /* blocking read acquire of obj entered */
#define RW_OP_RW_RELEASE	6  /* rwlock obj unlocked; mode is the one this thread holds */
#define RW_OP_COND_WAIT		7  /* release obj2 (mutex), lazily acquire obj (cond) then obj2 */
#define RW_OP_BARRIER		8  /* arrive at obj (release), lazily depart (acquire);
				    * arg = threads per round (glibc's count), 0 if unknown */
#define RW_OP_ONCE_DONE		9  /* pthread_once(obj) returned: acquire then release obj */
#define RW_OP_THREAD_CREATE	10 /* arg = new tid, arg2 = its thread pointer (pthread_t) */
#define RW_OP_FORK		11 /* arg = child pid (new process) */
#define RW_OP_THREAD_EXIT	12 /* this thread exits; arg = 1 on exactly one record per process:
				    * every thread is in do_exit(), none runs user code again
				    * (not necessarily the main thread's record, nor the last) */
#define RW_OP_JOIN_LAZY		13 /* pthread_join(arg = pthread_t) entered */
#define RW_OP_WAIT_CHILD	14 /* wait4/waitid returned; arg = reaped child pid */
#define RW_OP_EXEC		15 /* this process exec'd; its sync state restarts */
#define RW_OP_FUTEX_WAKE	16 /* FUTEX_WAKE on obj: release */
#define RW_OP_FUTEX_WAIT	17 /* FUTEX_WAIT on obj returned 0: acquire */
#define RW_OP_MAX		17

/* struct rw_sync_event.flags */
#define RW_SYNC_F_RECURSIVE	(1U << 0) /* mutex is recursive: only the outermost pair counts */
#define RW_SYNC_F_KEY_BUSY	(1U << 1) /* bpf_find_vma() could not run (mmap lock busy):
					   * obj/obj2 fell back to RW_KEY_PRIVATE */
#define RW_SYNC_F_WAKE_OP	(1U << 2) /* RW_OP_FUTEX_WAKE from FUTEX_WAKE_OP: obj2 released too */

/*
 * Tracer-internal: the BPF cookie of every uprobe (bpf/sync.bpf.c and
 * user/lib/sync_source.c agree on it). Bits 0-7 op, 8-15 prim, 16-23 how
 * the entry probe treats the arguments (RW_PROBE_*).
 */
#define RW_PROBE_PLAIN		0 /* obj = arg1 */
#define RW_PROBE_MUTEX_LOCK	1 /* obj = arg1; skip if this thread already owns it */
#define RW_PROBE_MUTEX_UNLOCK	2 /* obj = arg1; skip inner unlocks of a recursive mutex */
#define RW_PROBE_COND_WAIT	3 /* obj = arg1 (cond), obj2 = arg2 (mutex) */
#define RW_PROBE_STASH		4 /* remember arg1 for the return probe; no event at entry */
#define RW_PROBE_STASH_MUTEX	5 /* as STASH, but not if this thread already owns the mutex */
#define RW_PROBE_JOIN		6 /* arg = arg1 (pthread_t), no object */
#define RW_PROBE_BARRIER	7 /* obj = arg1; arg = its thread count, read from glibc's
				   * struct pthread_barrier (in, current_round, count, ...) */
#define RW_COOKIE(op, prim, how) ((__u64)(op) | (__u64)(prim) << 8 | (__u64)(how) << 16)
#define RW_COOKIE_OP(c)		((__u32)(c) & 0xff)
#define RW_COOKIE_PRIM(c)	((__u32)((c) >> 8) & 0xff)
#define RW_COOKIE_HOW(c)	((__u32)((c) >> 16) & 0xff)

/* Slots of the tracer's per-CPU "stats" array (sync_source__drops() sums RW_SYNC_STAT_DROPS). */
#define RW_SYNC_STAT_DROPS	0 /* ring buffer full: event lost */
#define RW_SYNC_STAT_KEY_BUSY	1 /* events with RW_SYNC_F_KEY_BUSY */
#define RW_SYNC_STAT_EVENTS	2 /* events written */
#define RW_SYNC_STAT_MAX	3

/**
 * struct rw_sync_event - one synchronization event
 * @type: RW_REC_SYNC
 * @size: sizeof(struct rw_sync_event)
 * @time_ns: CLOCK_MONOTONIC (bpf_ktime_get_ns)
 * @pid: thread-group id
 * @tid: thread id
 * @op: RW_OP_*
 * @prim: RW_PRIM_*
 * @flags: RW_SYNC_F_*
 * @fsbase: the thread's thread pointer, glibc's pthread_t on x86-64
 * @obj: the object operated on
 * @obj2: second object (the mutex of RW_OP_COND_WAIT)
 * @arg: op-specific (see RW_OP_*)
 * @arg2: op-specific
 * @caller: return address of the probed call (0 for tracepoints)
 * @comm: thread name
 */
struct rw_sync_event {
	__u32 type;
	__u32 size;
	__u64 time_ns;
	__u32 pid;
	__u32 tid;
	__u16 op;
	__u16 prim;
	__u32 flags;
	__u64 fsbase;
	struct rw_key obj;
	struct rw_key obj2;
	__u64 arg;
	__u64 arg2;
	__u64 caller;
	char comm[16];
};

_Static_assert(sizeof(struct rw_sync_event) == 128, "rw_sync_event layout");

#endif /* __RACEWATCH_SYNC_H */
