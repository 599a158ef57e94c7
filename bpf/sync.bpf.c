// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch sync tracer: turns pthread/semaphore calls (uprobes, attached by
 * user/lib/sync_source.c per watched process), futex syscalls and thread /
 * process lifecycle tracepoints into struct rw_sync_event records on a ring
 * buffer. Only processes in the "targets" map produce records.
 * See Documentation/sync.rst.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "racewatch/sync.h"

#define VM_SHARED_FLAG	0x00000008UL
#define EBUSY_		16
#define PAGE_SHIFT_X86	12

#define FUTEX_CMD_MASK_	(~(128 | 256))	/* ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) */
#define FUTEX_WAIT_	0
#define FUTEX_WAKE_	1
#define FUTEX_WAKE_OP_	5
#define FUTEX_LOCK_PI_	6
#define FUTEX_UNLOCK_PI_ 7
#define FUTEX_TRYLOCK_PI_ 8
#define FUTEX_WAIT_BITSET_ 9
#define FUTEX_WAKE_BITSET_ 10
#define FUTEX_LOCK_PI2_	13

/* glibc's pthread_mutex_t (x86-64): __lock, __count, __owner, __nusers, __kind */
#define MUTEX_COUNT_OFF	4
#define MUTEX_OWNER_OFF	8
#define MUTEX_KIND_OFF	16
#define MUTEX_KIND_MASK	3
#define MUTEX_RECURSIVE	1

/* glibc's struct pthread_barrier (2.23+): in, current_round, count, shared, out */
#define BARRIER_COUNT_OFF 8

/* siginfo_t: si_pid follows si_signo, si_errno, si_code and padding */
#define SIGINFO_PID_OFF	16

const volatile bool follow_children = false;
/* wake the reader only once this much is waiting; it polls with a timeout */
const volatile __u64 wakeup_bytes = 64 * sizeof(struct rw_sync_event);

char LICENSE[] SEC("license") = "GPL";

/* tgid -> 1: the processes whose events are reported */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* resized by user space before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_SYNC_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * tid -> thread pointer, from THREAD_CREATE/FORK, for the exit record: by
 * the exit tracepoint mm_release() has run deactivate_mm(), which loads a
 * null FS selector (FS base 0 on Intel and QEMU); a context switch after
 * that saves 0 into thread.fsbase (seen in the 6.1 VM).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} tls SEC(".maps");

/* Arguments of an in-flight call whose result decides the edge. */
struct stash_key {
	__u32 tid;
	__u32 op;	/* RW_OP_* | prim << 8: pthread_once may run a trylock inside */
};

struct stash_val {
	__u64 obj;
	__u64 arg;
};

/* LRU: a thread killed inside a probed call never reaches the return probe */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct stash_key);
	__type(value, struct stash_val);
} stash SEC(".maps");

/* Syscall arguments from sys_enter to sys_exit, by tid. */
struct sys_args {
	__u64 uaddr;
	__u64 uaddr2;
	__u32 cmd;
	__u32 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sys_args);
} sysargs SEC(".maps");

static __always_inline void stat_inc(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		*v += 1;
}

static __always_inline bool is_target(__u32 tgid)
{
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

struct key_ctx {
	__u64 addr;
	struct rw_key *key;
};

static long key_from_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct key_ctx *kc = data;
	struct rw_key *key = kc->key;
	struct file *file = BPF_CORE_READ(vma, vm_file);
	__u64 flags = BPF_CORE_READ(vma, vm_flags);
	struct inode *inode;

	if (!file || !(flags & VM_SHARED_FLAG))
		return 0;	/* private: the caller's (tgid, address) key stands */
	inode = BPF_CORE_READ(file, f_inode);
	key->kind = RW_KEY_SHARED;
	key->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->id = BPF_CORE_READ(inode, i_ino);
	key->off = (BPF_CORE_READ(vma, vm_pgoff) << PAGE_SHIFT_X86) + kc->addr -
		   BPF_CORE_READ(vma, vm_start);
	return 0;
}

