// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch.ko ioctl contract: GET_INFO, every bad WATCH answered with its
 * errno and no side effect, slot and watch limits, UNWATCH/LIST/GET_STATS
 * argument checks, read() argument checks. Runs in the VM with the module
 * loaded, as root.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "kmod_util.h"

FIXTURE(dev) {
	int fd;
	struct kt t;
};

FIXTURE_SETUP(dev)
{
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	ASSERT_EQ(0, kt_start(&self->t, "kmod_target", true));
}

FIXTURE_TEARDOWN(dev)
{
	kt_kill(&self->t);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, get_info_reports_abi_and_limits)
{
	struct racewatch_info info;
	unsigned int i;

	memset(&info, 0xcc, sizeof(info));
	info.size = sizeof(info);
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_GET_INFO, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(RACEWATCH_API_VERSION, info.api_version);
	EXPECT_EQ(4, info.slots);
	EXPECT_TRUE(info.features & RACEWATCH_FEAT_RW_CLASSIFY);
	EXPECT_TRUE(info.features & RACEWATCH_FEAT_USER_STACK);
	EXPECT_TRUE(info.features & RACEWATCH_FEAT_REGS);
	EXPECT_LT(0, info.max_watches);
	EXPECT_LT(0, info.ring_records);
	EXPECT_EQ(RACEWATCH_MAX_STACK, info.max_stack);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, info.reserved[i]);

	info.size = sizeof(info) - 8;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, device_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(RACEWATCH_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);
}

TEST_F(dev, unknown_ioctl_is_enotty)
{
	int dummy = 0;

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(RACEWATCH_IOC_MAGIC, 0x7f, int), &dummy));
	EXPECT_EQ(ENOTTY, errno);
}

/* ---- WATCH: every bad input, its errno, and no side effect ---------------------------------- */

FIXTURE(bad_watch) {
	int fd;
	struct kt t;
};

/* What is wrong with the request; see bad_watch_mutate(). */
enum bad_what {
	BAD_SIZE_SMALL, BAD_SIZE_BIG, BAD_SIZE_ZERO, BAD_RESERVED_FIRST, BAD_RESERVED_LAST,
	BAD_FLAG, BAD_FLAG_HIGH, BAD_KIND_ZERO, BAD_KIND_UNKNOWN, BAD_LEN_0, BAD_LEN_3,
	BAD_LEN_16, BAD_UNALIGNED_8, BAD_UNALIGNED_2, BAD_KERNEL_TEXT, BAD_DIRECT_MAP,
	BAD_PAST_USER_SPACE, BAD_PID_UNKNOWN, BAD_PID_ZERO, BAD_PID_IS_TID, BAD_PID_KTHREAD,
};

FIXTURE_VARIANT(bad_watch) {
	enum bad_what what;
	int err;
};

static void bad_watch_mutate(struct racewatch_watch *w, const struct kt *t, enum bad_what what)
{
	switch (what) {
	case BAD_SIZE_SMALL:
		w->size -= 8;
		break;
	case BAD_SIZE_BIG:
		w->size += 8;
		break;
	case BAD_SIZE_ZERO:
		w->size = 0;
		break;
	case BAD_RESERVED_FIRST:
		w->reserved[0] = 1;
		break;
	case BAD_RESERVED_LAST:
		w->reserved[2] = 0x80000000u;
		break;
	case BAD_FLAG:
		w->flags = 1u << 7;
		break;
	case BAD_FLAG_HIGH:
		w->flags = 1u << 31;
		break;
	case BAD_KIND_ZERO:
		w->kind = 0;
		break;
	case BAD_KIND_UNKNOWN:
		w->kind = 3;
		break;
	case BAD_LEN_0:
		w->len = 0;
		break;
	case BAD_LEN_3:
		w->len = 3;
		break;
	case BAD_LEN_16:
		w->len = 16;
		break;
	case BAD_UNALIGNED_8:
		w->addr += 4;
		break;
	case BAD_UNALIGNED_2:
		w->len = 2;
		w->addr += 1;
		break;
	case BAD_KERNEL_TEXT:
		w->addr = 0xffffffff81000000ul;
		break;
	case BAD_DIRECT_MAP:
		w->addr = 0xffff888000000000ul;
		break;
	case BAD_PAST_USER_SPACE:	/* beyond even 5-level paging's user space */
		w->addr = 0x0100000000000000ul;
		break;
	case BAD_PID_UNKNOWN:
		w->pid = 0x7ffffff0;
		break;
	case BAD_PID_ZERO:
		w->pid = 0;
		break;
	case BAD_PID_IS_TID:		/* a thread id is not a process id */
		w->pid = t->helper;
		break;
	case BAD_PID_KTHREAD:		/* kthreadd: no user space, never ptrace-able */
		w->pid = 2;
		break;
	}
}

