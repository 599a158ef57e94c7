// SPDX-License-Identifier: GPL-2.0
/*
 * sync_source: the user side of the sync tracer. Loads bpf/sync.bpf.c,
 * attaches its tracepoints once and its uprobes per watched process, and
 * hands ring buffer records to a callback. See Documentation/sync.rst.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <capstone/capstone.h>

#include "elfsym.h"
#include "sync_source.h"
#include "sync.skel.h"

#define MAX_OFFS	4	/* versions of one function name */
#ifndef ENOTSUPP
#define ENOTSUPP	524	/* kernel-internal errno that perf_event_open leaks */
#endif
#ifndef offsetofend
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#endif

/* One probed function: name, what its probe reports, entry or return. */
struct sync_probe {
	const char *name;
	__u8 op, prim, how;
	bool ret;
};

#define ENTRY(n, o, p, h)	{ n, RW_OP_##o, RW_PRIM_##p, RW_PROBE_##h, false }
#define TRY(n, o, p, h)		{ n, RW_OP_##o, RW_PRIM_##p, RW_PROBE_##h, false }, \
				{ n, RW_OP_##o, RW_PRIM_##p, RW_PROBE_##h, true }

/*
 * Blocking acquires are reported lazily at entry (one trap); acquires whose
 * result decides the edge get an entry probe (stash) and a return probe.
 */
static const struct sync_probe probes[] = {
	ENTRY("pthread_mutex_lock", ACQUIRE_LAZY, MUTEX, MUTEX_LOCK),
	TRY("pthread_mutex_trylock", ACQUIRE, MUTEX, STASH_MUTEX),
	TRY("pthread_mutex_timedlock", ACQUIRE, MUTEX, STASH_MUTEX),
	TRY("pthread_mutex_clocklock", ACQUIRE, MUTEX, STASH_MUTEX),
	ENTRY("pthread_mutex_unlock", RELEASE, MUTEX, MUTEX_UNLOCK),
	ENTRY("pthread_rwlock_rdlock", RD_ACQUIRE_LAZY, RWLOCK, PLAIN),
	ENTRY("pthread_rwlock_wrlock", ACQUIRE_LAZY, RWLOCK, PLAIN),
	TRY("pthread_rwlock_tryrdlock", RD_ACQUIRE, RWLOCK, STASH),
	TRY("pthread_rwlock_trywrlock", ACQUIRE, RWLOCK, STASH),
	TRY("pthread_rwlock_timedrdlock", RD_ACQUIRE, RWLOCK, STASH),
	TRY("pthread_rwlock_timedwrlock", ACQUIRE, RWLOCK, STASH),
	TRY("pthread_rwlock_clockrdlock", RD_ACQUIRE, RWLOCK, STASH),
	TRY("pthread_rwlock_clockwrlock", ACQUIRE, RWLOCK, STASH),
	ENTRY("pthread_rwlock_unlock", RW_RELEASE, RWLOCK, PLAIN),
	ENTRY("pthread_spin_lock", ACQUIRE_LAZY, SPIN, PLAIN),
	TRY("pthread_spin_trylock", ACQUIRE, SPIN, STASH),
	ENTRY("pthread_spin_unlock", RELEASE, SPIN, PLAIN),
	/* at return: a lazy acquire would learn the posts made after it took its token */
	TRY("sem_wait", ACQUIRE, SEM, STASH),
	TRY("sem_trywait", ACQUIRE, SEM, STASH),
	TRY("sem_timedwait", ACQUIRE, SEM, STASH),
	TRY("sem_clockwait", ACQUIRE, SEM, STASH),
	ENTRY("sem_post", RELEASE, SEM, PLAIN),
	ENTRY("pthread_cond_wait", COND_WAIT, COND, COND_WAIT),
	ENTRY("pthread_cond_timedwait", COND_WAIT, COND, COND_WAIT),
	ENTRY("pthread_cond_clockwait", COND_WAIT, COND, COND_WAIT),
	ENTRY("pthread_cond_signal", RELEASE, COND, PLAIN),
	ENTRY("pthread_cond_broadcast", RELEASE, COND, PLAIN),
	ENTRY("pthread_barrier_wait", BARRIER, BARRIER, BARRIER),
	TRY("pthread_once", ONCE_DONE, ONCE, STASH),
	ENTRY("pthread_join", JOIN_LAZY, THREAD, JOIN),
	TRY("pthread_tryjoin_np", JOIN_LAZY, THREAD, STASH),
	TRY("pthread_timedjoin_np", JOIN_LAZY, THREAD, STASH),
	TRY("pthread_clockjoin_np", JOIN_LAZY, THREAD, STASH),
};

#define NPROBES		(sizeof(probes) / sizeof(probes[0]))
#define MAX_LINKS	(NPROBES * MAX_OFFS + 16)

/* A library (libc.so or a static executable) with its probe offsets resolved. */
struct sync_lib {
	struct sync_lib *next;
	dev_t dev;
	ino_t ino;
	int noffs[NPROBES];
	__u64 offs[NPROBES][MAX_OFFS];
	__u64 sizes[NPROBES][MAX_OFFS];
};

struct sync_pid {
	struct sync_pid *next;
	pid_t pid;
	/*
	 * The thread the uprobes' perf events are opened on. The kernel filters
	 * uprobes by that task's mm, which goes away when the task exits: when
	 * it is the first of the process to exit, the probes move to another
	 * thread (see follow_thread_exit()).
	 */
	pid_t probe_tid;
	dev_t dev;
	ino_t ino;
	int nlinks;
	int unprobed;	/* functions uprobes refused */
	struct bpf_link *links[MAX_LINKS];
};

struct sync_source {
	struct sync_bpf *skel;
	struct ring_buffer *rb;
	sync_event_fn on_event;
	void *ctx;
	bool follow, verbose;
	struct sync_lib *libs;
	struct sync_pid *pids;
	int ncpus;
	char errmsg[512];
};

static void set_err(struct sync_source *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct sync_source *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "racewatch: %s\n", s->errmsg);
}

