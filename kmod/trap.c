// SPDX-License-Identifier: GPL-2.0
/*
 * The breakpoint handler. It runs in #DB context (the trap after a user
 * instruction touched a watched location) with interrupts off: it never
 * sleeps and never prints, it fills one record, stores it or counts it as
 * dropped, and wakes readers through irq_work.
 *
 * Reads versus writes: x86 debug registers trap on writes (W) or on reads and
 * writes (RW), never on reads alone. A KIND_RW watch registers both on the
 * same address. A trap reported by the W slot is a write. A trap reported by
 * the RW slot alone is a read. Under QEMU one access reports exactly one slot;
 * real CPUs set every matching DR6 bit, so a write reaches both handlers in the
 * same #DB, one after the other on this CPU. The per-CPU "last trap" below
 * folds that second call into the first record: W after RW upgrades the record
 * to a write, RW after W is dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/fsgsbase.h>

#include "racewatch.h"

/**
 * struct rw_last_trap - the last record this CPU produced, for W/RW folding
 * @watch: watch of the record; NULL once folded or forgotten
 * @task: trapping task (compared, never dereferenced)
 * @ip: user ip of the trap
 * @sp: user sp of the trap
 * @seq: sequence number of the record
 * @type: slot type that produced it
 * @stored: the record made it into the ring
 */
struct rw_last_trap {
	struct rw_watch *watch;
	struct task_struct *task;
	unsigned long ip;
	unsigned long sp;
	u64 seq;
	u8 type;
	bool stored;
};

struct rw_cpu {
	struct rw_last_trap last;
	u64 scratch[RW_REC_MAX / sizeof(u64)];
};

static DEFINE_PER_CPU(struct rw_cpu, rw_cpu);

/*
 * The same walk for a 32-bit task: [ebp] is the caller's ebp, [ebp + 4] the
 * return address, both 4 bytes. Only the low 32 bits of the registers are
 * the task's.
 */
static u32 rw_walk_user_stack32(struct pt_regs *regs, u64 *out, u32 max, bool *trunc)
{
	struct {
		u32 next;
		u32 ret;
	} frame;
	u32 fp = (u32)regs->bp;
	u32 lo = (u32)regs->sp;
	u32 n = 0;

	for (;;) {
		if (!fp || (fp & 3) || fp < lo || fp > U32_MAX - sizeof(frame))
			break;
		if (copy_from_user_nofault(&frame, (const void __user *)(unsigned long)fp,
					   sizeof(frame)))
			break;
		if (!frame.ret)
			break;
		if (n == max) {
			*trunc = true;
			break;
		}
		out[n++] = frame.ret;
		if (frame.next <= fp)
			break;
		lo = fp + sizeof(frame);
		fp = frame.next;
	}
	return n;
}

/*
 * Walk the user stack through saved frame pointers: [fp] is the caller's fp,
 * [fp + 8] the return address. Stops at a NULL, unaligned, non-increasing or
 * unreadable frame. Code built without frame pointers leaves rbp as a general
 * register: the walk then usually stops at once or yields a few bogus entries.
 */
static u32 rw_walk_user_stack(struct pt_regs *regs, u64 *out, u32 max, bool *trunc)
{
	struct {
		u64 next;
		u64 ret;
	} frame;
	unsigned long fp = regs->bp;
	unsigned long lo = regs->sp;
	u32 n = 0;

	*trunc = false;
	if (!user_64bit_mode(regs))
		return rw_walk_user_stack32(regs, out, max, trunc);
	for (;;) {
		if (!fp || (fp & 7) || fp < lo || fp > TASK_SIZE_MAX - sizeof(frame))
			break;
		if (copy_from_user_nofault(&frame, (const void __user *)fp, sizeof(frame)))
			break;
		if (!frame.ret)
			break;
		if (n == max) {
			*trunc = true;
			break;
		}
		out[n++] = frame.ret;
		if (frame.next <= fp)
			break;
		lo = fp + sizeof(frame);
		fp = frame.next;
	}
	return n;
}

static void rw_fill_record(struct racewatch_access *rec, struct rw_watch *w, u8 type,
			   struct pt_regs *regs)
{
	u64 value = 0;
	bool trunc;

