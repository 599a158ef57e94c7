// SPDX-License-Identifier: GPL-2.0
/*
 * Watches: find the target process, check the caller's rights over it, arm
 * one (KIND_WRITE) or two (KIND_RW) user breakpoints in every thread, and
 * undo all of it on any failure. Breakpoints are inherited by threads the
 * process creates later (inherit + inherit_thread) unless the watch says
 * RACEWATCH_WATCH_NO_FOLLOW; perf frees those children when the registered
 * parent breakpoint is unregistered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/hw_breakpoint.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "racewatch.h"

static bool rw_kind_uses(u32 kind, int type)
{
	return type == RW_SLOT_W || kind == RACEWATCH_KIND_RW;
}

static struct task_struct *rw_find_process(u32 nr)
{
	struct task_struct *task;
	struct pid *pid;

	pid = find_get_pid(nr);
	if (!pid)
		return NULL;
	task = get_pid_task(pid, PIDTYPE_TGID);
	put_pid(pid);
	return task;
}

/* CAP_SYS_PTRACE in the target's user namespace, as ptrace's own check. */
static int rw_may_watch(struct task_struct *task)
{
	const struct cred *cred;
	bool ok;

	if (task->flags & PF_KTHREAD)
		return -EPERM;
	cred = get_task_cred(task);
	ok = ns_capable(cred->user_ns, CAP_SYS_PTRACE);
	put_cred(cred);
	return ok ? 0 : -EPERM;
}

/**
 * rw_collect_tasks() - take a reference on every task a walk under RCU finds
 * @cap: first guess of the number of tasks
 * @fill: the walk, called under rcu_read_lock(): stores up to @cap tasks in
 *	its array and returns how many it stored, or @cap + 1 if there were more
 * @ctx: for @fill
 * @out: the tasks, referenced (free with rw_put_tasks())
 * @nr: their number
 *
 * The array is grown and the walk made again until everything fits: the
 * tasks cannot be referenced one by one while walking, as the array cannot
 * be allocated under RCU.
 *
 * Return: 0 or -ENOMEM.
 */