static bool libbpf_debug;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !libbpf_debug)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Tracepoint attachment needs tracefs; mount it where libbpf looks first. */
static void ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		fprintf(stderr, "racewatch: tracefs is not mounted and mounting it failed: %s\n",
			strerror(errno));
}

static int handle_event(void *ctx, void *data, size_t size);

struct sync_source *sync_source__new(const struct sync_source_opts *opts)
{
	struct sync_source *s;
	__u32 ring;
	int err;

	if (!opts || opts->sz < offsetofend(struct sync_source_opts, ctx) || !opts->on_event) {
		fprintf(stderr, "racewatch: sync_source__new: bad options\n");
		errno = EINVAL;
		return NULL;
	}
	ring = opts->ring_size ? opts->ring_size : 1U << 22;
	if (ring < 4096 || (ring & (ring - 1))) {
		fprintf(stderr, "racewatch: ring size %u is not a power of two >= 4096\n", ring);
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->on_event = opts->on_event;
	s->ctx = opts->ctx;
	s->follow = opts->follow_children;
	s->verbose = opts->verbose;
	libbpf_debug = opts->verbose;
	libbpf_set_print(print_libbpf);
	ensure_tracefs();

	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		err = s->ncpus ? s->ncpus : -EINVAL;
		set_err(s, "cannot count possible CPUs: %s", strerror(-err));
		goto err_free;
	}
	s->skel = sync_bpf__open();
	if (!s->skel) {
		err = -errno;
		set_err(s, "cannot open the sync tracer BPF object: %s", strerror(-err));
		goto err_free;
	}
	s->skel->rodata->follow_children = s->follow;
	if (opts->sz >= offsetofend(struct sync_source_opts, wakeup_records) &&
	    opts->wakeup_records)
		s->skel->rodata->wakeup_bytes = (__u64)opts->wakeup_records *
						sizeof(struct rw_sync_event);
	bpf_map__set_max_entries(s->skel->maps.events, ring);
	bpf_program__set_autoattach(s->skel->progs.sync_entry, false);
	bpf_program__set_autoattach(s->skel->progs.sync_return, false);
	err = sync_bpf__load(s->skel);
	if (err) {
		set_err(s, "cannot load the sync tracer (needs root, BTF and bpf_find_vma, Linux >= 5.17): %s",
			strerror(-err));
		goto err_free;
	}
	err = sync_bpf__attach(s->skel);
	if (err) {
		set_err(s, "cannot attach the sync tracer's tracepoints: %s", strerror(-err));
		goto err_free;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), handle_event, s, NULL);
	if (!s->rb) {
		err = -errno;
		set_err(s, "cannot set up the ring buffer: %s", strerror(-err));
		goto err_free;
	}
	return s;