	memset(rec, 0, sizeof(*rec));
	rec->type = RACEWATCH_REC_ACCESS;
	rec->time_ns = ktime_get_ns();
	rec->pid = task_tgid_nr(current);
	rec->tid = task_pid_nr(current);
	rec->cpu = smp_processor_id();
	rec->watch_id = w->id;
	rec->addr = w->addr;
	rec->access = type == RW_SLOT_W ? RACEWATCH_ACCESS_WRITE : RACEWATCH_ACCESS_READ;
	rec->len = w->len;
	/* #DB keeps DR7 cleared while it runs: this read cannot trap again. */
	if (!copy_from_user_nofault(&value, u64_to_user_ptr(w->addr), w->len)) {
		rec->value = value;
		rec->flags |= RACEWATCH_ACCESS_F_VALUE_OK;
	}
	strscpy_pad(rec->comm, current->comm, sizeof(rec->comm));
	if (user_64bit_mode(regs)) {
		rec->regs.ip = regs->ip;
		rec->regs.sp = regs->sp;
		rec->regs.bp = regs->bp;
		rec->regs.r14 = regs->r14;
		rec->regs.fsbase = x86_fsbase_read_cpu();
	} else {
		/* a 32-bit task: no r14, and its thread pointer is not fsbase */
		rec->flags |= RACEWATCH_ACCESS_F_COMPAT;
		rec->regs.ip = (u32)regs->ip;
		rec->regs.sp = (u32)regs->sp;
		rec->regs.bp = (u32)regs->bp;
	}
	rec->regs.flags = regs->flags;
	rec->nr_stack = rw_walk_user_stack(regs, rec->stack, RACEWATCH_MAX_STACK, &trunc);
	if (trunc)
		rec->flags |= RACEWATCH_ACCESS_F_STACK_TRUNC;
	rec->size = sizeof(*rec) + rec->nr_stack * sizeof(rec->stack[0]);
}

/*
 * Is this call the second slot of the trap that produced this CPU's last
 * record? Then fold it in and return true; the caller emits nothing.
 * Returns false when a fresh record is needed, including when the read
 * record was already consumed and the write must be reported on its own.
 */
static bool rw_trap_fold(struct rw_last_trap *last, struct rw_watch *w, u8 type,
			 struct pt_regs *regs)
{
	if (READ_ONCE(last->watch) != w || last->task != current || last->ip != regs->ip ||
	    last->sp != regs->sp || last->type == type)
		return false;
	WRITE_ONCE(last->watch, NULL);
	if (type == RW_SLOT_RW || !last->stored)
		return true;
	return rw_ring_upgrade_write(&w->session->ring, last->seq);
}

/**
 * rw_bp_handler() - perf overflow handler of every racewatch breakpoint
 * @bp: the breakpoint (registered or inherited by a new thread)
 * @data: perf sample data (unused)
 * @regs: user registers at the trap
 *
 * The handler context of @bp is a &struct rw_slot of a live watch: watches
 * unregister their breakpoints (which waits for running handlers) before
 * they are freed.
 */
void rw_bp_handler(struct perf_event *bp, struct perf_sample_data *data, struct pt_regs *regs)
{
	struct rw_slot *slot = bp->overflow_handler_context;
	struct rw_watch *w = slot->watch;
	struct rw_session *s = w->session;
	struct rw_cpu *c = this_cpu_ptr(&rw_cpu);
	struct racewatch_access *rec = (struct racewatch_access *)c->scratch;
	bool stored;

	/* Pairs with rw_watch_arm()'s release: no record before arming completed. */
	if (!user_mode(regs) || !smp_load_acquire(&w->live))
		return;
	if (w->kind == RACEWATCH_KIND_RW && rw_trap_fold(&c->last, w, slot->type, regs))
		return;

	rw_fill_record(rec, w, slot->type, regs);
	atomic64_inc(&w->hits);
	stored = rw_ring_push(&s->ring, rec);

	c->last.task = current;
	c->last.ip = regs->ip;
	c->last.sp = regs->sp;
	c->last.seq = rec->seq;
	c->last.type = slot->type;
	c->last.stored = stored;
	WRITE_ONCE(c->last.watch, w);

	if (stored)
		irq_work_queue(&s->wake);
}

/**
 * rw_trap_forget() - drop every CPU's reference to a watch being freed
 * @w: the watch; its breakpoints are already unregistered
 */
void rw_trap_forget(struct rw_watch *w)
{
	int cpu;

	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu_ptr(&rw_cpu, cpu)->last.watch, w, NULL);
}