int rw_collect_tasks(unsigned int cap, rw_fill_fn fill, void *ctx, struct task_struct ***out,
		     unsigned int *nr)
{
	struct task_struct **v;
	unsigned int n, i;

	for (;;) {
		v = kvcalloc(cap, sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		rcu_read_lock();
		n = fill(ctx, v, cap);
		if (n <= cap) {
			for (i = 0; i < n; i++)
				get_task_struct(v[i]);
		}
		rcu_read_unlock();
		if (n <= cap)
			break;
		kvfree(v);
		cap *= 2;
	}
	*out = v;
	*nr = n;
	return 0;
}

/**
 * rw_put_tasks() - drop what rw_collect_tasks() took
 * @v: the tasks
 * @n: their number
 */
void rw_put_tasks(struct task_struct **v, unsigned int n)
{
	while (n--)
		put_task_struct(v[n]);
	kvfree(v);
}

/* rw_fill_fn: the threads of the group of @ctx, a leader. */
static unsigned int rw_fill_threads(void *ctx, struct task_struct **v, unsigned int cap)
{
	struct task_struct *leader = ctx, *t;
	unsigned int n = 0;

	for_each_thread(leader, t) {
		if (n == cap)
			return cap + 1;
		v[n++] = t;
	}
	return n;
}

static struct perf_event *rw_register(struct rw_watch *w, int type, struct task_struct *t)
{
	struct perf_event_attr attr;

	hw_breakpoint_init(&attr);
	attr.bp_addr = w->addr;
	attr.bp_len = w->len;
	attr.bp_type = type == RW_SLOT_W ? HW_BREAKPOINT_W : HW_BREAKPOINT_RW;
	/* Kernel accesses (copy_to_user into the location) are not user accesses. */
	attr.exclude_kernel = 1;
	/* After exec the address means something else. */
	attr.remove_on_exec = 1;
	if (!(w->flags & RACEWATCH_WATCH_NO_FOLLOW)) {
		attr.inherit = 1;
		attr.inherit_thread = 1;
	}
	return register_user_hw_breakpoint(&attr, rw_bp_handler, &w->slot[type], t);
}

static void rw_unregister_thread(struct rw_thread_bps *tb)
{
	int type;

	for (type = 0; type < RW_NR_SLOT_TYPES; type++) {
		if (tb->bp[type])
			unregister_hw_breakpoint(tb->bp[type]);
		tb->bp[type] = NULL;
	}
}

/*
 * Arm one thread with every slot the kind needs. A thread that is already
 * exiting answers -ESRCH; the caller skips it. Any other error is returned
 * with this thread's partial arming undone.
 */
static int rw_arm_thread(struct rw_watch *w, struct task_struct *t, struct rw_thread_bps *tb)
{
	struct perf_event *bp;
	int type;

	for (type = 0; type < RW_NR_SLOT_TYPES; type++) {
		if (!rw_kind_uses(w->kind, type))
			continue;
		bp = rw_register(w, type, t);
		if (IS_ERR(bp)) {
			rw_unregister_thread(tb);
			return PTR_ERR(bp);
		}
		tb->bp[type] = bp;
	}
	return 0;
}

/* Is @t armed by @w: registered directly, or inherited from one of those? */
static bool rw_thread_armed(struct rw_watch *w, struct task_struct *t)
{
	struct perf_event *bp, *child;
	bool found = false;
	unsigned int i;

	for (i = 0; i < w->nr_threads && !found; i++) {
		bp = w->threads[i].bp[RW_SLOT_W];
		if (bp->hw.target == t)
			return true;
		mutex_lock(&bp->child_mutex);
		list_for_each_entry(child, &bp->child_list, child_list) {
			if (child->hw.target == t) {
				found = true;
				break;
			}
		}
		mutex_unlock(&bp->child_mutex);
	}
	return found;
}

static int rw_grow_threads(struct rw_watch *w, unsigned int more)
{
	struct rw_thread_bps *v;

	if (w->nr_threads + more <= w->cap_threads)
		return 0;
	v = krealloc_array(w->threads, w->nr_threads + more, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	memset(v + w->nr_threads, 0, more * sizeof(*v));
	w->threads = v;
	w->cap_threads = w->nr_threads + more;
	return 0;
}

/*
 * One pass over the threads of @leader: arm each that is not armed yet.
 * Returns how many were armed, or -errno.
 */
static int rw_arm_pass(struct rw_watch *w, struct task_struct *leader)
{
	struct task_struct **v;
	unsigned int n, i;
	int err, armed = 0;

	/* sized from nr_threads; walked again if the group grew meanwhile */
	err = rw_collect_tasks(READ_ONCE(leader->signal->nr_threads) + 4, rw_fill_threads, leader,
			       &v, &n);
	if (err)
		return err;
	err = rw_grow_threads(w, n);
	for (i = 0; i < n && !err; i++) {
		if (rw_thread_armed(w, v[i]))
			continue;
		err = rw_arm_thread(w, v[i], &w->threads[w->nr_threads]);
		if (err == -ESRCH) {
			err = 0;
			continue;
		}
		if (err) {
			atomic64_inc(&w->session->arm_failures);
			break;
		}
		w->nr_threads++;
		armed++;
	}
	rw_put_tasks(v, n);
	return err ? err : armed;
}

/*
 * Arm every thread. A thread created while the first pass runs, by a thread
 * not armed yet, inherits nothing: later passes find and arm such threads
 * until a pass finds none (bounded, for a process that spawns threads
 * without pause). A thread still inside clone() during the last pass can
 * be missed. NO_FOLLOW watches make one pass: the threads of that moment.
 */
static int rw_arm_threads(struct rw_watch *w, struct task_struct *leader)
{
	int pass, ret;

	for (pass = 0; pass < 8; pass++) {
		ret = rw_arm_pass(w, leader);
		if (ret < 0)
			return ret;
		if (!ret || (w->flags & RACEWATCH_WATCH_NO_FOLLOW))
			break;
	}
	return w->nr_threads ? 0 : -ESRCH;
}

static void rw_watch_unregister(struct rw_watch *w)
{
	unsigned int i;

	for (i = 0; i < w->nr_threads; i++)
		rw_unregister_thread(&w->threads[i]);
}

/* After rw_watch_unregister() and an RCU grace period. */
static void rw_watch_free(struct rw_watch *w)
{
	rw_trap_forget(w);
	kfree(w->threads);
	kfree(w);
}

/**
 * rw_watch_arm() - make a watch: arm every thread of the target process
 * @s: session the watch will belong to
 * @req: validated request
 * @id: the watch's id, reserved in the session's table
 * @out: the armed watch
 *
 * Return: 0, or -ESRCH (no such process or no live thread), -EPERM (no
 * CAP_SYS_PTRACE in the target's user namespace), -ENOSPC (a thread has no
 * free debug register), -ENOMEM. On error nothing stays armed.
 */
int rw_watch_arm(struct rw_session *s, const struct racewatch_watch *req, u32 id,
		 struct rw_watch **out)
{
	struct task_struct *leader;
	int err;

	leader = rw_find_process(req->pid);
	if (!leader)
		return -ESRCH;
	err = rw_may_watch(leader);
	if (!err)
		err = rw_watch_arm_task(s, req, id, leader, out);
	put_task_struct(leader);
	return err;
}

/**
 * rw_watch_arm_task() - rw_watch_arm() for a process already found and
 *	whose rights were already checked
 * @s: session the watch will belong to
 * @req: validated request (@req->pid is only recorded)
 * @id: the watch's id
 * @leader: a thread of the target process, referenced by the caller
 * @out: the armed watch
 *
 * Return: as rw_watch_arm(), without -EPERM.
 */
int rw_watch_arm_task(struct rw_session *s, const struct racewatch_watch *req, u32 id,
		      struct task_struct *leader, struct rw_watch **out)
{
	struct rw_watch *w;
	int err, type;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->session = s;
	w->id = id;
	w->pid = req->pid;
	w->kind = req->kind;
	w->len = req->len;
	w->flags = req->flags;
	w->addr = req->addr;
	atomic64_set(&w->hits, 0);
	for (type = 0; type < RW_NR_SLOT_TYPES; type++) {
		w->slot[type].watch = w;
		w->slot[type].type = type;
	}

	err = rw_arm_threads(w, leader);
	if (err) {
		rw_watch_disarm(w);
		return err;
	}
	/* Pairs with the handler's smp_load_acquire(): records start now. */
	smp_store_release(&w->live, true);
	*out = w;
	return 0;
}

/**
 * rw_watch_disarm() - unregister every breakpoint of a watch and free it
 * @w: the watch, already removed from its session's table
 *
 * Sleeps. When it returns no handler runs for @w any more.
 */
void rw_watch_disarm(struct rw_watch *w)
{
	rw_watch_unregister(w);
	/* Unregistering waited for handlers on other CPUs; be sure of this CPU too. */
	synchronize_rcu();
	rw_watch_free(w);
}

/**
 * rw_watches_disarm_all() - disarm and free every watch of a table
 * @xa: the table; emptied
 *
 * Like rw_watch_disarm() for each, with one RCU grace period for all.
 */
void rw_watches_disarm_all(struct xarray *xa)
{
	struct rw_watch *w;
	unsigned long id;

	xa_for_each(xa, id, w)
		rw_watch_unregister(w);
	synchronize_rcu();
	xa_for_each(xa, id, w) {
		xa_erase(xa, id);
		rw_watch_free(w);
	}
}

/**
 * rw_watch_live_threads() - threads in which the watch is armed right now
 * @w: the watch; the caller holds its session's lock
 *
 * Counts the registered breakpoints whose thread has not exited (or exec'd)
 * plus the copies threads created later inherited from them.
 *
 * Return: the number of threads.
 */
unsigned int rw_watch_live_threads(struct rw_watch *w)
{
	struct perf_event *bp, *child;
	unsigned int i, n = 0;

	for (i = 0; i < w->nr_threads; i++) {
		bp = w->threads[i].bp[RW_SLOT_W];
		if (READ_ONCE(bp->state) >= PERF_EVENT_STATE_INACTIVE)
			n++;
		mutex_lock(&bp->child_mutex);
		list_for_each_entry(child, &bp->child_list, child_list)
			n++;
		mutex_unlock(&bp->child_mutex);
	}
	return n;
}