/*
 * Key of the object at user address @addr: (dev, inode, offset) inside a
 * shared file mapping, else (tgid, address). Returns RW_SYNC_F_KEY_BUSY when
 * the VMA could not be looked up (mmap lock contended), 0 otherwise.
 */
static __always_inline __u32 make_key(struct rw_key *key, __u64 addr, __u32 tgid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct key_ctx kc = { .addr = addr, .key = key };
	long err;

	key->kind = RW_KEY_PRIVATE;
	key->dev = 0;
	key->id = tgid;
	key->off = addr;
	if (!addr)
		return 0;
	err = bpf_find_vma(task, addr, key_from_vma, &kc, 0);
	if (err == -EBUSY_) {
		stat_inc(RW_SYNC_STAT_KEY_BUSY);
		return RW_SYNC_F_KEY_BUSY;
	}
	return 0;
}

static __always_inline struct rw_sync_event *ev_reserve(__u32 op, __u32 prim)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	struct rw_sync_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(RW_SYNC_STAT_DROPS);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = RW_REC_SYNC;
	e->size = sizeof(*e);
	e->time_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->op = op;
	e->prim = prim;
	e->fsbase = BPF_CORE_READ(task, thread.fsbase);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/*
 * A wakeup per record costs the reader a context switch per lock operation
 * (and a CPU beside the traced process): wake it only for a batch.
 */
static __always_inline void ev_submit(struct rw_sync_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	stat_inc(RW_SYNC_STAT_EVENTS);
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + sizeof(*e) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline int emit_obj(__u32 op, __u32 prim, __u64 obj, __u64 obj2, __u64 arg,
				    __u32 flags, __u64 caller)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct rw_sync_event *e = ev_reserve(op, prim);

	if (!e)
		return 0;
	e->flags = flags;
	e->caller = caller;
	e->arg = arg;
	if (op != RW_OP_JOIN_LAZY) {
		e->flags |= make_key(&e->obj, obj, tgid);
		if (obj2)
			e->flags |= make_key(&e->obj2, obj2, tgid);
	}
	ev_submit(e);
	return 0;
}

/* A 32-bit word of user memory (glibc object state); 0 when unreadable. */
static __always_inline int user_word(__u64 m, int off)
{
	int v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)(m + off));
	return v;
}

SEC("uprobe")
int BPF_KPROBE(sync_entry, __u64 a1, __u64 a2)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 op = RW_COOKIE_OP(cookie), prim = RW_COOKIE_PRIM(cookie);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, flags = 0;
	__u64 caller = 0;

	if (!is_target(id >> 32))
		return 0;
	bpf_probe_read_user(&caller, sizeof(caller), (void *)PT_REGS_SP(ctx));

	switch (RW_COOKIE_HOW(cookie)) {
	case RW_PROBE_MUTEX_LOCK:
		/* relock by the owner: recursive (nested) or an error, never an edge */
		if (user_word(a1, MUTEX_OWNER_OFF) == (int)tid)
			return 0;
		if ((user_word(a1, MUTEX_KIND_OFF) & MUTEX_KIND_MASK) == MUTEX_RECURSIVE)
			flags |= RW_SYNC_F_RECURSIVE;
		break;
	case RW_PROBE_MUTEX_UNLOCK:
		if ((user_word(a1, MUTEX_KIND_OFF) & MUTEX_KIND_MASK) == MUTEX_RECURSIVE) {
			/* __count > 1: an inner unlock, the mutex stays held */
			if (user_word(a1, MUTEX_COUNT_OFF) > 1)
				return 0;
			flags |= RW_SYNC_F_RECURSIVE;
		}
		break;
	case RW_PROBE_COND_WAIT:
		return emit_obj(op, prim, a1, a2, 0, 0, caller);
	case RW_PROBE_JOIN:
		return emit_obj(op, prim, 0, 0, a1, 0, caller);
	case RW_PROBE_BARRIER:
		/* the thread count makes rounds of the arrivals (0: unreadable) */
		return emit_obj(op, prim, a1, 0, (__u32)user_word(a1, BARRIER_COUNT_OFF), 0,
				caller);
	case RW_PROBE_STASH_MUTEX:
		if (user_word(a1, MUTEX_OWNER_OFF) == (int)tid)
			return 0;
		/* fall through */
	case RW_PROBE_STASH: {
		struct stash_key k = { .tid = tid, .op = op | prim << 8 };
		struct stash_val v = { .obj = a1, .arg = caller };

		bpf_map_update_elem(&stash, &k, &v, BPF_ANY);
		return 0;
	}
	default:
		break;
	}
	return emit_obj(op, prim, a1, 0, 0, flags, caller);
}

