// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch.ko executable watches (RACEWATCH_IOC_WATCH_EXE): a global of an
 * executable watched in every process running it, each at its own address
 * (PIE and non-PIE builds of progs/kmod_target), in processes started before
 * and after the watch; fork children keep it; exec of the same image arms
 * the new image, exec of another image and exit disarm; a process running
 * another executable is not armed; a caller without rights skips; bad input
 * gets the documented errno; the kernel log stays clean. Runs in the VM.
 */
#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <grp.h>
#include <sched.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kmod_util.h"

/* What RACEWATCH_IOC_WATCH_EXE needs to know about one executable. */
struct exe_info {
	struct stat sb;
	__u64 var_vaddr;	/* kt_var's st_value (.bss) */
	__u64 data_vaddr;	/* kt_data's st_value (.data) */
	__u64 anchor_offset;	/* first PT_LOAD's p_offset, page-aligned */
	__u64 anchor_vaddr;	/* its p_vaddr, page-aligned */
};

/* Read the symbol table and program headers of progs/@name. */
static int exe_info(const char *name, struct exe_info *ei)
{
	char path[PATH_MAX];
	Elf_Scn *scn = NULL;
	GElf_Phdr ph;
	size_t i, n;
	int fd, err = -ENOENT;
	bool load = false;
	Elf *elf;

	memset(ei, 0, sizeof(*ei));
	if (kt_prog_path(name, path, sizeof(path)) || stat(path, &ei->sb))
		return -ENOENT;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &n))
		goto out;
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			ei->anchor_offset = ph.p_offset & ~4095ULL;
			ei->anchor_vaddr = ph.p_vaddr & ~4095ULL;
			load = true;
			break;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *s;

			if (!gelf_getsym(d, i, &sym))
				continue;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, "kt_var"))
				ei->var_vaddr = sym.st_value;
			if (s && !strcmp(s, "kt_data"))
				ei->data_vaddr = sym.st_value;
		}
	}
	if (ei->var_vaddr && ei->data_vaddr && load)
		err = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

static struct racewatch_watch_exe we_req(const struct exe_info *ei, __u32 pid)
{
	struct racewatch_watch_exe w;

	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.dev = ei->sb.st_dev;
	w.ino = ei->sb.st_ino;
	w.vaddr = ei->var_vaddr;
	w.anchor_offset = ei->anchor_offset;
	w.anchor_vaddr = ei->anchor_vaddr;
	w.len = 8;
	w.kind = RACEWATCH_KIND_RW;
	w.pid = pid;
	return w;
}

static int we_watch(int fd, struct racewatch_watch_exe *w)
{
	return ioctl(fd, RACEWATCH_IOC_WATCH_EXE, w) ? -errno : (int)w->id;
}

static int we_stat(int fd, __u32 id, struct racewatch_file_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = id;
	return ioctl(fd, RACEWATCH_IOC_FILE_STAT, st) ? -errno : 0;
}

/* Wait up to 2 s for the watch to have @n processes armed; the count seen. */
static int we_wait_procs(int fd, __u32 id, __u32 n)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct racewatch_file_stat st;
	int i;

	for (i = 0; i < 200; i++) {
		if (we_stat(fd, id, &st))
			return -1;
		if (st.processes == n)
			break;
		nanosleep(&ts, NULL);
	}
	return st.processes;
}

/* Records of watch @id by process @pid at @addr: writes into *w, reads into *r. */
static void count(struct rw_recs *rr, __u32 id, pid_t pid, unsigned long addr, int *w, int *r)
{
	int i;

	*w = *r = 0;
	for (i = 0; i < rr->n; i++) {
		struct racewatch_access *a = rr->r[i];

		if (a->watch_id != id || (pid_t)a->pid != pid || a->addr != addr)
			continue;
		if (a->access == RACEWATCH_ACCESS_WRITE)
			(*w)++;
		else
			(*r)++;
	}
}

/* Records of watch @id by process @pid, anywhere. */
static int count_pid(struct rw_recs *rr, __u32 id, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < rr->n; i++)
		n += rr->r[i]->watch_id == id && (pid_t)rr->r[i]->pid == pid;
	return n;
}

FIXTURE(exe) {
	int fd;
	int bad_before;
	struct exe_info ei;
	struct kt a, b, other;
	bool ready;
};

/* The watched build, and the other one (a different executable). */
FIXTURE_VARIANT(exe) {
	const char *prog;
	const char *other;
};

FIXTURE_VARIANT_ADD(exe, pie_O0) {
	.prog = "kmod_target",
	.other = "kmod_target-O2",
};

