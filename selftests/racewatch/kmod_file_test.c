// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch.ko file watches (RACEWATCH_IOC_WATCH_FILE): a field of a POSIX
 * shm object or a System V segment watched in every process that maps it,
 * each at its own address; late mappers, fork children and new threads are
 * armed before their first access; munmap, exec and exit disarm; bad input
 * gets the documented errno; the kernel log stays clean. Runs in the VM.
 */
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kmod_util.h"

#define FIELD	16	/* offset of the watched field in the segment */

/* A progs/shm_target child driven over pipes. */
struct st {
	pid_t pid;
	FILE *in, *out;
};

/* Start progs/@name (shm_target, or its 32-bit build shm_target-m32). */
static int st_start_prog(struct st *t, const char *name)
{
	char line[64];
	int err;

	memset(t, 0, sizeof(*t));
	err = kt_spawn(name, NULL, &t->pid, &t->in, &t->out);
	if (err)
		return err;
	if (!fgets(line, sizeof(line), t->out) || strncmp(line, "ready", 5))
		return -EPROTO;
	return 0;
}

static int st_start(struct st *t)
{
	return st_start_prog(t, "shm_target");
}

/* Send a command; the reply's number (hex for addresses) or -1 on "err". */
static long st_cmd(struct st *t, int hex, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	long v;

	va_start(ap, fmt);
	vfprintf(t->in, fmt, ap);
	va_end(ap);
	fputc('\n', t->in);
	fflush(t->in);
	if (!fgets(line, sizeof(line), t->out))
		return -1;
	if (!strncmp(line, "ready", 5))
		return 0;
	if (sscanf(line, hex ? "ok %lx" : "ok %ld", &v) != 1)
		return -1;
	return v;
}

static void st_kill(struct st *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	if (t->in)
		fclose(t->in);
	if (t->out)
		fclose(t->out);
	memset(t, 0, sizeof(*t));
}

static struct racewatch_watch_file wf_req(const struct stat *sb, __u64 off, __u32 pid)
{
	struct racewatch_watch_file w;

	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.dev = sb->st_dev;
	w.ino = sb->st_ino;
	w.offset = off;
	w.len = 8;
	w.kind = RACEWATCH_KIND_RW;
	w.pid = pid;
	return w;
}

static int wf_watch(int fd, struct racewatch_watch_file *w)
{
	return ioctl(fd, RACEWATCH_IOC_WATCH_FILE, w) ? -errno : (int)w->id;
}

static int wf_stat(int fd, __u32 id, struct racewatch_file_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = id;
	return ioctl(fd, RACEWATCH_IOC_FILE_STAT, st) ? -errno : 0;
}

/* Wait up to 2 s for the watch to have @n processes armed; the count seen. */
static int wf_wait_procs(int fd, __u32 id, __u32 n)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct racewatch_file_stat st;
	int i;

	for (i = 0; i < 200; i++) {
		if (wf_stat(fd, id, &st))
			return -1;
		if (st.processes == n)
			break;
		nanosleep(&ts, NULL);
	}
	return st.processes;
}

/* Records of @id by @pid at @addr: writes into *w, reads into *r. */
static void count(struct rw_recs *rr, __u32 id, pid_t pid, unsigned long addr, int *w, int *r)
{
	int i;

	*w = *r = 0;
	for (i = 0; i < rr->n; i++) {
		struct racewatch_access *a = rr->r[i];

		if (a->watch_id != id || (pid && (pid_t)a->pid != pid) || a->addr != addr)
			continue;
		if (a->access == RACEWATCH_ACCESS_WRITE)
			(*w)++;
		else
			(*r)++;
	}
}

FIXTURE(file) {
	int fd;
	int bad_before;
	char name[64];
	char path[96];
	struct stat sb;
	struct st a, b;
	bool ready;
};