#define BAD(name, w, e) \
	FIXTURE_VARIANT_ADD(bad_watch, name) { .what = (w), .err = (e) }

BAD(size_too_small, BAD_SIZE_SMALL, EINVAL);
BAD(size_too_big, BAD_SIZE_BIG, EINVAL);
BAD(size_zero, BAD_SIZE_ZERO, EINVAL);
BAD(reserved_first_nonzero, BAD_RESERVED_FIRST, EINVAL);
BAD(reserved_last_nonzero, BAD_RESERVED_LAST, EINVAL);
BAD(unknown_flag, BAD_FLAG, EINVAL);
BAD(unknown_high_flag, BAD_FLAG_HIGH, EINVAL);
BAD(kind_zero, BAD_KIND_ZERO, EINVAL);
BAD(unknown_kind, BAD_KIND_UNKNOWN, EINVAL);
BAD(len_0, BAD_LEN_0, EINVAL);
BAD(len_3, BAD_LEN_3, EINVAL);
BAD(len_16, BAD_LEN_16, EINVAL);
BAD(addr_unaligned_for_8, BAD_UNALIGNED_8, EINVAL);
BAD(addr_unaligned_for_2, BAD_UNALIGNED_2, EINVAL);
BAD(kernel_text_address, BAD_KERNEL_TEXT, EFAULT);
BAD(kernel_direct_map_address, BAD_DIRECT_MAP, EFAULT);
BAD(address_past_user_space, BAD_PAST_USER_SPACE, EFAULT);
BAD(unknown_pid, BAD_PID_UNKNOWN, ESRCH);
BAD(pid_zero, BAD_PID_ZERO, ESRCH);
BAD(thread_id_not_process_id, BAD_PID_IS_TID, ESRCH);
BAD(kernel_thread, BAD_PID_KTHREAD, EPERM);

FIXTURE_SETUP(bad_watch)
{
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	ASSERT_EQ(0, kt_start(&self->t, "kmod_target", true));
}

FIXTURE_TEARDOWN(bad_watch)
{
	kt_kill(&self->t);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(bad_watch, refused_with_errno_and_no_side_effect)
{
	struct racewatch_watch w = rw_req(self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0);
	struct racewatch_stats st;
	char buf[4096];

	bad_watch_mutate(&w, &self->t, variant->what);
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_WATCH, &w));
	EXPECT_EQ(variant->err, errno);

	/* Nothing was made: no watch, nothing armed, and accesses produce nothing. */
	EXPECT_EQ(0, rw_list(self->fd, NULL, 0));
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(0, st.watches);
	EXPECT_EQ(0, st.armed_threads);
	EXPECT_LT(0, kt_cmd(&self->t, 'w', 3));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	/* And every slot is still free: the valid request succeeds twice (4 slots). */
	EXPECT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	EXPECT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
}

TEST_F(dev, watch_whose_answer_cannot_be_written_is_undone)
{
	struct racewatch_watch *w;
	int i;

	/* A valid request in a page the module can read but not write. */
	w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w);
	*w = rw_req(self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0);
	ASSERT_EQ(0, mprotect(w, 4096, PROT_READ));

	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_WATCH, w));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, rw_list(self->fd, NULL, 0));
	for (i = 0; i < 4; i++)
		EXPECT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8,
				      RACEWATCH_KIND_WRITE, 0));
	munmap(w, 4096);
}

/* ---- rights, slots and limits --------------------------------------------------------------- */