FIXTURE_VARIANT_ADD(exe, nopie_O2) {
	.prog = "kmod_target-O2",
	.other = "kmod_target",
};

FIXTURE_SETUP(exe)
{
	self->bad_before = rw_dmesg_bad_lines();
	ASSERT_LE(0, self->bad_before);
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	ASSERT_EQ(0, exe_info(variant->prog, &self->ei));
	ASSERT_EQ(0, kt_start(&self->a, variant->prog, false));
	self->ready = true;
}

FIXTURE_TEARDOWN(exe)
{
	kt_kill(&self->a);
	kt_kill(&self->b);
	kt_kill(&self->other);
	if (self->fd >= 0)
		close(self->fd);
	if (self->bad_before >= 0)
		EXPECT_EQ(self->bad_before, rw_dmesg_bad_lines());
}

#define NEED_READY() do { if (!self->ready) SKIP(return, "no setup"); } while (0)

TEST_F(exe, bad_input_errnos)
{
	struct racewatch_watch_exe w;
	struct racewatch_file_stat st;

	NEED_READY();
	w = we_req(&self->ei, 0);
	w.size = sizeof(w) - 8;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.flags = 2;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.kind = 3;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.len = 5;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.vaddr += 4;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.anchor_offset += 8;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.anchor_vaddr += 8;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.vaddr = 0xffff888000000000ULL;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.ino = 0;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0);
	w.dev = ~0ULL;
	EXPECT_EQ(-EINVAL, we_watch(self->fd, &w));
	w = we_req(&self->ei, 0x7ffffff0);
	EXPECT_EQ(-ESRCH, we_watch(self->fd, &w));
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_WATCH_EXE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* Nothing was left behind by the refused calls: one watch, then none. */
	w = we_req(&self->ei, 0);
	ASSERT_LT(0, we_watch(self->fd, &w));
	EXPECT_EQ(1u, w.processes);
	EXPECT_EQ(0, rw_unwatch(self->fd, w.id));
	EXPECT_EQ(-ENOENT, we_stat(self->fd, w.id, &st));
	EXPECT_EQ(-ENOENT, rw_unwatch(self->fd, w.id));
}

TEST_F(exe, processes_before_and_after_armed_each_at_its_address)
{
	static struct rw_recs recs;
	struct racewatch_watch_exe w;
	struct racewatch_file_stat st;
	int wr, rd;

	NEED_READY();
	/* another executable runs too: it is never armed */
	ASSERT_EQ(0, kt_start(&self->other, variant->other, false));
	w = we_req(&self->ei, 0);
	ASSERT_LT(0, we_watch(self->fd, &w));
	EXPECT_EQ(1u, w.processes);
	EXPECT_EQ(0u, w.skipped);

	/* started after the watch: armed by the time it reads its first command */
	ASSERT_EQ(0, kt_start(&self->b, variant->prog, false));
	ASSERT_EQ(0, we_stat(self->fd, w.id, &st));
	EXPECT_EQ(2u, st.processes);
	EXPECT_EQ(2u, st.armed);

	ASSERT_EQ(self->a.pid, kt_cmd(&self->a, 'w', 3));
	ASSERT_EQ(self->b.pid, kt_cmd(&self->b, 'w', 5));
	ASSERT_EQ(self->b.pid, kt_cmd(&self->b, 'r', 2));
	ASSERT_EQ(self->other.pid, kt_cmd(&self->other, 'w', 4));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, self->a.var, &wr, &rd);
	EXPECT_EQ(3, wr);
	EXPECT_EQ(0, rd);
	count(&recs, w.id, self->b.pid, self->b.var, &wr, &rd);
	EXPECT_EQ(5, wr);
	EXPECT_EQ(2, rd);
	EXPECT_EQ(3, count_pid(&recs, w.id, self->a.pid));
	EXPECT_EQ(7, count_pid(&recs, w.id, self->b.pid));
	EXPECT_EQ(0, count_pid(&recs, w.id, self->other.pid));
	ASSERT_EQ(0, we_stat(self->fd, w.id, &st));
	EXPECT_EQ(2u, st.processes);
	EXPECT_EQ(2u, st.threads);
	EXPECT_EQ(10u, st.hits);
	EXPECT_EQ((__u64)self->ei.sb.st_ino, st.ino);
}