SEC("uretprobe")
int BPF_KRETPROBE(sync_return, long rc)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 op = RW_COOKIE_OP(cookie), prim = RW_COOKIE_PRIM(cookie);
	__u64 id = bpf_get_current_pid_tgid();
	struct stash_key k = { .tid = (__u32)id, .op = op | prim << 8 };
	struct stash_val *v;
	__u64 obj, caller;
	__u32 flags = 0;

	v = bpf_map_lookup_elem(&stash, &k);
	if (!v)
		return 0;
	obj = v->obj;
	caller = v->arg;
	bpf_map_delete_elem(&stash, &k);
	if (!is_target(id >> 32))
		return 0;
	/* the result decides the edge, except pthread_once: done either way */
	if (op != RW_OP_ONCE_DONE && (int)rc != 0)
		return 0;
	if (prim == RW_PRIM_MUTEX &&
	    (user_word(obj, MUTEX_KIND_OFF) & MUTEX_KIND_MASK) == MUTEX_RECURSIVE)
		flags |= RW_SYNC_F_RECURSIVE;
	if (op == RW_OP_JOIN_LAZY)
		return emit_obj(op, prim, 0, 0, obj, 0, caller);
	return emit_obj(op, prim, obj, 0, 0, flags, caller);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sync_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, ctid;
	struct rw_sync_event *e;
	__u8 one = 1;
	__u64 fs;

	if (!is_target(ptgid))
		return 0;
	/* CLONE_SETTLS: copy_thread() already stored the new thread pointer */
	fs = BPF_CORE_READ(child, thread.fsbase);
	if (ctgid == ptgid) {
		e = ev_reserve(RW_OP_THREAD_CREATE, RW_PRIM_THREAD);
		if (!e)
			return 0;
		e->arg = child->pid;
		e->arg2 = fs;
		ctid = child->pid;
		/* from the stack: 6.1's verifier refuses ring buffer memory here */
		bpf_map_update_elem(&tls, &ctid, &fs, BPF_ANY);
	} else {
		if (follow_children)
			bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY);
		e = ev_reserve(RW_OP_FORK, RW_PRIM_PROCESS);
		if (!e)
			return 0;
		e->arg = ctgid;
		e->arg2 = fs;
		ctid = child->pid;
		/* from the stack: 6.1's verifier refuses ring buffer memory here */
		bpf_map_update_elem(&tls, &ctid, &fs, BPF_ANY);
	}
	ev_submit(e);
	return 0;
}

/* tgid -> its signal_struct: the process whose "last exit" was reported */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} ended SEC(".maps");

/*
 * True for exactly one exiting thread per process: the first to pass the
 * tracepoint once signal->live is 0, i.e. once every thread is inside
 * do_exit() and none can run user code again. That may be a thread other
 * than the one whose decrement reached 0: pthread_join() returns at the
 * joined thread's exit_mm(), before its tracepoint, so the joiner can exit
 * the process first.
 */
static __always_inline bool first_after_group_dead(struct task_struct *p, __u32 tgid)
{
	__u64 sig = (__u64)BPF_CORE_READ(p, signal), *old;

	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return false;
	if (!bpf_map_update_elem(&ended, &tgid, &sig, BPF_NOEXIST))
		return true;
	old = bpf_map_lookup_elem(&ended, &tgid);
	if (old && *old == sig)
		return false;
	/* an earlier process with this tgid: this one ends now */
	bpf_map_update_elem(&ended, &tgid, &sig, BPF_ANY);
	return true;
}