TEST_F(dev, caller_without_ptrace_rights_gets_eperm)
{
	struct racewatch_watch w = rw_req(self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0);
	int status, res;
	pid_t child;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		/* Keep the root-opened fd, drop to nobody: no CAP_SYS_PTRACE any more. */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		res = ioctl(self->fd, RACEWATCH_IOC_WATCH, &w);
		_exit(res == -1 ? errno : 101);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
	EXPECT_EQ(0, rw_list(self->fd, NULL, 0));

	/* The same request from root works. */
	EXPECT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
}

TEST_F(dev, no_free_debug_register_gets_enospc_and_undoes_all)
{
	struct racewatch_watch_info wi[8];
	int ids[4], i;

	/* Four write watches use the four slots of both threads. */
	for (i = 0; i < 4; i++) {
		ids[i] = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0);
		ASSERT_LT(0, ids[i]);
	}
	EXPECT_EQ(-ENOSPC, rw_watch(self->fd, self->t.pid, self->t.var, 4,
				    RACEWATCH_KIND_WRITE, 0));
	EXPECT_EQ(4, rw_list(self->fd, wi, 8));

	/* One slot free: an RW watch needs two, gets ENOSPC, and must not keep the one it got. */
	ASSERT_EQ(0, rw_unwatch(self->fd, ids[0]));
	EXPECT_EQ(-ENOSPC, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	EXPECT_EQ(3, rw_list(self->fd, wi, 8));
	EXPECT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
	EXPECT_EQ(-ENOSPC, rw_watch(self->fd, self->t.pid, self->t.var, 8,
				    RACEWATCH_KIND_WRITE, 0));
}

TEST_F(dev, too_many_watches_gets_emfile)
{
	struct racewatch_info info;
	struct kt *more;
	int made = 0, i, j, n;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_GET_INFO, &info));
	ASSERT_GE(256, info.max_watches);

	/* Each process has four slots: spread the watches over enough targets. */
	n = (info.max_watches + 3) / 4 + 1;
	more = calloc(n, sizeof(*more));
	ASSERT_NE(NULL, more);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, kt_start(&more[i], "kmod_target", false));
	for (i = 0; i < n && made < (int)info.max_watches; i++)
		for (j = 0; j < 4 && made < (int)info.max_watches; j++, made++)
			ASSERT_LT(0, rw_watch(self->fd, more[i].pid, more[i].var, 8,
					      RACEWATCH_KIND_WRITE, 0));
	EXPECT_EQ(-EMFILE, rw_watch(self->fd, more[n - 1].pid, more[n - 1].var, 8,
				    RACEWATCH_KIND_WRITE, 0));
	EXPECT_EQ((int)info.max_watches, rw_list(self->fd, NULL, 0));
	for (i = 0; i < n; i++)
		kt_kill(&more[i]);
	free(more);
}

/* ---- UNWATCH, LIST, GET_STATS, read ------------------------------------------------------- */

TEST_F(dev, unwatch_checks_its_argument)
{
	struct racewatch_unwatch u;
	int id;

	id = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0);
	ASSERT_LT(0, id);

	EXPECT_EQ(-ENOENT, rw_unwatch(self->fd, id + 1000));
	EXPECT_EQ(-ENOENT, rw_unwatch(self->fd, 0));

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u) + 8;
	u.id = id;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_UNWATCH, &u));
	EXPECT_EQ(EINVAL, errno);
	u.size = sizeof(u);
	u.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_UNWATCH, &u));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, rw_list(self->fd, NULL, 0));

	EXPECT_EQ(0, rw_unwatch(self->fd, id));
	EXPECT_EQ(-ENOENT, rw_unwatch(self->fd, id));
	EXPECT_EQ(0, rw_list(self->fd, NULL, 0));
}

TEST_F(dev, ids_are_not_reused_within_a_session)
{
	int a, b;

	a = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0);
	ASSERT_LT(0, a);
	ASSERT_EQ(0, rw_unwatch(self->fd, a));
	b = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0);
	ASSERT_LT(0, b);
	EXPECT_NE(a, b);
}