/* A variable in .data (inside the file's mapping) is found the same way as one in .bss. */
TEST_F(exe, data_section_variable)
{
	static struct rw_recs recs;
	struct racewatch_watch_exe w;
	unsigned long data;
	int wr, rd;

	NEED_READY();
	w = we_req(&self->ei, 0);
	w.vaddr = self->ei.data_vaddr;
	ASSERT_LT(0, we_watch(self->fd, &w));
	EXPECT_EQ(1u, w.processes);
	/* same load bias as kt_var, whose address the target printed */
	data = self->a.var - self->ei.var_vaddr + self->ei.data_vaddr;
	ASSERT_EQ(self->a.pid, kt_cmd(&self->a, 'D', 4));
	ASSERT_EQ(self->a.pid, kt_cmd(&self->a, 'w', 2));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, data, &wr, &rd);
	EXPECT_EQ(4, wr);
	EXPECT_EQ(4, count_pid(&recs, w.id, self->a.pid));
}

/* With NOTIFY, each arming is announced before the process's first access. */
TEST_F(exe, notify_announces_each_arming_before_its_accesses)
{
	static struct rw_recs recs;
	struct racewatch_watch_exe w;
	__u64 seq_b = 0, seq_acc = ~0ULL, t_b = 0;
	int i, arms_a = 0, arms_b = 0;

	NEED_READY();
	w = we_req(&self->ei, 0);
	w.flags = RACEWATCH_WATCH_EXE_NOTIFY;
	ASSERT_LT(0, we_watch(self->fd, &w));
	ASSERT_EQ(0, kt_start(&self->b, variant->prog, false));
	ASSERT_EQ(self->b.pid, kt_cmd(&self->b, 'w', 2));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	for (i = 0; i < recs.narm; i++) {
		struct racewatch_arm *a = recs.arm[i];

		EXPECT_EQ(w.id, a->watch_id);
		EXPECT_EQ(0u, a->reserved[0] | a->reserved[1]);
		if ((pid_t)a->pid == self->a.pid) {
			arms_a++;
			EXPECT_EQ(self->a.var, a->addr);
		} else if ((pid_t)a->pid == self->b.pid) {
			arms_b++;
			EXPECT_EQ(self->b.var, a->addr);
			seq_b = a->seq;
			t_b = a->time_ns;
		}
	}
	EXPECT_EQ(1, arms_a);
	EXPECT_EQ(1, arms_b);
	for (i = 0; i < recs.n; i++) {
		if ((pid_t)recs.r[i]->pid != self->b.pid)
			continue;
		if (recs.r[i]->seq < seq_acc)
			seq_acc = recs.r[i]->seq;
		EXPECT_LT(t_b, recs.r[i]->time_ns);
	}
	EXPECT_LT(seq_b, seq_acc);
	EXPECT_NE(~0ULL, seq_acc);
}

TEST_F(exe, fork_children_and_threads_keep_it)
{
	static struct rw_recs recs;
	struct racewatch_watch_exe w;
	pid_t child, tid;
	int wr, rd;

	NEED_READY();
	w = we_req(&self->ei, 0);
	ASSERT_LT(0, we_watch(self->fd, &w));
	child = kt_cmd(&self->a, 'f', 4);
	ASSERT_LT(0, child);
	tid = kt_cmd(&self->a, 't', 6);
	ASSERT_LT(0, tid);
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, child, self->a.var, &wr, &rd);
	EXPECT_EQ(4, wr);
	count(&recs, w.id, self->a.pid, self->a.var, &wr, &rd);
	EXPECT_EQ(6, wr);
	/* the child exited: only the parent stays armed */
	EXPECT_EQ(1, we_wait_procs(self->fd, w.id, 1));
}

