// SPDX-License-Identifier: GPL-2.0
/*
 * File watches: one field of a shared file mapping (a POSIX shm object, a
 * memfd, any MAP_SHARED file mapping, the shm file behind a System V
 * segment), watched in every process that maps it, each at its own address.
 *
 * A file watch is a list of per-process armings. Each arming is an ordinary
 * &struct rw_watch (watch.c) made with the file watch's id and the process's
 * own address, so the breakpoint handler and the record layout are the same
 * as for RACEWATCH_IOC_WATCH: records carry the file watch's id and the
 * address in the accessing process. New threads of an armed process inherit
 * its breakpoints (perf inherit_thread), as for any watch.
 *
 * Everything that can change which processes map the field is followed by
 * re-examining the process ("syncing" it) in its own context before it
 * returns to user space: tracepoint probes (atomic context, never sleeping)
 * queue a task_work on the task, and the task_work (process context) takes
 * rw_files_lock, walks the process's VMAs and arms or disarms it:
 *
 * - sys_exit of mmap (MAP_SHARED), mremap, shmat, remap_file_pages, munmap
 *   and shmdt, of 64-bit tasks and of 32-bit (ia32) ones alike (mmap2, old
 *   mmap, ipc(SHMAT/SHMDT) too): a process that maps the file later is armed
 *   before its next user instruction; one that unmaps it is disarmed;
 * - sched_process_fork of a new process: the child, which keeps the parent's
 *   shared mappings, is armed before its first user instruction (perf does
 *   not copy the breakpoints into fork children: inherit_thread);
 * - sched_process_exec: the old image's arming is dropped (its breakpoints
 *   were already removed by perf, remove_on_exec);
 * - sched_process_exit of a thread group's last thread: a work item frees the
 *   armings of processes that are gone.
 *
 * The probes are registered only while at least one file watch exists:
 * registering sys_exit makes every task take the slow syscall exit path.
 *
 * Executable watches (RACEWATCH_IOC_WATCH_EXE) use the same machinery with
 * another rule for "where is the field in this process": a process matches
 * when its mm's exe_file is the watched file, and its address is the field's
 * link-time address plus the process's load bias, found from its private
 * mapping of the file at the anchor segment's offset. Such watches also make
 * sched_process_exec queue a sync of every exec'ing process, so a process
 * that execs the executable later is armed before its first instruction.
 *
 * Rights: a process is armed only if the caller of WATCH_FILE (its
 * credentials, kept with the watch) has CAP_SYS_PTRACE in the process's user
 * namespace, as for RACEWATCH_IOC_WATCH; the others are skipped and counted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/ipc.h>
#include <linux/kdev_t.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#include <uapi/linux/audit.h>

#include "racewatch.h"

/* Most file watches one open file may hold. */
#define RW_FILE_MAX_WATCHES	32
/* Most mappings of the field armed in one process (each takes debug registers). */
#define RW_FILE_MAX_MAPS	4

/**
 * struct rw_fproc - the arming of one process at one address
 * @node: in &rw_fwatch.procs
 * @w: the breakpoints (id = the file watch's id, addr = @addr)
 * @tgid: the process
 * @mm: the address space the arming was made for (compared, never
 *	dereferenced): a process that exec'd has another one
 * @addr: the field's address in this process
 */
struct rw_fproc {
	struct list_head node;
	struct rw_watch *w;
	struct pid *tgid;
	const struct mm_struct *mm;
	u64 addr;
};

/**
 * struct rw_fwatch - a file watch; every field is under rw_files_lock
 * @node: in rw_files
 * @s: the session it belongs to
 * @cred: the credentials of the WATCH_FILE caller, which judge rights
 * @id: watch id, reserved in @s's watch table
 * @kind: RACEWATCH_KIND_*
 * @len: watched bytes
 * @dev: the file's device (kernel dev_t)
 * @ino: the file's inode number (once @bound)
 * @bound: @ino is known; a watch by name is bound by the first mapping seen
 * @name: the file's name in its file system's root, for a watch by name
 * @offset: the field's offset in the file; for an executable watch, its
 *	link-time virtual address
 * @exe: an executable watch (RACEWATCH_IOC_WATCH_EXE)
 * @notify: queue a struct racewatch_arm record for every arming
 * @flags: the flags of the request that made it, for RACEWATCH_IOC_LIST
 * @scope_nr: the scope's pid as the caller gave it (0: every process)
 * @anchor_pgoff: for @exe, the page offset in the file of the anchor segment
 * @anchor_vaddr: for @exe, the anchor segment's page-aligned link-time address
 * @scope: root of the process tree in scope; NULL: every process
 * @procs: &struct rw_fproc, one per armed (process, address)
 * @nr_procs: entries in @procs
 * @armed: armings made so far
 * @skipped: armings refused for lack of rights so far
 * @failed: armings that failed otherwise so far
 * @gone_hits: hits of armings undone since
 */