/*
 * tid -> when the thread called exit(2) or exit_group(2). pthread_join()
 * returns from the joined thread's exit_mm() (CLONE_CHILD_CLEARTID wakes the
 * joiner), before sched_process_exit: stamped there, the exit record could
 * sort after what the joiner did next — after it created a thread that
 * reuses the dead one's stack and so its pthread_t. No user code runs after
 * the syscall's entry, so the exit record carries that earlier time.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} exiting SEC(".maps");

static __always_inline int exit_called(void)
{
	__u64 id = bpf_get_current_pid_tgid(), now;
	__u32 tid = (__u32)id;

	if (!is_target(id >> 32))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&exiting, &tid, &now, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_exit")
int sync_sys_exit(void *ctx)
{
	return exit_called();
}

SEC("tracepoint/syscalls/sys_enter_exit_group")
int sync_sys_exit_group(void *ctx)
{
	return exit_called();
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sync_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	struct rw_sync_event *e;

	if (!is_target(tgid))
		return 0;
	__u32 tid = p->pid;
	__u64 *fs, *called;

	e = ev_reserve(RW_OP_THREAD_EXIT, RW_PRIM_THREAD);
	if (!e)
		return 0;
	e->arg = first_after_group_dead(p, tgid);
	called = bpf_map_lookup_elem(&exiting, &tid);
	if (called) {
		/* not the process's last record: that one says no thread runs user code any more */
		if (!e->arg && *called < e->time_ns)
			e->time_ns = *called;
		bpf_map_delete_elem(&exiting, &tid);
	}
	fs = bpf_map_lookup_elem(&tls, &tid);
	if (fs) {
		e->fsbase = *fs;
		bpf_map_delete_elem(&tls, &tid);
	}
	ev_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sync_exec, struct task_struct *p, pid_t old_pid)
{
	struct rw_sync_event *e;
	__u32 tid = p->pid;

	if (!is_target(p->tgid))
		return 0;
	/* the new image gets a new thread pointer: forget the one from before */
	bpf_map_delete_elem(&tls, &tid);
	e = ev_reserve(RW_OP_EXEC, RW_PRIM_PROCESS);
	if (!e)
		return 0;
	e->arg = old_pid;
	ev_submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_futex")
int sync_futex_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 uaddr = ctx->args[0], uaddr2 = ctx->args[4];
	__u32 cmd = (__u32)ctx->args[1] & FUTEX_CMD_MASK_;
	struct sys_args a = {};

	if (!is_target(id >> 32))
		return 0;
	switch (cmd) {
	case FUTEX_WAKE_:
	case FUTEX_WAKE_BITSET_:
	case FUTEX_UNLOCK_PI_:
		return emit_obj(RW_OP_FUTEX_WAKE, RW_PRIM_FUTEX, uaddr, 0, cmd, 0, 0);
	case FUTEX_WAKE_OP_:
		return emit_obj(RW_OP_FUTEX_WAKE, RW_PRIM_FUTEX, uaddr, uaddr2, cmd,
				RW_SYNC_F_WAKE_OP, 0);
	case FUTEX_WAIT_:
	case FUTEX_WAIT_BITSET_:
	case FUTEX_LOCK_PI_:
	case FUTEX_LOCK_PI2_:
	case FUTEX_TRYLOCK_PI_:
		a.uaddr = uaddr;
		a.cmd = cmd;
		a.nr = 1;
		bpf_map_update_elem(&sysargs, &tid, &a, BPF_ANY);
		return 0;
	default:
		return 0;
	}
}