TEST_F(exe, exec_rearms_same_image_other_image_and_exit_disarm)
{
	static struct rw_recs recs;
	struct racewatch_watch_exe w;
	struct racewatch_file_stat st;
	int wr, rd, status;

	NEED_READY();
	w = we_req(&self->ei, 0);
	ASSERT_LT(0, we_watch(self->fd, &w));
	ASSERT_EQ(1u, w.processes);

	/* exec of the same executable: a new image, armed at its own address */
	fprintf(self->a.in, "e\n");
	fflush(self->a.in);
	ASSERT_EQ(0, kt_read_header(&self->a));
	ASSERT_EQ(0, we_stat(self->fd, w.id, &st));
	EXPECT_EQ(1u, st.processes);
	EXPECT_EQ(2u, st.armed);
	ASSERT_EQ(self->a.pid, kt_cmd(&self->a, 'w', 2));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	count(&recs, w.id, self->a.pid, self->a.var, &wr, &rd);
	EXPECT_EQ(2, wr);

	/* exec of another executable: disarmed, its accesses are not watched */
	fprintf(self->a.in, "E\n");
	fflush(self->a.in);
	ASSERT_EQ(0, kt_read_header(&self->a));
	ASSERT_EQ(0, we_stat(self->fd, w.id, &st));
	EXPECT_EQ(0u, st.processes);
	ASSERT_EQ(self->a.pid, kt_cmd(&self->a, 'w', 3));
	ASSERT_LE(0, rw_drain(self->fd, &recs));
	EXPECT_EQ(0, count_pid(&recs, w.id, self->a.pid));
	/* and back: armed again */
	fprintf(self->a.in, "E\n");
	fflush(self->a.in);
	ASSERT_EQ(0, kt_read_header(&self->a));
	EXPECT_EQ(1, we_wait_procs(self->fd, w.id, 1));

	/* exit: freed once the process is gone */
	ASSERT_EQ(0, kt_start(&self->b, variant->prog, false));
	EXPECT_EQ(2, we_wait_procs(self->fd, w.id, 2));
	status = kt_stop(&self->b);
	EXPECT_TRUE(WIFEXITED(status));
	status = kt_stop(&self->a);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, we_wait_procs(self->fd, w.id, 0));
	ASSERT_EQ(0, we_stat(self->fd, w.id, &st));
	EXPECT_EQ(0u, st.threads);
	EXPECT_EQ(4u, st.armed);
}

TEST_F(exe, scope_and_close)
{
	struct racewatch_watch_exe w;
	int fd2;

	NEED_READY();
	ASSERT_EQ(0, kt_start(&self->b, variant->prog, false));
	/* scope: only a and its descendants */
	w = we_req(&self->ei, self->a.pid);
	ASSERT_LT(0, we_watch(self->fd, &w));
	EXPECT_EQ(1u, w.processes);
	w = we_req(&self->ei, 0);
	ASSERT_LT(0, we_watch(self->fd, &w));
	EXPECT_EQ(2u, w.processes);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* all four debug registers of b are free again: two RW watches take them */
	fd2 = rw_dev_open();
	ASSERT_LE(0, fd2);
	EXPECT_LT(0, rw_watch(fd2, self->b.pid, self->b.var, 8, RACEWATCH_KIND_RW, 0));
	EXPECT_LT(0, rw_watch(fd2, self->b.pid, self->b.var, 8, RACEWATCH_KIND_RW, 0));
	EXPECT_EQ(-ENOSPC, rw_watch(fd2, self->b.pid, self->b.var, 8, RACEWATCH_KIND_WRITE, 0));
	close(fd2);
}