struct rw_fwatch {
	struct list_head node;
	struct rw_session *s;
	const struct cred *cred;
	u32 id;
	u32 kind;
	u32 len;
	dev_t dev;
	u64 ino;
	bool bound;
	char *name;
	u64 offset;
	bool exe;
	bool notify;
	u32 flags;
	u32 scope_nr;
	unsigned long anchor_pgoff;
	u64 anchor_vaddr;
	struct pid *scope;
	struct list_head procs;
	unsigned int nr_procs;
	u64 armed;
	u64 skipped;
	u64 failed;
	u64 gone_hits;
};

static DEFINE_MUTEX(rw_files_lock);
static LIST_HEAD(rw_files);
/* Probes act only while file watches exist (rw_files_active) ... */
static atomic_t rw_files_active = ATOMIC_INIT(0);
/* ... and watch for unmaps, exec and exit only while something is armed ... */
static atomic_t rw_files_procs = ATOMIC_INIT(0);
/* ... or, for exec, while an executable watch waits for new processes. */
static atomic_t rw_files_exe = ATOMIC_INIT(0);

static void rw_files_gc_fn(struct work_struct *work);
static DECLARE_WORK(rw_files_gc, rw_files_gc_fn);

/* ---- syncing one process ------------------------------------------------------------------- */

/* Is @t the scope root or one of its descendants (by parentage now)? */
static bool rw_file_in_scope(struct rw_fwatch *fw, struct task_struct *t)
{
	struct task_struct *p;
	bool in = false;
	int depth;

	if (!fw->scope)
		return true;
	rcu_read_lock();
	for (depth = 0; depth < 4096; depth++) {
		if (task_tgid(t) == fw->scope) {
			in = true;
			break;
		}
		p = rcu_dereference(t->real_parent);
		if (p == t)
			break;
		t = p;
	}
	rcu_read_unlock();
	return in;
}

/*
 * CAP_SYS_PTRACE of the watch's maker in @t's user namespace. This often runs
 * in another task's context (a task work of the process being armed), so the
 * maker's credentials are put in place for the check (security_capable() is
 * not exported to modules); the check must not mark the task as having used
 * privileges (PF_SUPERPRIV) it did not use.
 */
static bool rw_file_may(struct rw_fwatch *fw, struct task_struct *t)
{
	const struct cred *cred, *old;
	unsigned int superpriv;
	bool ok;

	if (t->flags & PF_KTHREAD)
		return false;
	cred = get_task_cred(t);
	superpriv = current->flags & PF_SUPERPRIV;
	old = override_creds(fw->cred);
	ok = ns_capable_noaudit(cred->user_ns, CAP_SYS_PTRACE);
	revert_creds(old);
	if (!superpriv)
		current->flags &= ~PF_SUPERPRIV;
	put_cred(cred);
	return ok;
}

/* Is @f the file a watch by name waits for: its name, in its file system's root? */
static bool rw_file_name_matches(struct rw_fwatch *fw, struct file *f)
{
	struct dentry *d = f->f_path.dentry;
	size_t len = strlen(fw->name);
	bool ok;

	spin_lock(&d->d_lock);
	ok = d->d_parent == d->d_sb->s_root && d->d_name.len == len &&
	     !memcmp(d->d_name.name, fw->name, len);
	spin_unlock(&d->d_lock);
	return ok;
}

/* Is @f the file (@dev, @ino)? */
static bool rw_file_is(struct file *f, dev_t dev, u64 ino)
{
	struct inode *inode = file_inode(f);

	return inode->i_sb->s_dev == dev && inode->i_ino == ino;
}

/*
 * Where an executable watch's field is in @mm, if @mm runs the executable:
 * the field's link-time address plus the load bias, which is where the
 * private mapping of the anchor segment starts minus its link-time address.
 * The address must be mapped (.data in the file's mapping, .bss in the
 * anonymous one after it). Returns 1 with *@addr set, or 0.
 */
static int rw_exe_addr(struct rw_fwatch *fw, struct mm_struct *mm, u64 *addr)
{
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	struct file *exe;
	bool runs;
	int n = 0;

	/* exe_file is freed after an RCU grace period (file_free_rcu()). */
	rcu_read_lock();
	exe = rcu_dereference(mm->exe_file);
	runs = exe && rw_file_is(exe, fw->dev, fw->ino);
	rcu_read_unlock();
	if (!runs)
		return 0;
	vma_iter_init(&vmi, mm, 0);
	mmap_read_lock(mm);
	for_each_vma(vmi, vma) {
		if (!vma->vm_file || (vma->vm_flags & VM_MAYSHARE) ||
		    vma->vm_pgoff != fw->anchor_pgoff || !rw_file_is(vma->vm_file, fw->dev, fw->ino))
			continue;
		*addr = fw->offset + (vma->vm_start - fw->anchor_vaddr);
		vma = vma_lookup(mm, *addr);
		n = vma && *addr + fw->len <= vma->vm_end;
		break;
	}
	mmap_read_unlock(mm);
	return n;
}