FIXTURE_SETUP(file)
{
	int sfd;

	self->bad_before = rw_dmesg_bad_lines();
	ASSERT_LE(0, self->bad_before);
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	snprintf(self->name, sizeof(self->name), "/rw_kfile_%d", getpid());
	snprintf(self->path, sizeof(self->path), "/dev/shm%s", self->name);
	sfd = shm_open(self->name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, ftruncate(sfd, 4096));
	ASSERT_EQ(0, fstat(sfd, &self->sb));
	close(sfd);
	ASSERT_EQ(0, st_start(&self->a));
	ASSERT_EQ(0, st_start(&self->b));
	self->ready = true;
}

FIXTURE_TEARDOWN(file)
{
	st_kill(&self->a);
	st_kill(&self->b);
	if (self->fd >= 0)
		close(self->fd);
	if (self->name[0])
		shm_unlink(self->name);
	if (self->bad_before >= 0)
		EXPECT_EQ(self->bad_before, rw_dmesg_bad_lines());
}

#define NEED_READY() do { if (!self->ready) SKIP(return, "no setup"); } while (0)

TEST_F(file, bad_input_errnos)
{
	struct racewatch_watch_file w;
	struct racewatch_file_stat st;

	NEED_READY();
	w = wf_req(&self->sb, FIELD, 0);
	w.size = 8;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, FIELD, 0);
	w.kind = 0;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, FIELD, 0);
	w.len = 3;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, FIELD + 4, 0);
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, (__u64)1 << 63, 0);
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, FIELD, 0);
	w.flags = 1;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, FIELD, 0);
	w.reserved = 1;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, FIELD, 0);
	w.dev = ~0ULL;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w = wf_req(&self->sb, FIELD, 0x7ffffff0);
	EXPECT_EQ(-ESRCH, wf_watch(self->fd, &w));
	/* by name: a plain name in the root, with the flag, without an inode */
	w = wf_req(&self->sb, FIELD, 0);
	w.name = (unsigned long)"seg";
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w.flags = RACEWATCH_WATCH_FILE_BY_NAME;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w.ino = 0;
	w.name = (unsigned long)"a/b";
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w.name = (unsigned long)"";
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w.name = 0;
	EXPECT_EQ(-EINVAL, wf_watch(self->fd, &w));
	w.name = 8;
	EXPECT_EQ(-EFAULT, wf_watch(self->fd, &w));
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_WATCH_FILE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-ENOENT, wf_stat(self->fd, 12345, &st));
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st) - 8;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_FILE_STAT, &st));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was left behind by the refused calls. */
	w = wf_req(&self->sb, FIELD, 0);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	EXPECT_EQ(0u, w.processes);
	EXPECT_EQ(0, rw_unwatch(self->fd, w.id));
	EXPECT_EQ(-ENOENT, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(-ENOENT, rw_unwatch(self->fd, w.id));
}

TEST_F(file, mappers_armed_each_at_its_own_address)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w;
	struct racewatch_file_stat st;
	long aa, ab;
	int wr, rd;

	NEED_READY();
	aa = st_cmd(&self->a, 1, "p %s", self->name);
	ASSERT_LT(0, aa);
	/* b maps something else first, so the two addresses differ */
	ASSERT_LT(0, st_cmd(&self->b, 1, "p %s", self->name));
	ASSERT_EQ(0, st_cmd(&self->b, 0, "u"));
	ab = st_cmd(&self->b, 1, "p %s", self->name);
	ASSERT_LT(0, ab);

	w = wf_req(&self->sb, FIELD, 0);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	EXPECT_EQ(2u, w.processes);
	EXPECT_EQ(0u, w.skipped);

	ASSERT_EQ(self->a.pid, st_cmd(&self->a, 0, "w %d 5", FIELD));
	ASSERT_EQ(self->b.pid, st_cmd(&self->b, 0, "r %d 3", FIELD));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, aa + FIELD, &wr, &rd);
	EXPECT_EQ(5, wr);
	count(&recs, w.id, self->b.pid, ab + FIELD, &wr, &rd);
	EXPECT_EQ(0, wr);
	EXPECT_EQ(3, rd);
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(2u, st.processes);
	EXPECT_EQ(2u, st.threads);
	/* a's increments read and write (-O0: two traps each) */
	EXPECT_LE(8u, st.hits);
}