/* LIST with RACEWATCH_LIST_ALL and GET_STATS show file and executable watches, typed. */
TEST_F(exe, list_and_stats_show_file_and_exe_watches)
{
	struct racewatch_watch_info wi[4];
	struct racewatch_watch_exe w;
	struct racewatch_watch_file f;
	struct racewatch_stats st;
	struct racewatch_list l;
	char name[64];
	struct stat sb;
	int pid_id, sfd, i;

	NEED_READY();
	/* the pid watch in another process: QEMU reports one slot per access */
	ASSERT_EQ(0, kt_start(&self->other, variant->other, false));
	pid_id = rw_watch(self->fd, self->other.pid, self->other.var, 8, RACEWATCH_KIND_WRITE, 0);
	ASSERT_LT(0, pid_id);
	w = we_req(&self->ei, 0);
	w.kind = RACEWATCH_KIND_WRITE;
	ASSERT_LT(0, we_watch(self->fd, &w));
	snprintf(name, sizeof(name), "/rw_kexe_%d", getpid());
	sfd = shm_open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, fstat(sfd, &sb));
	close(sfd);
	shm_unlink(name);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.dev = sb.st_dev;
	f.ino = sb.st_ino;
	f.offset = 16;
	f.len = 4;
	f.kind = RACEWATCH_KIND_RW;
	f.flags = RACEWATCH_WATCH_FILE_NOTIFY;
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_WATCH_FILE, &f));
	ASSERT_EQ(self->a.pid, kt_cmd(&self->a, 'w', 3));
	ASSERT_EQ(self->other.pid, kt_cmd(&self->other, 'w', 2));

	/* old callers: only the pid watch, untyped */
	EXPECT_EQ(1, rw_list(self->fd, wi, 4));
	EXPECT_EQ((__u32)pid_id, wi[0].id);
	EXPECT_EQ(0u, wi[0].type);
	EXPECT_EQ(0xccccccccu, wi[1].id);

	memset(wi, 0xcc, sizeof(wi));
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.count = 4;
	l.flags = RACEWATCH_LIST_ALL;
	l.watches = (__u64)(unsigned long)wi;
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	ASSERT_EQ(3u, l.count);
	EXPECT_EQ(0xccccccccu, wi[3].id);
	EXPECT_EQ(RACEWATCH_WATCH_TYPE_PID, wi[0].type);
	EXPECT_EQ(1u, wi[0].processes);
	EXPECT_EQ(2u, wi[0].hits);
	/* the executable watch */
	EXPECT_EQ(w.id, wi[1].id);
	EXPECT_EQ(RACEWATCH_WATCH_TYPE_EXE, wi[1].type);
	EXPECT_EQ(0u, wi[1].pid);
	EXPECT_EQ(RACEWATCH_KIND_WRITE, wi[1].kind);
	EXPECT_EQ(8u, wi[1].len);
	EXPECT_EQ(self->ei.var_vaddr, wi[1].addr);
	EXPECT_EQ(1u, wi[1].processes);
	EXPECT_EQ(1u, wi[1].threads);
	EXPECT_EQ(3u, wi[1].hits);
	EXPECT_EQ(0u, wi[1].flags);
	EXPECT_EQ((__u64)self->ei.sb.st_ino, wi[1].ino);
	/* the file watch: nobody maps it */
	EXPECT_EQ(f.id, wi[2].id);
	EXPECT_EQ(RACEWATCH_WATCH_TYPE_FILE, wi[2].type);
	EXPECT_EQ(RACEWATCH_KIND_RW, wi[2].kind);
	EXPECT_EQ(4u, wi[2].len);
	EXPECT_EQ(16u, wi[2].addr);
	EXPECT_EQ(0u, wi[2].processes);
	EXPECT_EQ(0u, wi[2].threads);
	EXPECT_EQ(RACEWATCH_WATCH_FILE_NOTIFY, wi[2].flags);
	EXPECT_EQ((__u64)sb.st_ino, wi[2].ino);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0u, wi[i].reserved);

	/* room for two: three counted, two written */
	memset(wi, 0xcc, sizeof(wi));
	l.count = 2;
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	EXPECT_EQ(3u, l.count);
	EXPECT_EQ(w.id, wi[1].id);
	EXPECT_EQ(0xccccccccu, wi[2].id);

	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(1u, st.watches);
	EXPECT_EQ(1u, st.armed_threads);
	EXPECT_EQ(2u, st.file_watches);
	EXPECT_EQ(1u, st.file_processes);
	EXPECT_EQ(1u, st.file_threads);
	EXPECT_EQ(0u, st.reserved[0] | st.reserved[1]);

	/* unwatched: gone from both */
	EXPECT_EQ(0, rw_unwatch(self->fd, w.id));
	EXPECT_EQ(0, rw_unwatch(self->fd, f.id));
	l.count = 4;
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	EXPECT_EQ(1u, l.count);
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(0u, st.file_watches);
	EXPECT_EQ(0u, st.file_processes);
	EXPECT_EQ(0u, st.file_threads);
}

#define NOBODY		65534
#define NO_USERNS	77	/* child status: user namespaces not allowed here */
#define NO_EXEC		78	/* child status: nobody cannot run the program here */

/*
 * As the root of a new user namespace with a root-opened descriptor: the
 * root process running the executable is skipped and counted; a process of
 * the new namespace that starts it later is armed.
 */
static int userns_exe_watch(int fd, const struct exe_info *ei, const char *prog)
{
	struct racewatch_watch_exe w = we_req(ei, 0);
	struct racewatch_file_stat st;
	struct kt own;
	int ret = 0;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return 2;
	if (unshare(CLONE_NEWUSER))
		return NO_USERNS;
	if (we_watch(fd, &w) <= 0)
		return 10;
	if (w.processes != 0 || w.skipped != 1)
		return 11;
	if (kt_start(&own, prog, false))
		return NO_EXEC;
	if (we_stat(fd, w.id, &st) || st.processes != 1 || st.skipped != 1)
		ret = 12;
	kt_kill(&own);
	return ret;
}

TEST_F(exe, arming_needs_ptrace_rights_of_the_caller)
{
	int status;
	pid_t pid;

	NEED_READY();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(userns_exe_watch(self->fd, &self->ei, variant->prog));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == NO_USERNS)
		SKIP(return, "unprivileged user namespaces are not allowed here");
	if (WEXITSTATUS(status) == NO_EXEC)
		SKIP(return, "user nobody cannot run %s here", variant->prog);
	/* 10: refused; 11: root process armed or not counted; 12: own process not armed */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