/*
 * The addresses at which @mm's shared mappings of the file hold the whole
 * field, lowest first, at most @max of them. A watch by name not bound yet
 * is bound to the first file of its name found here.
 */
static int rw_file_addrs(struct rw_fwatch *fw, struct mm_struct *mm, u64 *addrs, int max)
{
	struct vm_area_struct *vma;
	struct inode *inode;
	u64 start, addr;
	int n = 0;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, 0);
	mmap_read_lock(mm);
	for_each_vma(vmi, vma) {
		if (!vma->vm_file || !(vma->vm_flags & VM_MAYSHARE))
			continue;
		inode = file_inode(vma->vm_file);
		if (inode->i_sb->s_dev != fw->dev)
			continue;
		if (!fw->bound) {
			if (!rw_file_name_matches(fw, vma->vm_file))
				continue;
			fw->ino = inode->i_ino;
			fw->bound = true;
		}
		if (inode->i_ino != fw->ino)
			continue;
		start = (u64)vma->vm_pgoff << PAGE_SHIFT;
		if (fw->offset < start || fw->offset - start >= vma->vm_end - vma->vm_start)
			continue;
		addr = vma->vm_start + (fw->offset - start);
		if (addr + fw->len > vma->vm_end)
			continue;
		if (n == max)
			break;
		addrs[n++] = addr;
	}
	mmap_read_unlock(mm);
	return n;
}

static void rw_fproc_drop(struct rw_fwatch *fw, struct rw_fproc *p)
{
	list_del(&p->node);
	fw->nr_procs--;
	atomic_dec(&rw_files_procs);
	/* A trap racing with the disarm below may miss this count. */
	fw->gone_hits += atomic64_read(&p->w->hits);
	rw_watch_disarm(p->w);
	put_pid(p->tgid);
	kfree(p);
}

/* Tell the session a process was armed: it may want to trace it before it runs on. */
static void rw_fproc_notify(struct rw_fwatch *fw, struct rw_fproc *p)
{
	struct racewatch_arm rec = {
		.type = RACEWATCH_REC_ARM,
		.size = sizeof(rec),
		.time_ns = ktime_get_ns(),
		.pid = pid_nr(p->tgid),
		.watch_id = fw->id,
		.addr = p->addr,
	};

	if (rw_ring_push_arm(&fw->s->ring, &rec))
		irq_work_queue(&fw->s->wake);
}

static int rw_fproc_arm(struct rw_fwatch *fw, struct task_struct *leader,
			struct mm_struct *mm, u64 addr)
{
	struct racewatch_watch req = {
		.size = sizeof(req),
		.pid = task_tgid_nr(leader),
		.kind = fw->kind,
		.addr = addr,
		.len = fw->len,
	};
	struct rw_fproc *p;
	int err;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	err = rw_watch_arm_task(fw->s, &req, fw->id, leader, &p->w);
	if (err) {
		kfree(p);
		return err;
	}
	p->tgid = get_pid(task_tgid(leader));
	p->mm = mm;
	p->addr = addr;
	list_add_tail(&p->node, &fw->procs);
	fw->nr_procs++;
	fw->armed++;
	atomic_inc(&rw_files_procs);
	if (fw->notify)
		rw_fproc_notify(fw, p);
	return 0;
}

/*
 * Make @fw's armings of the process of @leader match what @mm maps now:
 * drop armings at addresses no longer mapped (or made for an address space
 * the process left by exec), arm the new ones. @mm NULL drops everything.
 */
static void rw_file_sync(struct rw_fwatch *fw, struct task_struct *leader, struct mm_struct *mm)
{
	bool have[RW_FILE_MAX_MAPS] = {};
	u64 addrs[RW_FILE_MAX_MAPS];
	struct pid *tgid = task_tgid(leader);
	struct rw_fproc *p, *tmp;
	bool checked = false;
	int n = 0, i, err;

	if (mm && rw_file_in_scope(fw, leader))
		n = fw->exe ? rw_exe_addr(fw, mm, addrs) :
			      rw_file_addrs(fw, mm, addrs, RW_FILE_MAX_MAPS);
	list_for_each_entry_safe(p, tmp, &fw->procs, node) {
		if (p->tgid != tgid)
			continue;
		for (i = 0; i < n; i++) {
			if (!have[i] && p->mm == mm && p->addr == addrs[i])
				break;
		}
		if (i < n)
			have[i] = true;
		else
			rw_fproc_drop(fw, p);
	}
	for (i = 0; i < n; i++) {
		if (have[i])
			continue;
		if (!checked) {
			if (!rw_file_may(fw, leader)) {
				fw->skipped++;
				return;
			}
			checked = true;
		}
		err = rw_fproc_arm(fw, leader, mm, addrs[i]);
		/* -ESRCH: the process is exiting; its arming would be freed at once. */
		if (err && err != -ESRCH)
			fw->failed++;
	}
}