TEST_F(file, late_mapper_armed_before_its_first_access)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w;
	long aa;
	int wr, rd;

	NEED_READY();
	w = wf_req(&self->sb, FIELD, 0);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	EXPECT_EQ(0u, w.processes);
	/* mmap() returns and the very next access is the write */
	aa = st_cmd(&self->a, 1, "P %s %d", self->name, FIELD);
	ASSERT_LT(0, aa);
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, aa + FIELD, &wr, &rd);
	EXPECT_EQ(1, wr);
	EXPECT_EQ(1, wf_wait_procs(self->fd, w.id, 1));
}

TEST_F(file, fork_children_and_threads_armed)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w;
	long aa, child, tid;
	int wr, rd;

	NEED_READY();
	aa = st_cmd(&self->a, 1, "p %s", self->name);
	ASSERT_LT(0, aa);
	w = wf_req(&self->sb, FIELD, 0);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	child = st_cmd(&self->a, 0, "f %d 4", FIELD);
	ASSERT_LT(0, child);
	tid = st_cmd(&self->a, 0, "t %d 6", FIELD);
	ASSERT_LT(0, tid);
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, child, aa + FIELD, &wr, &rd);
	EXPECT_EQ(4, wr);
	count(&recs, w.id, self->a.pid, aa + FIELD, &wr, &rd);
	EXPECT_EQ(6, wr);
	/* the child exited: only the parent stays armed */
	EXPECT_EQ(1, wf_wait_procs(self->fd, w.id, 1));
}

TEST_F(file, munmap_exec_and_exit_disarm)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w;
	struct racewatch_file_stat st;
	long aa;
	int wr, rd, status;

	NEED_READY();
	ASSERT_LT(0, st_cmd(&self->a, 1, "p %s", self->name));
	ASSERT_LT(0, st_cmd(&self->b, 1, "p %s", self->name));
	w = wf_req(&self->sb, FIELD, 0);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	ASSERT_EQ(2u, w.processes);

	/* munmap: disarmed before munmap() returns */
	ASSERT_EQ(0, st_cmd(&self->a, 0, "u"));
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(1u, st.processes);
	/* mapped again: armed again at the new address */
	aa = st_cmd(&self->a, 1, "p %s", self->name);
	ASSERT_LT(0, aa);
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(2u, st.processes);
	ASSERT_EQ(self->a.pid, st_cmd(&self->a, 0, "w %d 2", FIELD));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, aa + FIELD, &wr, &rd);
	EXPECT_EQ(2, wr);

	/* exec: the new image maps nothing, its arming is gone */
	ASSERT_EQ(0, st_cmd(&self->a, 0, "e"));
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(1u, st.processes);

	/* exit: freed once the process is gone */
	fprintf(self->b.in, "q\n");
	fflush(self->b.in);
	ASSERT_EQ(self->b.pid, waitpid(self->b.pid, &status, 0));
	self->b.pid = 0;
	EXPECT_EQ(0, wf_wait_procs(self->fd, w.id, 0));
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(0u, st.threads);
	EXPECT_EQ(3u, st.armed);
}

TEST_F(file, scope_limits_arming_to_a_process_tree)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w;
	long aa, ab, child;
	int wr, rd;

	NEED_READY();
	aa = st_cmd(&self->a, 1, "p %s", self->name);
	ab = st_cmd(&self->b, 1, "p %s", self->name);
	ASSERT_LT(0, aa);
	ASSERT_LT(0, ab);
	w = wf_req(&self->sb, FIELD, self->a.pid);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	EXPECT_EQ(1u, w.processes);
	ASSERT_LT(0, st_cmd(&self->b, 0, "w %d 3", FIELD));
	child = st_cmd(&self->a, 0, "f %d 2", FIELD);
	ASSERT_LT(0, child);
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->b.pid, ab + FIELD, &wr, &rd);
	EXPECT_EQ(0, wr + rd);
	count(&recs, w.id, child, aa + FIELD, &wr, &rd);
	EXPECT_EQ(2, wr);
}