SEC("tracepoint/syscalls/sys_exit_futex")
int sync_futex_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_args *a = bpf_map_lookup_elem(&sysargs, &tid);
	__u64 uaddr;
	__u32 cmd;

	if (!a || a->nr != 1)
		return 0;
	uaddr = a->uaddr;
	cmd = a->cmd;
	bpf_map_delete_elem(&sysargs, &tid);
	if (ctx->ret != 0 || !is_target(id >> 32))
		return 0;
	return emit_obj(RW_OP_FUTEX_WAIT, RW_PRIM_FUTEX, uaddr, 0, cmd, 0, 0);
}

#define S_IFMT_		00170000
#define S_IFIFO_	0010000

/*
 * The pipe or FIFO open as @fd in the current task: its key, (dev, inode)
 * of the pipe, shared by both ends and by every process holding them.
 * False for any other kind of file, or no file.
 */
static __always_inline bool fifo_key(__u64 fd, struct rw_key *key)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	struct inode *inode;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return false;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode || (BPF_CORE_READ(inode, i_mode) & S_IFMT_) != S_IFIFO_)
		return false;
	key->kind = RW_KEY_SHARED;
	key->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->id = BPF_CORE_READ(inode, i_ino);
	key->off = 0;
	return true;
}

static __always_inline int emit_pipe(__u32 op, const struct rw_key *key)
{
	struct rw_sync_event *e = ev_reserve(op, RW_PRIM_PIPE);

	if (!e)
		return 0;
	e->obj = *key;
	ev_submit(e);
	return 0;
}

/* write(2) to a pipe: a release, stamped before the data can be read */
SEC("tracepoint/syscalls/sys_enter_write")
int sync_write_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct rw_key key;

	if (!is_target(bpf_get_current_pid_tgid() >> 32) || !fifo_key(ctx->args[0], &key))
		return 0;
	return emit_pipe(RW_OP_RELEASE, &key);
}

SEC("tracepoint/syscalls/sys_enter_read")
int sync_read_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_args a = { .uaddr = ctx->args[0], .nr = 3 };

	if (!is_target(id >> 32))
		return 0;
	bpf_map_update_elem(&sysargs, &tid, &a, BPF_ANY);
	return 0;
}

/* read(2) from a pipe that returned data: an acquire of what the writers released */
SEC("tracepoint/syscalls/sys_exit_read")
int sync_read_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_args *a = bpf_map_lookup_elem(&sysargs, &tid);
	struct rw_key key;
	__u64 fd;

	if (!a || a->nr != 3)
		return 0;
	fd = a->uaddr;
	bpf_map_delete_elem(&sysargs, &tid);
	/* no longer watched while it slept in read(): nothing */
	if (ctx->ret <= 0 || !is_target(id >> 32) || !fifo_key(fd, &key))
		return 0;
	return emit_pipe(RW_OP_ACQUIRE, &key);
}

static __always_inline int wait_child(__u32 child)
{
	struct rw_sync_event *e;

	if (!child)
		return 0;
	e = ev_reserve(RW_OP_WAIT_CHILD, RW_PRIM_PROCESS);
	if (!e)
		return 0;
	e->arg = child;
	ev_submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_wait4")
int sync_wait4_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0 || !is_target(bpf_get_current_pid_tgid() >> 32))
		return 0;
	return wait_child(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_waitid")
int sync_waitid_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_args a = { .uaddr = ctx->args[2], .nr = 2 };

	if (!is_target(id >> 32) || !a.uaddr)
		return 0;
	bpf_map_update_elem(&sysargs, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_waitid")
int sync_waitid_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sys_args *a = bpf_map_lookup_elem(&sysargs, &tid);
	__u64 infop;
	int pid = 0;

	if (!a || a->nr != 2)
		return 0;
	infop = a->uaddr;
	bpf_map_delete_elem(&sysargs, &tid);
	if (ctx->ret != 0)
		return 0;
	/* WNOHANG with nothing to reap leaves si_pid 0 */
	bpf_probe_read_user(&pid, sizeof(pid), (void *)(infop + SIGINFO_PID_OFF));
	return wait_child(pid);
}