/* rw_fill_fn: every user process of the system (its leader). */
static unsigned int rw_fill_processes(void *ctx, struct task_struct **v, unsigned int cap)
{
	struct task_struct *t;
	unsigned int n = 0;

	for_each_process(t) {
		if (t->flags & PF_KTHREAD)
			continue;
		if (n == cap)
			return cap + 1;
		v[n++] = t;
	}
	return n;
}

/* Sync every process of the system against a new watch. */
static int rw_file_scan(struct rw_fwatch *fw)
{
	struct task_struct **v;
	struct mm_struct *mm;
	unsigned int n, i;
	int err;

	err = rw_collect_tasks(256, rw_fill_processes, NULL, &v, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		mm = get_task_mm(v[i]);
		if (mm) {
			rw_file_sync(fw, v[i], mm);
			mmput(mm);
		}
	}
	rw_put_tasks(v, n);
	return 0;
}

/* ---- probes and deferred work -------------------------------------------------------------- */

/* task_work: sync the current process against every file watch. */
static void rw_file_work(struct callback_head *cb)
{
	struct rw_fwatch *fw;

	kfree(cb);
	if (!(current->flags & PF_EXITING) && current->mm) {
		mutex_lock(&rw_files_lock);
		list_for_each_entry(fw, &rw_files, node)
			rw_file_sync(fw, current->group_leader, current->mm);
		mutex_unlock(&rw_files_lock);
	}
	/* Queued work holds the module: rmmod waits until every one has run. */
	module_put(THIS_MODULE);
}

/* Atomic context: queue a sync of @t that runs before @t returns to user space. */
static void rw_file_queue(struct task_struct *t)
{
	struct callback_head *cb;

	cb = kmalloc(sizeof(*cb), GFP_ATOMIC | __GFP_NOWARN);
	if (!cb)
		return;
	init_task_work(cb, rw_file_work);
	__module_get(THIS_MODULE);
	if (task_work_add(t, cb, TWA_RESUME)) {
		/* @t is past the point where task works run: it is exiting. */
		module_put(THIS_MODULE);
		kfree(cb);
	}
}

#ifdef CONFIG_IA32_EMULATION
/*
 * What a 32-bit (ia32 compat) task's syscall means for file watches:
 * 1 map (sync it), 0 unmap (sync it while something is armed), -1 nothing.
 */
static int rw_compat_syscall(struct pt_regs *regs)
{
	struct { u32 addr, len, prot, flags, fd, offset; } old;
	unsigned long args[6];

	syscall_get_arguments(current, regs, args);
	switch (syscall_get_nr(current, regs)) {
	case __NR_ia32_mmap2:
		return (args[3] & MAP_SHARED) && !(args[3] & MAP_ANONYMOUS) ? 1 : -1;
	case __NR_ia32_mmap:
		/* old_mmap(): the arguments are in user memory; unreadable: sync anyway */
		if (copy_from_user_nofault(&old, compat_ptr(args[0]), sizeof(old)))
			return 1;
		return (old.flags & MAP_SHARED) && !(old.flags & MAP_ANONYMOUS) ? 1 : -1;
	case __NR_ia32_shmat:
	case __NR_ia32_mremap:
	case __NR_ia32_remap_file_pages:
		return 1;
	case __NR_ia32_munmap:
	case __NR_ia32_shmdt:
		return 0;
	case __NR_ia32_ipc:
		/* ipc(call, ...): the low 16 bits of call say which; the rest is a version */
		switch (args[0] & 0xffff) {
		case SHMAT:
			return 1;
		case SHMDT:
			return 0;
		}
		return -1;
	}
	return -1;
}
#endif

/* The same for a 64-bit task. */
static int rw_native_syscall(struct pt_regs *regs)
{
	unsigned long args[6];

	switch (syscall_get_nr(current, regs)) {
	case __NR_mmap:
		syscall_get_arguments(current, regs, args);
		/* MAP_SHARED and MAP_SHARED_VALIDATE; private and anonymous maps are most */
		return (args[3] & MAP_SHARED) && !(args[3] & MAP_ANONYMOUS) ? 1 : -1;
	case __NR_shmat:
	case __NR_mremap:
	case __NR_remap_file_pages:
		return 1;
	case __NR_munmap:
	case __NR_shmdt:
		return 0;
	}
	return -1;
}

static void rw_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	int what;

	if (!atomic_read(&rw_files_active) || (current->flags & PF_KTHREAD) ||
	    IS_ERR_VALUE(ret))
		return;
	switch (syscall_get_arch(current)) {
	case AUDIT_ARCH_X86_64:
		/* x32 syscalls carry __X32_SYSCALL_BIT and match none of these */
		what = rw_native_syscall(regs);
		break;
#ifdef CONFIG_IA32_EMULATION
	case AUDIT_ARCH_I386:
		what = rw_compat_syscall(regs);
		break;
#endif
	default:
		return;
	}
	if (what < 0 || (!what && !atomic_read(&rw_files_procs)))
		return;
	rw_file_queue(current);
}