TEST_F(file, by_name_binds_to_a_file_created_later)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w;
	struct racewatch_file_stat st;
	char other[80];
	struct stat sb;
	long aa, ab;
	int sfd, wr, rd;

	NEED_READY();
	/* the segment does not exist when the watch is made */
	ASSERT_EQ(0, shm_unlink(self->name));
	w = wf_req(&self->sb, FIELD, 0);
	w.ino = 0;
	w.flags = RACEWATCH_WATCH_FILE_BY_NAME;
	w.name = (unsigned long)(self->name + 1);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	EXPECT_EQ(0u, w.processes);
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(0u, st.ino);

	/* another segment mapped by b is not it */
	snprintf(other, sizeof(other), "%s_other", self->name);
	sfd = shm_open(other, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, ftruncate(sfd, 4096));
	close(sfd);
	ab = st_cmd(&self->b, 1, "p %s", other);
	shm_unlink(other);
	ASSERT_LT(0, ab);

	sfd = shm_open(self->name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, ftruncate(sfd, 4096));
	ASSERT_EQ(0, fstat(sfd, &sb));
	close(sfd);
	aa = st_cmd(&self->a, 1, "P %s %d", self->name, FIELD);
	ASSERT_LT(0, aa);
	ASSERT_LT(0, st_cmd(&self->b, 0, "w %d 2", FIELD));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, aa + FIELD, &wr, &rd);
	EXPECT_EQ(1, wr);
	count(&recs, w.id, self->b.pid, ab + FIELD, &wr, &rd);
	EXPECT_EQ(0, wr + rd);
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ((__u64)sb.st_ino, st.ino);
	EXPECT_EQ(1u, st.processes);
}

/* dev:ino of the System V segment as @pid maps it, from /proc/PID/maps. */
static int sysv_ident(pid_t pid, unsigned long addr, struct stat *sb)
{
	char path[64], line[512];
	unsigned long lo, hi, off, ino;
	unsigned int maj, min;
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off, &maj, &min,
			   &ino) != 6 || lo != addr)
			continue;
		memset(sb, 0, sizeof(*sb));
		sb->st_dev = makedev(maj, min);
		sb->st_ino = ino;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

TEST_F(file, sysv_segment)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w;
	struct stat sb;
	long aa, ab;
	int id, wr, rd;

	NEED_READY();
	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	ASSERT_LE(0, id);
	aa = st_cmd(&self->a, 1, "s %d", id);
	ASSERT_LT(0, aa);
	ASSERT_EQ(0, sysv_ident(self->a.pid, aa, &sb));
	EXPECT_EQ((unsigned long)id, (unsigned long)sb.st_ino);
	w = wf_req(&sb, FIELD, 0);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	EXPECT_EQ(1u, w.processes);
	/* b attaches after the watch exists */
	ab = st_cmd(&self->b, 1, "s %d", id);
	ASSERT_LT(0, ab);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_LT(0, st_cmd(&self->a, 0, "w %d 2", FIELD));
	ASSERT_LT(0, st_cmd(&self->b, 0, "w %d 3", FIELD));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, aa + FIELD, &wr, &rd);
	EXPECT_EQ(2, wr);
	count(&recs, w.id, self->b.pid, ab + FIELD, &wr, &rd);
	EXPECT_EQ(3, wr);
	/* shmdt disarms */
	ASSERT_EQ(0, st_cmd(&self->b, 0, "u"));
	EXPECT_EQ(1, wf_wait_procs(self->fd, w.id, 1));
}