TEST_F(dev, list_describes_each_watch)
{
	struct racewatch_watch_info wi[4];
	struct racewatch_list l;
	int a, b, i;

	/*
	 * The hits of watch a are made before b exists: an emulator (QEMU)
	 * reports only one of several overlapping watchpoints per access.
	 */
	a = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE,
		     RACEWATCH_WATCH_NO_FOLLOW);
	ASSERT_LT(0, a);
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 5));
	b = rw_watch(self->fd, self->t.pid, self->t.var + 4, 2, RACEWATCH_KIND_RW, 0);
	ASSERT_LT(0, b);
	memset(wi, 0xcc, sizeof(wi));

	/* Room for one: count says two, only the first entry is written. */
	EXPECT_EQ(2, rw_list(self->fd, wi, 1));
	EXPECT_EQ(0xcccccccc, wi[1].id);

	ASSERT_EQ(2, rw_list(self->fd, wi, 4));
	EXPECT_EQ(0xcccccccc, wi[2].id);
	EXPECT_EQ((__u32)a, wi[0].id);
	EXPECT_EQ((__u32)self->t.pid, wi[0].pid);
	EXPECT_EQ(RACEWATCH_KIND_WRITE, wi[0].kind);
	EXPECT_EQ(8, wi[0].len);
	EXPECT_EQ(self->t.var, wi[0].addr);
	EXPECT_EQ(2, wi[0].threads);	/* main thread and helper */
	EXPECT_EQ(RACEWATCH_WATCH_NO_FOLLOW, wi[0].flags);
	EXPECT_EQ(5, wi[0].hits);
	EXPECT_EQ((__u32)b, wi[1].id);
	EXPECT_EQ(RACEWATCH_KIND_RW, wi[1].kind);
	EXPECT_EQ(2, wi[1].len);
	EXPECT_EQ(self->t.var + 4, wi[1].addr);
	EXPECT_EQ(0, wi[1].flags);
	EXPECT_EQ(0, wi[1].hits);
	EXPECT_EQ(2, wi[1].threads);
	/* without RACEWATCH_LIST_ALL: the entries older callers know */
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, wi[i].type);
		EXPECT_EQ(0, wi[i].processes);
		EXPECT_EQ(0, wi[i].ino);
		EXPECT_EQ(0, wi[i].reserved);
	}
	/* with it: typed, one process each */
	memset(wi, 0xcc, sizeof(wi));
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.count = 4;
	l.flags = RACEWATCH_LIST_ALL;
	l.watches = (__u64)(unsigned long)wi;
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	EXPECT_EQ(2, l.count);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(RACEWATCH_WATCH_TYPE_PID, wi[i].type);
		EXPECT_EQ(1, wi[i].processes);
		EXPECT_EQ(0, wi[i].ino);
		EXPECT_EQ(0, wi[i].reserved);
	}
	EXPECT_EQ(5, wi[0].hits);

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	EXPECT_EQ(EINVAL, errno);
	l.reserved = 0;
	l.reserved32 = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	EXPECT_EQ(EINVAL, errno);
	l.reserved32 = 0;
	l.flags = 2;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	EXPECT_EQ(EINVAL, errno);
	l.flags = 0;
	l.count = 2;
	l.watches = 8;	/* unmapped */
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_LIST, &l));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, stats_count_records_reads_and_threads)
{
	struct racewatch_stats st;
	char buf[8192];
	unsigned int i;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 7));
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(sizeof(st), st.size);
	EXPECT_EQ(1, st.watches);
	EXPECT_EQ(7, st.records);
	EXPECT_EQ(0, st.dropped);
	EXPECT_EQ(0, st.read);
	EXPECT_EQ(2, st.armed_threads);
	EXPECT_EQ(0, st.arm_failures);
	EXPECT_EQ(0, st.file_watches);
	EXPECT_EQ(0, st.file_processes);
	EXPECT_EQ(0, st.file_threads);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, st.reserved[i]);

	EXPECT_LT(0, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(7, st.read);

	st.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, RACEWATCH_IOC_GET_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, read_needs_room_for_the_largest_record)
{
	char buf[sizeof(struct racewatch_access) + RACEWATCH_MAX_STACK * 8];

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_HARNESS_MAIN