static void rw_probe_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	/* New threads inherit the breakpoints; only new processes need arming. */
	if (!atomic_read(&rw_files_procs) || !thread_group_leader(child) ||
	    (child->flags & PF_KTHREAD))
		return;
	rw_file_queue(child);
}

static void rw_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	if (atomic_read(&rw_files_procs) || atomic_read(&rw_files_exe))
		rw_file_queue(p);
}

static void rw_probe_exit(void *data, struct task_struct *p)
{
	/* signal->live dropped to zero before this tracepoint: the last thread. */
	if (atomic_read(&rw_files_procs) && !atomic_read(&p->signal->live))
		schedule_work(&rw_files_gc);
}

/* Free the armings of processes whose every thread has exited. */
static void rw_files_gc_fn(struct work_struct *work)
{
	struct rw_fproc *p, *tmp;
	struct task_struct *t;
	struct rw_fwatch *fw;
	bool dead;

	mutex_lock(&rw_files_lock);
	list_for_each_entry(fw, &rw_files, node) {
		list_for_each_entry_safe(p, tmp, &fw->procs, node) {
			t = get_pid_task(p->tgid, PIDTYPE_TGID);
			dead = !t || !atomic_read(&t->signal->live);
			if (t)
				put_task_struct(t);
			if (dead)
				rw_fproc_drop(fw, p);
		}
	}
	mutex_unlock(&rw_files_lock);
}

struct rw_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct rw_tp rw_tps[] = {
	{ "sys_exit", rw_probe_sys_exit },
	{ "sched_process_fork", rw_probe_fork },
	{ "sched_process_exec", rw_probe_exec },
	{ "sched_process_exit", rw_probe_exit },
};

static bool rw_probes_on;

static void rw_tp_lookup(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rw_tps); i++) {
		if (!strcmp(tp->name, rw_tps[i].name))
			rw_tps[i].tp = tp;
	}
}

/* Under rw_files_lock. */
static int rw_probes_set(bool on)
{
	int i, err = 0;

	if (on == rw_probes_on)
		return 0;
	if (on) {
		for (i = 0; i < ARRAY_SIZE(rw_tps); i++) {
			err = tracepoint_probe_register(rw_tps[i].tp, rw_tps[i].probe, NULL);
			if (err)
				break;
		}
		if (!err) {
			rw_probes_on = true;
			return 0;
		}
	} else {
		i = ARRAY_SIZE(rw_tps);
	}
	while (i--)
		tracepoint_probe_unregister(rw_tps[i].tp, rw_tps[i].probe, NULL);
	tracepoint_synchronize_unregister();
	rw_probes_on = false;
	return err;
}

/* ---- the ioctls ---------------------------------------------------------------------------- */

/* st_dev as glibc encodes it (a superset of the kernel's new_encode_dev()). */
static int rw_file_dev(u64 udev, dev_t *out)
{
	u64 major = ((udev >> 8) & 0xfff) | ((udev >> 32) & ~0xfffULL);
	u64 minor = (udev & 0xff) | ((udev >> 12) & 0xffffff00ULL);

	if (major >= (1U << (32 - MINORBITS)) || minor > MINORMASK)
		return -EINVAL;
	*out = MKDEV(major, minor);
	return 0;
}

static struct rw_fwatch *rw_file_find(struct rw_session *s, u32 id)
{
	struct rw_fwatch *fw;

	list_for_each_entry(fw, &rw_files, node) {
		if (fw->s == s && fw->id == id)
			return fw;
	}
	return NULL;
}

static void rw_fwatch_free(struct rw_fwatch *fw)
{
	put_pid(fw->scope);
	put_cred(fw->cred);
	kfree(fw->name);
	kfree(fw);
}

/* Under rw_files_lock: disarm everything and free; the id stays reserved. */
static void rw_fwatch_remove(struct rw_fwatch *fw)
{
	list_del(&fw->node);
	atomic_dec(&rw_files_active);
	if (fw->exe)
		atomic_dec(&rw_files_exe);
	while (!list_empty(&fw->procs))
		rw_fproc_drop(fw, list_first_entry(&fw->procs, struct rw_fproc, node));
	if (list_empty(&rw_files))
		rw_probes_set(false);
	rw_fwatch_free(fw);
}