TEST_F(file, close_disarms_everything)
{
	struct racewatch_watch_file w;
	long aa;
	int fd2;

	NEED_READY();
	aa = st_cmd(&self->a, 1, "p %s", self->name);
	ASSERT_LT(0, aa);
	w = wf_req(&self->sb, FIELD, 0);
	ASSERT_LT(0, wf_watch(self->fd, &w));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* all four debug registers are free again: two RW watches take them */
	fd2 = rw_dev_open();
	ASSERT_LE(0, fd2);
	EXPECT_LT(0, rw_watch(fd2, self->a.pid, aa + FIELD, 8, RACEWATCH_KIND_RW, 0));
	EXPECT_LT(0, rw_watch(fd2, self->a.pid, aa + FIELD, 8, RACEWATCH_KIND_RW, 0));
	EXPECT_EQ(-ENOSPC, rw_watch(fd2, self->a.pid, aa + FIELD, 8, RACEWATCH_KIND_WRITE, 0));
	close(fd2);
}

/*
 * A 32-bit (ia32) process: its mmap2 and shmat (glibc's, through ipc() or
 * shmat) arm it, munmap and shmdt disarm it; its records say it is a compat
 * task, hold 32-bit addresses and a stack walked through 32-bit frames.
 */
TEST_F(file, compat_32bit_process_followed)
{
	static struct rw_recs recs;
	struct racewatch_watch_file w, ws;
	struct racewatch_file_stat st;
	struct stat sb;
	struct st c;
	long ac, as;
	int i, id, n = 0;

	NEED_READY();
	if (st_start_prog(&c, "shm_target-m32")) {
		st_kill(&c);
		SKIP(return, "progs/shm_target-m32 missing or not runnable (no ia32 support?)");
	}
	/* 4 bytes, writes: the 32-bit build stores a 64-bit field as two dwords */
	w = wf_req(&self->sb, FIELD, 0);
	w.len = 4;
	w.kind = RACEWATCH_KIND_WRITE;
	ASSERT_LT(0, wf_watch(self->fd, &w));
	EXPECT_EQ(0u, w.processes);

	/* mmap2: armed before the call returned */
	ac = st_cmd(&c, 1, "p %s", self->name);
	ASSERT_LT(0, ac);
	EXPECT_GT(1L << 32, ac);
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(1u, st.processes);
	ASSERT_EQ(c.pid, st_cmd(&c, 0, "w %d 3", FIELD));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	for (i = 0; i < recs.n; i++) {
		struct racewatch_access *a = recs.r[i];
		__u32 k;

		if (a->watch_id != w.id || (pid_t)a->pid != c.pid)
			continue;
		n++;
		EXPECT_EQ((__u64)ac + FIELD, a->addr);
		EXPECT_EQ(RACEWATCH_ACCESS_WRITE, a->access);
		EXPECT_TRUE(a->flags & RACEWATCH_ACCESS_F_COMPAT);
		EXPECT_GT(1ULL << 32, a->regs.ip);
		EXPECT_GT(1ULL << 32, a->regs.sp);
		EXPECT_EQ(0u, a->regs.r14);
		EXPECT_EQ(0u, a->regs.fsbase);
		/* -O0 with frame pointers: at least the caller of do_write() */
		EXPECT_LE(1u, a->nr_stack);
		for (k = 0; k < a->nr_stack; k++) {
			EXPECT_GT(1ULL << 32, a->stack[k]);
			EXPECT_NE(0u, a->stack[k]);
		}
	}
	EXPECT_EQ(3, n);
	/* munmap: disarmed before it returned */
	ASSERT_EQ(0, st_cmd(&c, 0, "u"));
	ASSERT_EQ(0, wf_stat(self->fd, w.id, &st));
	EXPECT_EQ(0u, st.processes);

	/* System V: shmat arms, shmdt disarms */
	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	ASSERT_LE(0, id);
	as = st_cmd(&c, 1, "s %d", id);
	ASSERT_LT(0, as);
	ASSERT_EQ(0, sysv_ident(c.pid, as, &sb));
	ws = wf_req(&sb, FIELD, 0);
	ws.len = 4;
	ws.kind = RACEWATCH_KIND_WRITE;
	/* made while c is attached: armed by the scan; detach, attach again */
	ASSERT_LT(0, wf_watch(self->fd, &ws));
	EXPECT_EQ(1u, ws.processes);
	ASSERT_EQ(0, st_cmd(&c, 0, "u"));
	ASSERT_EQ(0, wf_stat(self->fd, ws.id, &st));
	EXPECT_EQ(0u, st.processes);
	as = st_cmd(&c, 1, "s %d", id);
	ASSERT_LT(0, as);
	ASSERT_EQ(0, wf_stat(self->fd, ws.id, &st));
	EXPECT_EQ(1u, st.processes);
	ASSERT_EQ(c.pid, st_cmd(&c, 0, "w %d 2", FIELD));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	n = 0;
	for (i = 0; i < recs.n; i++)
		n += recs.r[i]->watch_id == ws.id && recs.r[i]->addr == (__u64)as + FIELD;
	EXPECT_EQ(2, n);
	ASSERT_EQ(0, st_cmd(&c, 0, "u"));
	ASSERT_EQ(0, wf_stat(self->fd, ws.id, &st));
	EXPECT_EQ(0u, st.processes);
	shmctl(id, IPC_RMID, NULL);
	st_kill(&c);
}