err_free:
	sync_source__free(s);
	errno = -err;
	return NULL;
}

static struct sync_pid *find_pid(const struct sync_source *s, pid_t pid)
{
	struct sync_pid *p;

	for (p = s->pids; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

bool sync_source__watching(const struct sync_source *s, pid_t pid)
{
	return find_pid(s, pid) != NULL;
}

int sync_source__probes(const struct sync_source *s, pid_t pid)
{
	struct sync_pid *p = find_pid(s, pid);

	return p ? p->nlinks : 0;
}

/* The file the process maps as libc.so: its identity and a path that reaches it. */
struct lib_loc {
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX + 64];
};

static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-2.", 7);
}

/*
 * Find the process's libc in /proc/PID/maps. The path printed there is the
 * process's view; use it if it names the same inode here, else go through
 * /proc/PID/root (another mount namespace), else /proc/PID/map_files.
 */
static int find_libc(pid_t pid, struct lib_loc *loc)
{
	char buf[PATH_MAX + 256], path[PATH_MAX], range[64];
	unsigned int maj, min;
	unsigned long ino;
	struct stat st;
	FILE *f;
	int err = -ENOENT;

	snprintf(buf, sizeof(buf), "/proc/%d/maps", pid);
	f = fopen(buf, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "%63s %*s %*s %x:%x %lu %4095s", range, &maj, &min, &ino, path) != 5)
			continue;
		if (path[0] != '/' || !is_libc(path))
			continue;
		loc->dev = makedev(maj, min);
		loc->ino = ino;
		err = 0;
		break;
	}
	fclose(f);
	if (err)
		return err;
	snprintf(loc->path, sizeof(loc->path), "%s", path);
	if (!stat(loc->path, &st) && st.st_ino == loc->ino)
		return 0;
	snprintf(loc->path, sizeof(loc->path), "/proc/%d/root%s", pid, path);
	if (!stat(loc->path, &st) && st.st_ino == loc->ino)
		return 0;
	snprintf(loc->path, sizeof(loc->path), "/proc/%d/map_files/%s", pid, range);
	return 0;
}

static int exe_loc(pid_t pid, struct lib_loc *loc)
{
	struct stat st;

	snprintf(loc->path, sizeof(loc->path), "/proc/%d/exe", pid);
	if (stat(loc->path, &st))
		return errno == ENOENT ? -ENOENT : -errno;
	loc->dev = st.st_dev;
	loc->ino = st.st_ino;
	return 0;
}

static struct sync_lib *get_lib(struct sync_source *s, const struct lib_loc *loc, int *err)
{
	struct sync_lib *lib;
	struct elfsym *es;
	size_t i;

	for (lib = s->libs; lib; lib = lib->next)
		if (lib->dev == loc->dev && lib->ino == loc->ino)
			return lib;
	*err = elfsym__open(loc->path, &es);
	if (*err)
		return NULL;
	lib = calloc(1, sizeof(*lib));
	if (!lib) {
		elfsym__close(es);
		*err = -ENOMEM;
		return NULL;
	}
	lib->dev = loc->dev;
	lib->ino = loc->ino;
	for (i = 0; i < NPROBES; i++) {
		int k;

		lib->noffs[i] = elfsym__offsets(es, probes[i].name, lib->offs[i], MAX_OFFS);
		for (k = 0; k < lib->noffs[i]; k++)
			lib->sizes[i][k] = elfsym__size(es, lib->offs[i][k]);
	}
	elfsym__close(es);
	lib->next = s->libs;
	s->libs = lib;
	return lib;
}