static int rw_file_validate(const struct racewatch_watch_file *req, dev_t *dev)
{
	if (req->size != sizeof(*req) || req->reserved)
		return -EINVAL;
	if (req->flags & ~RACEWATCH_WATCH_FILE_FLAGS_ALL)
		return -EINVAL;
	if (req->kind != RACEWATCH_KIND_WRITE && req->kind != RACEWATCH_KIND_RW)
		return -EINVAL;
	if (req->len != 1 && req->len != 2 && req->len != 4 && req->len != 8)
		return -EINVAL;
	if (req->offset & (req->len - 1))
		return -EINVAL;
	if (req->offset > (u64)LLONG_MAX)
		return -EINVAL;
	if (req->flags & RACEWATCH_WATCH_FILE_BY_NAME ? req->ino || !req->name : !!req->name)
		return -EINVAL;
	return rw_file_dev(req->dev, dev);
}

/* A new watch of the caller, scope process @pid (0: every process). */
static struct rw_fwatch *rw_fwatch_new(u32 kind, u32 len, u32 pid)
{
	struct rw_fwatch *fw;
	int err = 0;

	fw = kzalloc(sizeof(*fw), GFP_KERNEL);
	if (!fw)
		return ERR_PTR(-ENOMEM);
	fw->cred = get_current_cred();
	fw->kind = kind;
	fw->len = len;
	fw->scope_nr = pid;
	INIT_LIST_HEAD(&fw->procs);
	if (pid) {
		fw->scope = find_get_pid(pid);
		rcu_read_lock();
		if (!fw->scope || !pid_task(fw->scope, PIDTYPE_TGID))
			err = -ESRCH;
		rcu_read_unlock();
	}
	if (err) {
		rw_fwatch_free(fw);
		return ERR_PTR(err);
	}
	return fw;
}

/*
 * Give @fw an id of @s, list it and arm every process of the system it
 * covers now. On success @fw belongs to @s, and *@processes and *@skipped
 * say what the scan found; on error @fw is freed.
 */
static int rw_fwatch_install(struct rw_session *s, struct rw_fwatch *fw, u32 *processes,
			     u32 *skipped)
{
	struct rw_fwatch *it;
	unsigned int mine = 0;
	u32 id;
	int err;

	fw->s = s;
	/* The id comes from the session's table, so it never equals a WATCH id. */
	mutex_lock(&s->lock);
	err = xa_alloc_cyclic(&s->watches, &id, NULL, XA_LIMIT(1, INT_MAX), &s->next_id,
			      GFP_KERNEL);
	mutex_unlock(&s->lock);
	if (err < 0) {
		rw_fwatch_free(fw);
		return err;
	}
	fw->id = id;

	mutex_lock(&rw_files_lock);
	list_for_each_entry(it, &rw_files, node)
		mine += it->s == s;
	err = mine >= RW_FILE_MAX_WATCHES ? -EMFILE : rw_probes_set(true);
	if (err) {
		mutex_unlock(&rw_files_lock);
		xa_release(&s->watches, id);
		rw_fwatch_free(fw);
		return err;
	}
	/* Listed first: a process mapping the file meanwhile syncs after the scan. */
	list_add_tail(&fw->node, &rw_files);
	atomic_inc(&rw_files_active);
	if (fw->exe)
		atomic_inc(&rw_files_exe);
	err = rw_file_scan(fw);
	if (err) {
		rw_fwatch_remove(fw);
		mutex_unlock(&rw_files_lock);
		xa_release(&s->watches, id);
		return err;
	}
	*processes = fw->nr_procs;
	*skipped = fw->skipped;
	mutex_unlock(&rw_files_lock);
	return 0;
}

/**
 * rw_file_watch() - RACEWATCH_IOC_WATCH_FILE
 * @s: the session
 * @file: its open file
 * @uarg: struct racewatch_watch_file
 *
 * Return: 0, -EFAULT, -EINVAL (bad size, flags, kind, length, alignment,
 * device, name or reserved field; a name with '/', empty, or too long),
 * -ESRCH (scope process not found), -EMFILE (the session holds
 * RW_FILE_MAX_WATCHES file watches), -EOPNOTSUPP (the kernel
 * lacks a needed tracepoint), -ENOMEM or a tracepoint registration error.
 */
int rw_file_watch(struct rw_session *s, struct file *file, void __user *uarg)
{
	struct racewatch_watch_file req;
	struct rw_fwatch *fw;
	dev_t dev;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = rw_file_validate(&req, &dev);
	if (err)
		return err;
	if (!rw_tps[ARRAY_SIZE(rw_tps) - 1].tp)
		return -EOPNOTSUPP;

	fw = rw_fwatch_new(req.kind, req.len, req.pid);
	if (IS_ERR(fw))
		return PTR_ERR(fw);
	fw->dev = dev;
	fw->ino = req.ino;
	fw->offset = req.offset;
	fw->bound = !(req.flags & RACEWATCH_WATCH_FILE_BY_NAME);
	fw->notify = req.flags & RACEWATCH_WATCH_FILE_NOTIFY;
	fw->flags = req.flags;
	if (!fw->bound) {
		fw->name = strndup_user(u64_to_user_ptr(req.name), NAME_MAX + 1);
		if (IS_ERR(fw->name)) {
			err = PTR_ERR(fw->name);
			fw->name = NULL;
			rw_fwatch_free(fw);
			return err;
		}
		if (!fw->name[0] || strchr(fw->name, '/') || !strcmp(fw->name, ".") ||
		    !strcmp(fw->name, "..")) {
			rw_fwatch_free(fw);
			return -EINVAL;
		}
	}
	err = rw_fwatch_install(s, fw, &req.processes, &req.skipped);
	if (err)
		return err;
	req.id = fw->id;
	/* A caller that cannot learn the id gets no watch either. */
	if (copy_to_user(uarg, &req, sizeof(req))) {
		rw_file_unwatch(s, req.id);
		return -EFAULT;
	}
	return 0;
}