#define NOBODY		65534
#define NO_USERNS	77	/* child status: user namespaces not allowed here */

struct userns_case {
	int fd;			/* root-opened session */
	int shmdir;		/* /dev/shm, opened as root (the VM's / is 0700) */
	const char *file;	/* the segment's name in /dev/shm */
	struct stat sb;
};

/*
 * As the root of a new user namespace with a root-opened descriptor: a
 * process of the initial namespace that maps the segment is skipped and
 * counted, a process of the new namespace that maps it later is armed.
 */
static int userns_file_watch(void *arg)
{
	struct userns_case *c = arg;
	struct racewatch_watch_file w;
	struct racewatch_file_stat st;
	int sync[2], sfd, ret = 0;
	pid_t own;
	char b;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return 2;
	if (unshare(CLONE_NEWUSER))
		return NO_USERNS;
	w = wf_req(&c->sb, FIELD, 0);
	if (wf_watch(c->fd, &w) <= 0)
		return 10;
	if (w.processes != 0 || w.skipped != 1)
		return 11;
	if (pipe(sync))
		return 3;
	own = fork();
	if (own < 0)
		return 3;
	if (!own) {
		void *p;

		sfd = openat(c->shmdir, c->file, O_RDWR);
		p = sfd < 0 ? MAP_FAILED :
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
		if (p == MAP_FAILED || write(sync[1], "m", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(sync[0], &b, 1) != 1)
		ret = 12;
	else if (wf_stat(c->fd, w.id, &st) || st.processes != 1 || st.skipped != 1)
		ret = 13;
	kill(own, SIGKILL);
	waitpid(own, NULL, 0);
	return ret;
}

TEST_F(file, arming_needs_ptrace_rights_of_the_caller)
{
	struct userns_case c = { .fd = self->fd, .file = self->name + 1, .sb = self->sb };
	int status;
	pid_t pid;

	NEED_READY();
	ASSERT_EQ(0, chmod(self->path, 0666));
	c.shmdir = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, c.shmdir);
	/* a root process maps it */
	ASSERT_LT(0, st_cmd(&self->a, 1, "p %s", self->name));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(userns_file_watch(&c));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(c.shmdir);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == NO_USERNS)
		SKIP(return, "unprivileged user namespaces are not allowed here");
	/* 10: refused; 11: root process armed or not counted; 12-13: own process not armed */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