static bool has_off(const struct sync_lib *lib, size_t i, __u64 off)
{
	int k;

	for (k = 0; k < lib->noffs[i]; k++)
		if (lib->offs[i][k] == off)
			return true;
	return false;
}

static void detach_links(struct sync_pid *p)
{
	while (p->nlinks > 0)
		bpf_link__destroy(p->links[--p->nlinks]);
}

static bool writes_arg1(csh h, const cs_insn *insn)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr, i;

	if (cs_regs_access(h, insn, rd, &nrd, wr, &nwr))
		return true;
	for (i = 0; i < nwr; i++)
		if (wr[i] == X86_REG_RDI || wr[i] == X86_REG_EDI || wr[i] == X86_REG_DI ||
		    wr[i] == X86_REG_DIL)
			return true;
	return false;
}

/*
 * x86 uprobes refuse some first instructions (glibc's pthread_spin_lock
 * starts with "lock decl (%rdi)"). A blocking acquire can then be seen at
 * its return instructions instead, as a (non-lazy) acquire, provided the
 * function never calls out nor writes %rdi, so arg1 is still in %rdi there.
 * Returns the number of ret sites put in @sites, 0 if this does not apply.
 */
static int ret_sites(const char *path, __u64 off, __u64 size, __u64 *sites, int max)
{
	unsigned char code[256];
	cs_insn *insn = NULL;
	int fd, n = 0;
	size_t cnt, i;
	csh h;

	if (!size || size > sizeof(code))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, code, size, off) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cnt = cs_disasm(h, code, size, off, 0, &insn);
	for (i = 0; i < cnt; i++) {
		if (insn[i].id == X86_INS_CALL || insn[i].id == X86_INS_SYSCALL ||
		    writes_arg1(h, &insn[i])) {
			n = 0;
			break;
		}
		if (insn[i].id == X86_INS_RET && n < max)
			sites[n++] = insn[i].address;
	}
	/* a function that disassembles short of its size is not understood */
	if (cnt && insn[cnt - 1].address + insn[cnt - 1].size < off + size &&
	    insn[cnt - 1].id != X86_INS_RET && insn[cnt - 1].id != X86_INS_JMP)
		n = 0;
	cs_free(insn, cnt);
	cs_close(&h);
	return n;
}

/*
 * True if uprobes will refuse the first instruction at @off: the kernel's
 * is_prefix_bad() rejects LOCK and segment-override prefixes. Checked up
 * front so libbpf does not warn about a failed attach.
 */
static bool entry_refused(const char *path, __u64 off)
{
	unsigned char code[16];
	cs_insn *insn = NULL;
	bool bad = false;
	int fd, j;
	csh h;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	j = pread(fd, code, sizeof(code), off);
	close(fd);
	if (j != (int)sizeof(code) || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return false;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	if (cs_disasm(h, code, sizeof(code), off, 1, &insn) == 1) {
		for (j = 0; j < 4; j++) {
			switch (insn->detail->x86.prefix[j]) {
			case X86_PREFIX_LOCK:
			case X86_PREFIX_CS:
			case X86_PREFIX_SS:
			case X86_PREFIX_DS:
			case X86_PREFIX_ES:
			case X86_PREFIX_FS:
			case X86_PREFIX_GS:
				bad = true;
			}
		}
		cs_free(insn, 1);
	}
	cs_close(&h);
	return bad;
}

/* Entry refused by uprobes: probe the ret sites of a blocking acquire instead. */
static int attach_at_rets(struct sync_source *s, struct sync_pid *p, size_t i, __u64 off,
			  __u64 size, const char *path)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *link;
	__u64 sites[8];
	int n, k;

	if (probes[i].ret || probes[i].how != RW_PROBE_PLAIN ||
	    (probes[i].op != RW_OP_ACQUIRE_LAZY && probes[i].op != RW_OP_RD_ACQUIRE_LAZY))
		return -ENOTSUPP;
	n = ret_sites(path, off, size, sites, 8);
	if (!n)
		return -ENOTSUPP;
	uo.bpf_cookie = RW_COOKIE(probes[i].op == RW_OP_ACQUIRE_LAZY ? RW_OP_ACQUIRE :
				  RW_OP_RD_ACQUIRE, probes[i].prim, RW_PROBE_PLAIN);
	for (k = 0; k < n && p->nlinks < (int)MAX_LINKS; k++) {
		link = bpf_program__attach_uprobe_opts(s->skel->progs.sync_entry, p->probe_tid, path,
						       sites[k], &uo);
		if (!link)
			return -errno;
		p->links[p->nlinks++] = link;
		if (s->verbose)
			fprintf(stderr, "racewatch: pid %d: %s at its ret %s+%#llx\n", p->pid,
				probes[i].name, path, (unsigned long long)sites[k]);
	}
	return 0;
}