static int rw_exe_validate(const struct racewatch_watch_exe *req, dev_t *dev)
{
	if (req->size != sizeof(*req) || (req->flags & ~RACEWATCH_WATCH_EXE_FLAGS_ALL) ||
	    req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->kind != RACEWATCH_KIND_WRITE && req->kind != RACEWATCH_KIND_RW)
		return -EINVAL;
	if (req->len != 1 && req->len != 2 && req->len != 4 && req->len != 8)
		return -EINVAL;
	if (req->vaddr & (req->len - 1))
		return -EINVAL;
	if ((req->anchor_offset | req->anchor_vaddr) & ~PAGE_MASK)
		return -EINVAL;
	if (req->anchor_offset > (u64)LLONG_MAX || req->anchor_vaddr >= TASK_SIZE_MAX ||
	    req->vaddr >= TASK_SIZE_MAX)
		return -EINVAL;
	if (!req->ino)
		return -EINVAL;
	return rw_file_dev(req->dev, dev);
}

/**
 * rw_file_watch_exe() - RACEWATCH_IOC_WATCH_EXE
 * @s: the session
 * @uarg: struct racewatch_watch_exe
 *
 * Return: 0, -EFAULT, -EINVAL (bad size, flags, reserved field, kind,
 * length, alignment, anchor, device, zero inode, an address outside user
 * space), -ESRCH (scope process not found), -EMFILE (the session holds
 * RW_FILE_MAX_WATCHES file and executable watches), -EOPNOTSUPP (the kernel
 * lacks a needed tracepoint), -ENOMEM or a tracepoint registration error.
 */
int rw_file_watch_exe(struct rw_session *s, void __user *uarg)
{
	struct racewatch_watch_exe req;
	struct rw_fwatch *fw;
	dev_t dev;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = rw_exe_validate(&req, &dev);
	if (err)
		return err;
	if (!rw_tps[ARRAY_SIZE(rw_tps) - 1].tp)
		return -EOPNOTSUPP;

	fw = rw_fwatch_new(req.kind, req.len, req.pid);
	if (IS_ERR(fw))
		return PTR_ERR(fw);
	fw->exe = true;
	fw->notify = req.flags & RACEWATCH_WATCH_EXE_NOTIFY;
	fw->flags = req.flags;
	fw->bound = true;
	fw->dev = dev;
	fw->ino = req.ino;
	fw->offset = req.vaddr;
	fw->anchor_pgoff = req.anchor_offset >> PAGE_SHIFT;
	fw->anchor_vaddr = req.anchor_vaddr;
	err = rw_fwatch_install(s, fw, &req.processes, &req.skipped);
	if (err)
		return err;
	req.id = fw->id;
	if (copy_to_user(uarg, &req, sizeof(req))) {
		rw_file_unwatch(s, req.id);
		return -EFAULT;
	}
	return 0;
}

/**
 * rw_file_unwatch() - undo a file watch (RACEWATCH_IOC_UNWATCH of its id)
 * @s: the session
 * @id: the id
 *
 * Return: 0, or -ENOENT if @id is not a file watch of @s.
 */
int rw_file_unwatch(struct rw_session *s, u32 id)
{
	struct rw_fwatch *fw;

	mutex_lock(&rw_files_lock);
	fw = rw_file_find(s, id);
	if (fw)
		rw_fwatch_remove(fw);
	mutex_unlock(&rw_files_lock);
	if (!fw)
		return -ENOENT;
	xa_release(&s->watches, id);
	return 0;
}

/* Under rw_files_lock: threads armed now and records so far of @fw. */
static void rw_fwatch_counts(struct rw_fwatch *fw, u32 *threads, u64 *hits)
{
	struct rw_fproc *p;

	*threads = 0;
	*hits = fw->gone_hits;
	list_for_each_entry(p, &fw->procs, node) {
		*threads += rw_watch_live_threads(p->w);
		*hits += atomic64_read(&p->w->hits);
	}
}

