/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sync_source: loads the sync tracer (bpf/sync.bpf.c), scopes it to watched
 * processes and delivers their struct rw_sync_event records.
 * See Documentation/sync.rst.
 */
#ifndef __RACEWATCH_SYNC_SOURCE_H
#define __RACEWATCH_SYNC_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "racewatch/sync.h"

struct sync_source;

/**
 * typedef sync_event_fn - called once per record, in ring order
 *
 * Return 0 to go on; anything else stops the current poll/consume, which
 * then returns that value.
 */
typedef int (*sync_event_fn)(void *ctx, const struct rw_sync_event *ev);

/**
 * struct sync_source_opts - settings of sync_source__new()
 * @sz: sizeof(struct sync_source_opts), for compatible growth
 * @ring_size: ring buffer bytes (power of two, >= 4096); 0: 4 MiB
 * @follow_children: watch the child processes of watched processes too
 *	(their uprobes are attached when the fork record is consumed)
 * @verbose: libbpf debug output and attach details on stderr
 * @on_event: record callback (required)
 * @ctx: passed to @on_event
 * @wakeup_records: the ring's fd becomes readable only once this many
 *	records wait (0: 64; 1: every record). Fewer wakeups cost the traced
 *	process and its neighbours less; sync_source__poll() still delivers
 *	what waits when its timeout expires.
 */
struct sync_source_opts {
	size_t sz;
	__u32 ring_size;
	bool follow_children;
	bool verbose;
	sync_event_fn on_event;
	void *ctx;
	__u32 wakeup_records;
};

/**
 * sync_source__new() - load and attach the tracer's tracepoints
 *
 * No process is watched yet. Return: the object, or NULL with errno set
 * (a racewatch: diagnostic says why on stderr).
 */
struct sync_source *sync_source__new(const struct sync_source_opts *opts);

/**
 * sync_source__add_pid() - start watching process @pid
 *
 * Attaches uprobes on the pthread/semaphore functions of the libc.so the
 * process maps (or, for a static executable, of the executable itself if it
 * has the symbols). Return: 0; -EINVAL bad pid; -ESRCH no such process;
 * -EEXIST already watched; -ENOENT no libc and no pthread symbols (static or
 * stripped binary, kernel thread); -ENOSPC too many processes; other -errno
 * from attaching. sync_source__errmsg() says more.
 */
int sync_source__add_pid(struct sync_source *s, pid_t pid);

/** sync_source__remove_pid() - stop watching @pid. Return: 0 or -ENOENT. */
int sync_source__remove_pid(struct sync_source *s, pid_t pid);

/** sync_source__watching() - true if @pid is watched */
bool sync_source__watching(const struct sync_source *s, pid_t pid);

/** sync_source__fd() - epoll-able fd that becomes readable when records wait */
int sync_source__fd(const struct sync_source *s);

/**
 * sync_source__poll() - wait up to @timeout_ms for records, deliver them
 *
 * Returns at the first wakeup (see @wakeup_records) or after @timeout_ms,
 * delivering every record waiting then.
 *
 * Return: number of records delivered, the callback's non-zero value, or
 * -errno (-EINTR when a signal arrived).
 */
int sync_source__poll(struct sync_source *s, int timeout_ms);

/** sync_source__consume() - deliver every waiting record without blocking */
int sync_source__consume(struct sync_source *s);

/** sync_source__drops() - records lost because the ring buffer was full */
__u64 sync_source__drops(const struct sync_source *s);

/** sync_source__key_busy() - records whose keys fell back (RW_SYNC_F_KEY_BUSY) */
__u64 sync_source__key_busy(const struct sync_source *s);

/** sync_source__probes() - uprobes currently attached to @pid (0 if not watched) */
int sync_source__probes(const struct sync_source *s, pid_t pid);

/** sync_source__errmsg() - text of the last failure */
const char *sync_source__errmsg(const struct sync_source *s);

/** sync_source__op_name() - "acquire", "release", ... for RW_OP_* */
const char *sync_source__op_name(unsigned int op);

void sync_source__free(struct sync_source *s);

#endif /* __RACEWATCH_SYNC_SOURCE_H */