/* Attach every probe of @lib to @p; an address shared by two names is probed once. */
static int attach_lib(struct sync_source *s, struct sync_pid *p, const struct sync_lib *lib,
		      const char *path)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_program *prog;
	struct bpf_link *link;
	size_t i, j;
	int k, err;

	for (i = 0; i < NPROBES; i++) {
		for (k = 0; k < lib->noffs[i] && p->nlinks < (int)MAX_LINKS; k++) {
			__u64 off = lib->offs[i][k];
			bool dup = false;

			for (j = 0; j < i && !dup; j++)
				dup = probes[j].ret == probes[i].ret &&
				      has_off(lib, j, off);
			if (dup)
				continue;
			uo.retprobe = probes[i].ret;
			uo.bpf_cookie = RW_COOKIE(probes[i].op, probes[i].prim, probes[i].how);
			prog = uo.retprobe ? s->skel->progs.sync_return : s->skel->progs.sync_entry;
			if (entry_refused(path, off)) {
				link = NULL;
				err = -ENOTSUPP;
			} else {
				link = bpf_program__attach_uprobe_opts(prog, p->probe_tid, path, off, &uo);
				err = link ? 0 : -errno;
			}
			if (err == -ENOTSUPP &&
			    !attach_at_rets(s, p, i, off, lib->sizes[i][k], path))
				continue;
			if (err == -ENOTSUPP) {
				p->unprobed++;
				fprintf(stderr, "racewatch: pid %d: %s%s cannot be probed (first instruction not supported by uprobes): not traced\n",
					p->pid, probes[i].name, uo.retprobe ? " (return)" : "");
				continue;
			}
			if (!link) {
				set_err(s, "pid %d: cannot attach %s to %s+%#llx: %s", p->pid,
					uo.retprobe ? "uretprobe" : "uprobe", path,
					(unsigned long long)off, strerror(-err));
				return err;
			}
			p->links[p->nlinks++] = link;
			if (s->verbose)
				fprintf(stderr, "racewatch: pid %d: %s%s at %s+%#llx\n", p->pid,
					probes[i].name, uo.retprobe ? " (return)" : "", path,
					(unsigned long long)off);
		}
	}
	return 0;
}

/* Index of pthread_mutex_lock in probes[]: a library without it is not usable. */
#define PROBE_MUTEX_LOCK	0

static int attach_pid(struct sync_source *s, struct sync_pid *p)
{
	struct sync_lib *lib;
	struct lib_loc loc;
	bool is_exe = false;
	int err;

	err = find_libc(p->probe_tid, &loc);
	if (err == -ENOENT) {
		/* no libc.so: a static executable can still carry the functions */
		err = exe_loc(p->probe_tid, &loc);
		if (err) {
			set_err(s, "pid %d: no libc.so mapped and no readable executable (kernel thread?)",
				p->pid);
			return -ENOENT;
		}
		is_exe = true;
	}
	if (err == -ESRCH) {
		set_err(s, "pid %d: no such process", p->pid);
		return err;
	}
	if (err) {
		set_err(s, "pid %d: cannot read its memory map: %s", p->pid, strerror(-err));
		return err;
	}
	lib = get_lib(s, &loc, &err);
	if (!lib) {
		set_err(s, "pid %d: cannot read symbols of %s: %s", p->pid, loc.path,
			strerror(-err));
		return err == -ENOEXEC ? -ENOENT : err;
	}
	if (!lib->noffs[PROBE_MUTEX_LOCK]) {
		set_err(s, "pid %d: %s", p->pid, is_exe ?
			"no libc.so mapped and the executable has no pthread symbols (static and stripped, or no threads library): cannot see its synchronization" :
			"its libc.so has no pthread_mutex_lock symbol (glibc < 2.34 keeps it in libpthread, unsupported)");
		return -ENOENT;
	}
	p->dev = loc.dev;
	p->ino = loc.ino;
	err = attach_lib(s, p, lib, loc.path);
	if (err)
		detach_links(p);
	return err;
}