/**
 * rw_file_stat() - RACEWATCH_IOC_FILE_STAT
 * @s: the session
 * @uarg: struct racewatch_file_stat
 *
 * Return: 0, -EFAULT, -EINVAL (size or reserved), -ENOENT (no such file watch).
 */
int rw_file_stat(struct rw_session *s, void __user *uarg)
{
	struct racewatch_file_stat st;
	struct rw_fwatch *fw;
	u32 id;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (st.size != sizeof(st) || st.reserved)
		return -EINVAL;
	id = st.id;
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.id = id;

	mutex_lock(&rw_files_lock);
	fw = rw_file_find(s, id);
	if (fw) {
		st.processes = fw->nr_procs;
		st.armed = fw->armed;
		st.skipped = fw->skipped;
		st.failed = fw->failed;
		st.hits = fw->gone_hits;
		st.ino = fw->bound ? fw->ino : 0;
		rw_fwatch_counts(fw, &st.threads, &st.hits);
	}
	mutex_unlock(&rw_files_lock);
	if (!fw)
		return -ENOENT;
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

/**
 * rw_file_list() - the file and executable watches of RACEWATCH_IOC_LIST
 * @s: the session
 * @out: the caller's array
 * @room: its entries
 * @n: in: entries listed so far (the next index in @out); out: plus this
 *	session's file watches, listed or not for lack of room
 *
 * The entries are gathered under rw_files_lock and copied out after it,
 * so a slow page fault on @out cannot hold up the arming of processes.
 *
 * Return: 0, -ENOMEM or -EFAULT.
 */
int rw_file_list(struct rw_session *s, struct racewatch_watch_info __user *out, u32 room, u32 *n)
{
	struct racewatch_watch_info *v;
	struct rw_fwatch *fw;
	u32 nr = 0, first = *n, i;
	int err = 0;

	v = kcalloc(RW_FILE_MAX_WATCHES, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	mutex_lock(&rw_files_lock);
	list_for_each_entry(fw, &rw_files, node) {
		struct racewatch_watch_info *wi = &v[nr];

		if (fw->s != s || nr == RW_FILE_MAX_WATCHES)
			continue;
		wi->id = fw->id;
		wi->pid = fw->scope_nr;
		wi->kind = fw->kind;
		wi->len = fw->len;
		wi->addr = fw->offset;
		wi->flags = fw->flags;
		wi->type = fw->exe ? RACEWATCH_WATCH_TYPE_EXE : RACEWATCH_WATCH_TYPE_FILE;
		wi->processes = fw->nr_procs;
		wi->ino = fw->bound ? fw->ino : 0;
		rw_fwatch_counts(fw, &wi->threads, &wi->hits);
		nr++;
	}
	mutex_unlock(&rw_files_lock);
	for (i = 0; i < nr && first + i < room && !err; i++) {
		if (copy_to_user(&out[first + i], &v[i], sizeof(v[i])))
			err = -EFAULT;
	}
	kfree(v);
	*n = first + nr;
	return err;
}

/**
 * rw_file_stats() - the file watches' part of RACEWATCH_IOC_GET_STATS
 * @s: the session
 * @st: filled: file_watches, file_processes, file_threads
 */
void rw_file_stats(struct rw_session *s, struct racewatch_stats *st)
{
	struct rw_fwatch *fw;
	u32 threads;
	u64 hits;

	mutex_lock(&rw_files_lock);
	list_for_each_entry(fw, &rw_files, node) {
		if (fw->s != s)
			continue;
		rw_fwatch_counts(fw, &threads, &hits);
		st->file_watches++;
		st->file_processes += fw->nr_procs;
		st->file_threads += threads;
	}
	mutex_unlock(&rw_files_lock);
}

/**
 * rw_file_release() - undo every file watch of a closing session
 * @s: the session
 */
void rw_file_release(struct rw_session *s)
{
	struct rw_fwatch *fw, *tmp;

	mutex_lock(&rw_files_lock);
	list_for_each_entry_safe(fw, tmp, &rw_files, node) {
		if (fw->s == s)
			rw_fwatch_remove(fw);
	}
	mutex_unlock(&rw_files_lock);
}

/**
 * rw_file_init() - find the tracepoints file watches need
 *
 * A kernel without one of them loads the module all the same; file watches
 * then answer -EOPNOTSUPP.
 *
 * Return: 0.
 */
int rw_file_init(void)
{
	int i;

	for_each_kernel_tracepoint(rw_tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(rw_tps); i++) {
		if (!rw_tps[i].tp) {
			pr_warn("tracepoint %s not found: no file watches\n", rw_tps[i].name);
			rw_tps[ARRAY_SIZE(rw_tps) - 1].tp = NULL;
			break;
		}
	}
	return 0;
}

/**
 * rw_file_exit() - wait for deferred work before the module goes
 *
 * Every session is closed by now, so no probe is registered and no file
 * watch exists; queued task works hold module references of their own.
 */
void rw_file_exit(void)
{
	flush_work(&rw_files_gc);
}