static int add_pid(struct sync_source *s, pid_t pid, bool in_map)
{
	struct sync_pid *p;
	__u32 key = pid;
	__u8 one = 1;
	int err;

	if (pid <= 0) {
		set_err(s, "pid %d: not a process id", pid);
		return -EINVAL;
	}
	if (find_pid(s, pid)) {
		set_err(s, "pid %d: already watched", pid);
		return -EEXIST;
	}
	if (kill(pid, 0) && errno == ESRCH) {
		set_err(s, "pid %d: no such process", pid);
		return -ESRCH;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->probe_tid = pid;
	/* in the map first, so events start as soon as the first probe is in */
	if (!in_map && bpf_map_update_elem(bpf_map__fd(s->skel->maps.targets), &key, &one, BPF_ANY)) {
		err = -errno;
		set_err(s, "pid %d: cannot add to the target map: %s", pid, strerror(-err));
		free(p);
		return err == -E2BIG ? -ENOSPC : err;
	}
	err = attach_pid(s, p);
	if (err) {
		bpf_map_delete_elem(bpf_map__fd(s->skel->maps.targets), &key);
		free(p);
		return err;
	}
	p->next = s->pids;
	s->pids = p;
	return 0;
}

int sync_source__add_pid(struct sync_source *s, pid_t pid)
{
	return add_pid(s, pid, false);
}

int sync_source__remove_pid(struct sync_source *s, pid_t pid)
{
	struct sync_pid **pp, *p;
	__u32 key = pid;

	for (pp = &s->pids; (p = *pp); pp = &p->next)
		if (p->pid == pid)
			break;
	if (!p) {
		set_err(s, "pid %d: not watched", pid);
		return -ENOENT;
	}
	*pp = p->next;
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.targets), &key);
	detach_links(p);
	free(p);
	return 0;
}

/* exec: keep the probes if the new image maps the same libc, else re-attach. */
static void follow_exec(struct sync_source *s, pid_t pid)
{
	struct sync_pid *p = find_pid(s, pid);
	struct lib_loc loc;
	int err;

	if (!p)
		return;
	err = find_libc(pid, &loc);
	if (err == -ESRCH || (!err && loc.dev == p->dev && loc.ino == p->ino))
		return;	/* gone already, or the same libc: the probes still apply */
	detach_links(p);
	if (attach_pid(s, p))
		fprintf(stderr, "racewatch: pid %d: not traced after exec\n", pid);
}

/* Some thread of process @pid other than @not, or 0. */
static pid_t other_thread(pid_t pid, pid_t not)
{
	char path[64];
	struct dirent *de;
	pid_t tid = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (!tid && (de = readdir(d))) {
		pid_t t = atoi(de->d_name);

		if (t > 0 && t != not && t != pid)
			tid = t;
	}
	closedir(d);
	return tid;
}

/*
 * The thread the probes hang on exits while others live on (e.g. main()
 * called pthread_exit()): open them again on a surviving thread, then drop
 * the old ones. Calls between that exit and now are not seen.
 */
static void follow_thread_exit(struct sync_source *s, const struct rw_sync_event *ev)
{
	struct sync_pid *p = find_pid(s, ev->pid);
	int old, i, err;
	pid_t tid;

	if (!p || ev->arg || (pid_t)ev->tid != p->probe_tid)
		return;
	tid = other_thread(p->pid, p->probe_tid);
	if (!tid)
		return;	/* the others are exiting too */
	old = p->nlinks;
	p->probe_tid = tid;
	err = attach_pid(s, p);
	if (err) {
		/* attach_pid() dropped every link: the old ones were useless already */
		fprintf(stderr, "racewatch: pid %d: pthread calls not traced after thread %u exited\n",
			p->pid, ev->tid);
		return;
	}
	for (i = 0; i < old; i++)
		bpf_link__destroy(p->links[i]);
	memmove(p->links, p->links + old, (p->nlinks - old) * sizeof(p->links[0]));
	p->nlinks -= old;
}

static void follow_event(struct sync_source *s, const struct rw_sync_event *ev)
{
	switch (ev->op) {
	case RW_OP_FORK:
		/* the BPF side put the child in the target map already */
		if (s->follow && !find_pid(s, ev->arg) && add_pid(s, ev->arg, true))
			fprintf(stderr, "racewatch: child %llu of %u: pthread calls not traced\n",
				(unsigned long long)ev->arg, ev->pid);
		break;
	case RW_OP_EXEC:
		follow_exec(s, ev->pid);
		break;
	case RW_OP_THREAD_EXIT:
		if (ev->arg && find_pid(s, ev->pid))
			sync_source__remove_pid(s, ev->pid);
		else
			follow_thread_exit(s, ev);
		break;
	}
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct rw_sync_event *ev = data;
	struct sync_source *s = ctx;
	int ret;

	if (size < sizeof(*ev) || ev->type != RW_REC_SYNC)
		return 0;
	/* the consumer sees the record before the source reacts (fork: attach) */
	ret = s->on_event(s->ctx, ev);
	follow_event(s, ev);
	return ret;
}

int sync_source__fd(const struct sync_source *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

int sync_source__poll(struct sync_source *s, int timeout_ms)
{
	int n = ring_buffer__poll(s->rb, timeout_ms);

	/* no wakeup (fewer records than the batch): take what waits */
	return n ? n : ring_buffer__consume(s->rb);
}

int sync_source__consume(struct sync_source *s)
{
	return ring_buffer__consume(s->rb);
}

static __u64 stat_sum(const struct sync_source *s, __u32 slot)
{
	__u64 vals[s->ncpus], sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.stats), &slot, vals))
		return 0;
	for (i = 0; i < s->ncpus; i++)
		sum += vals[i];
	return sum;
}

__u64 sync_source__drops(const struct sync_source *s)
{
	return stat_sum(s, RW_SYNC_STAT_DROPS);
}

__u64 sync_source__key_busy(const struct sync_source *s)
{
	return stat_sum(s, RW_SYNC_STAT_KEY_BUSY);
}

const char *sync_source__errmsg(const struct sync_source *s)
{
	return s->errmsg;
}

const char *sync_source__op_name(unsigned int op)
{
	static const char *const names[RW_OP_MAX + 1] = {
		[RW_OP_ACQUIRE] = "acquire",
		[RW_OP_ACQUIRE_LAZY] = "acquire-lazy",
		[RW_OP_RELEASE] = "release",
		[RW_OP_RD_ACQUIRE] = "rd-acquire",
		[RW_OP_RD_ACQUIRE_LAZY] = "rd-acquire-lazy",
		[RW_OP_RW_RELEASE] = "rw-release",
		[RW_OP_COND_WAIT] = "cond-wait",
		[RW_OP_BARRIER] = "barrier",
		[RW_OP_ONCE_DONE] = "once-done",
		[RW_OP_THREAD_CREATE] = "thread-create",
		[RW_OP_FORK] = "fork",
		[RW_OP_THREAD_EXIT] = "thread-exit",
		[RW_OP_JOIN_LAZY] = "join-lazy",
		[RW_OP_WAIT_CHILD] = "wait-child",
		[RW_OP_EXEC] = "exec",
		[RW_OP_FUTEX_WAKE] = "futex-wake",
		[RW_OP_FUTEX_WAIT] = "futex-wait",
	};

	return op <= RW_OP_MAX && names[op] ? names[op] : "?";
}

void sync_source__free(struct sync_source *s)
{
	struct sync_lib *lib;
	struct sync_pid *p;

	if (!s)
		return;
	while ((p = s->pids)) {
		s->pids = p->next;
		detach_links(p);
		free(p);
	}
	while ((lib = s->libs)) {
		s->libs = lib->next;
		free(lib);
	}
	ring_buffer__free(s->rb);
	sync_bpf__destroy(s->skel);
	free(s);
}
