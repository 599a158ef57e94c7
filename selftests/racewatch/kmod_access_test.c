// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch.ko access records: what a watched process does is what the
 * records say. Each test drives progs/kmod_target (built -O0 with frame
 * pointers, and -O2 without) and compares: count, kind, thread, address,
 * instruction pointer, value, stack. Runs in the VM with the module loaded.
 */
#include <poll.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kmod_util.h"

static struct rw_recs recs;

FIXTURE(access) {
	int fd;
	struct kt t;
};

FIXTURE_VARIANT(access) {
	const char *prog;
	bool frame_pointers;
};

FIXTURE_VARIANT_ADD(access, O0) { .prog = "kmod_target", .frame_pointers = true };
FIXTURE_VARIANT_ADD(access, O2) { .prog = "kmod_target-O2", .frame_pointers = false };

FIXTURE_SETUP(access)
{
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	ASSERT_EQ(0, kt_start(&self->t, variant->prog, true));
}

FIXTURE_TEARDOWN(access)
{
	kt_kill(&self->t);
	if (self->fd >= 0)
		close(self->fd);
}

/* Emulated CPU (QEMU TCG or KVM): DMI says so. */
static bool under_qemu(void)
{
	char vendor[64] = "";
	FILE *f = fopen("/sys/class/dmi/id/sys_vendor", "r");

	if (f) {
		if (!fgets(vendor, sizeof(vendor), f))
			vendor[0] = '\0';
		fclose(f);
	}
	return strncmp(vendor, "QEMU", 4) == 0;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool in_range(__u64 ip, const unsigned long r[2])
{
	return ip >= r[0] && ip < r[1];
}

TEST_F(access, n_writes_give_exactly_n_write_records)
{
	const int n = 100;
	struct racewatch_access *a;
	__u64 t0, t1;
	pid_t tid;
	int id, i;

	id = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0);
	ASSERT_LT(0, id);
	t0 = now_ns();
	tid = kt_cmd(&self->t, 'w', n);
	t1 = now_ns();
	ASSERT_EQ(self->t.pid, tid);
	ASSERT_EQ(n, rw_drain(self->fd, &recs));

	for (i = 0; i < n; i++) {
		a = recs.r[i];
		EXPECT_EQ(RACEWATCH_REC_ACCESS, a->type);
		EXPECT_EQ(sizeof(*a) + a->nr_stack * 8, a->size);
		EXPECT_EQ(RACEWATCH_ACCESS_WRITE, a->access);
		EXPECT_EQ((__u32)self->t.pid, a->pid);
		EXPECT_EQ((__u32)tid, a->tid);
		EXPECT_EQ((__u32)id, a->watch_id);
		EXPECT_EQ(self->t.var, a->addr);
		EXPECT_EQ(8, a->len);
		EXPECT_TRUE(a->flags & RACEWATCH_ACCESS_F_VALUE_OK);
		EXPECT_EQ((__u64)i + 1, a->value);	/* kt_write stores 1..n */
		EXPECT_TRUE(in_range(a->regs.ip, self->t.write));
		EXPECT_EQ(recs.r[0]->seq + i, a->seq);
		EXPECT_EQ(0, strncmp(a->comm, "kmod_target", 11));
		EXPECT_NE(0, a->regs.sp);
		EXPECT_NE(0, a->regs.fsbase);
		EXPECT_LE(a->nr_stack, RACEWATCH_MAX_STACK);
		/* CLOCK_MONOTONIC, taken while the command ran. */
		EXPECT_LE(t0, a->time_ns);
		EXPECT_GE(t1, a->time_ns);
		if (i)
			EXPECT_LE(recs.r[i - 1]->time_ns, a->time_ns);
		EXPECT_GT(sysconf(_SC_NPROCESSORS_CONF), (long)a->cpu);
		if (variant->frame_pointers) {
			/* kt_write <- kt_dispatch <- main: the walk finds the callers. */
			ASSERT_LE(2, a->nr_stack);
			EXPECT_TRUE(in_range(a->stack[0], self->t.dispatch));
			EXPECT_FALSE(a->flags & RACEWATCH_ACCESS_F_STACK_TRUNC);
		}
		if (!_metadata->passed)	/* one bad record is enough to show */
			break;
	}
}

TEST_F(access, deep_stack_is_cut_at_max_stack)
{
	struct racewatch_access *a;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'd', RACEWATCH_MAX_STACK + 8));
	ASSERT_EQ(1, rw_drain(self->fd, &recs));
	a = recs.r[0];
	EXPECT_LE(a->nr_stack, RACEWATCH_MAX_STACK);
	EXPECT_EQ(sizeof(*a) + a->nr_stack * 8, a->size);
	if (!variant->frame_pointers)
		return;	/* without frame pointers the walk stops wherever rbp leads */
	EXPECT_EQ(RACEWATCH_MAX_STACK, a->nr_stack);
	EXPECT_TRUE(a->flags & RACEWATCH_ACCESS_F_STACK_TRUNC);
	/* The innermost entries are kt_deep's frames; none is in kt_dispatch. */
	EXPECT_FALSE(in_range(a->stack[0], self->t.dispatch));
	EXPECT_EQ(a->stack[1], a->stack[2]);	/* the same return site, again and again */
}

TEST_F(access, rw_watch_tells_reads_from_writes)
{
	pid_t tid;
	int i;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	tid = kt_cmd(&self->t, 'w', 10);
	ASSERT_LT(0, tid);
	ASSERT_LT(0, kt_cmd(&self->t, 'r', 7));
	ASSERT_EQ(17, rw_drain(self->fd, &recs));
	for (i = 0; i < 10; i++) {
		EXPECT_EQ(RACEWATCH_ACCESS_WRITE, recs.r[i]->access);
		EXPECT_TRUE(in_range(recs.r[i]->regs.ip, self->t.write));
	}
	for (i = 10; i < 17; i++) {
		EXPECT_EQ(RACEWATCH_ACCESS_READ, recs.r[i]->access);
		EXPECT_TRUE(in_range(recs.r[i]->regs.ip, self->t.read));
		EXPECT_EQ(10, recs.r[i]->value);	/* a read leaves the last write */
		EXPECT_EQ((__u32)tid, recs.r[i]->tid);
	}
	/* No access was folded away or doubled: sequence numbers are contiguous. */
	EXPECT_EQ(recs.r[0]->seq + 16, recs.r[16]->seq);
}

TEST_F(access, atomic_read_modify_write_is_one_write)
{
	int i;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 1));	/* var = 1 */
	ASSERT_LT(0, kt_cmd(&self->t, 'a', 20));
	ASSERT_LE(1, rw_drain(self->fd, &recs));
	if (recs.n == 1 && under_qemu())
		SKIP(return, "QEMU (TCG) reports no watchpoint hit for lock-prefixed RMW");
	ASSERT_EQ(21, recs.n);
	for (i = 1; i < 21; i++) {
		EXPECT_EQ(RACEWATCH_ACCESS_WRITE, recs.r[i]->access);
		EXPECT_TRUE(in_range(recs.r[i]->regs.ip, self->t.atomic));
		EXPECT_EQ((__u64)i + 1, recs.r[i]->value);
	}
}

TEST_F(access, write_watch_ignores_reads)
{
	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'r', 10));
	EXPECT_EQ(0, rw_drain(self->fd, &recs));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 1));
	EXPECT_EQ(1, rw_drain(self->fd, &recs));
}

TEST_F(access, narrow_watch_fires_only_for_accesses_touching_it)
{
	int i;

	/* Bytes 2..3 of the word: kt_narrow makes exactly 4 stores touching them. */
	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var + 2, 2, RACEWATCH_KIND_RW, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'n', 0));
	ASSERT_EQ(4, rw_drain(self->fd, &recs));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(RACEWATCH_ACCESS_WRITE, recs.r[i]->access);
		EXPECT_EQ(self->t.var + 2, recs.r[i]->addr);
		EXPECT_EQ(2, recs.r[i]->len);
		EXPECT_TRUE(in_range(recs.r[i]->regs.ip, self->t.narrow));
	}
	/* Values are the two watched bytes after each store (little endian). */
	EXPECT_EQ(0x0002, recs.r[0]->value);
	EXPECT_EQ(0x0302, recs.r[1]->value);
	EXPECT_EQ(0x0000, recs.r[2]->value);	/* kt_var = 7 */
	EXPECT_EQ(0x0000, recs.r[3]->value);	/* 32-bit 8 */

	/* A full-width read and write touch it too. */
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 1));
	ASSERT_LT(0, kt_cmd(&self->t, 'r', 1));
	ASSERT_EQ(2, rw_drain(self->fd, &recs));
	EXPECT_EQ(RACEWATCH_ACCESS_WRITE, recs.r[0]->access);
	EXPECT_EQ(RACEWATCH_ACCESS_READ, recs.r[1]->access);
}

TEST_F(access, one_byte_watch_at_offset_5)
{
	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var + 5, 1, RACEWATCH_KIND_WRITE, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'n', 0));
	/* The 32-bit store to bytes 4..7 and the 64-bit store. */
	EXPECT_EQ(2, rw_drain(self->fd, &recs));
}

TEST_F(access, every_existing_thread_is_armed)
{
	struct racewatch_watch w = rw_req(self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE,
					  RACEWATCH_WATCH_NO_FOLLOW);
	int i;

	ASSERT_NE(0, self->t.helper);
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_WATCH, &w));
	EXPECT_EQ(2, w.threads);
	ASSERT_EQ(self->t.helper, kt_cmd(&self->t, 'T', 3));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 2));
	ASSERT_EQ(5, rw_drain(self->fd, &recs));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ((__u32)self->t.helper, recs.r[i]->tid);
		EXPECT_EQ((__u32)self->t.pid, recs.r[i]->pid);
	}
	for (i = 3; i < 5; i++)
		EXPECT_EQ((__u32)self->t.pid, recs.r[i]->tid);
}

TEST_F(access, threads_created_later_are_armed)
{
	struct racewatch_watch_info wi;
	pid_t tid;
	int i;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	tid = kt_cmd(&self->t, 't', 5);
	ASSERT_LT(0, tid);
	ASSERT_NE(self->t.pid, tid);
	ASSERT_NE(self->t.helper, tid);
	ASSERT_EQ(5, rw_drain(self->fd, &recs));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ((__u32)tid, recs.r[i]->tid);
		EXPECT_EQ((__u32)self->t.pid, recs.r[i]->pid);
		EXPECT_EQ(RACEWATCH_ACCESS_WRITE, recs.r[i]->access);
		EXPECT_EQ((__u64)i + 1, recs.r[i]->value);
	}
	/* The thread is gone (joined): its inherited breakpoints went with it. */
	ASSERT_EQ(1, rw_list(self->fd, &wi, 1));
	EXPECT_EQ(2, wi.threads);

	/* A second generation works the same way. */
	tid = kt_cmd(&self->t, 't', 2);
	ASSERT_LT(0, tid);
	ASSERT_EQ(2, rw_drain(self->fd, &recs));
	EXPECT_EQ((__u32)tid, recs.r[1]->tid);
}

TEST_F(access, no_follow_leaves_later_threads_unarmed)
{
	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE,
			      RACEWATCH_WATCH_NO_FOLLOW));
	ASSERT_LT(0, kt_cmd(&self->t, 't', 5));
	EXPECT_EQ(0, rw_drain(self->fd, &recs));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 1));
	EXPECT_EQ(1, rw_drain(self->fd, &recs));
}

TEST_F(access, unwatch_stops_the_records)
{
	int id;

	id = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0);
	ASSERT_LT(0, id);
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 2));
	ASSERT_LT(0, kt_cmd(&self->t, 't', 2));
	ASSERT_EQ(4, rw_drain(self->fd, &recs));
	ASSERT_EQ(0, rw_unwatch(self->fd, id));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 2));
	ASSERT_LT(0, kt_cmd(&self->t, 'T', 2));
	ASSERT_LT(0, kt_cmd(&self->t, 't', 2));
	EXPECT_EQ(0, rw_drain(self->fd, &recs));
}

TEST_F(access, full_ring_drops_and_counts)
{
	struct racewatch_stats st;
	struct racewatch_info info;
	int n, i;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_GET_INFO, &info));
	if (info.ring_records > RW_MAX_RECS - 100)
		SKIP(return, "ring of %u records is larger than this test reads", info.ring_records);
	n = info.ring_records + 100;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', n));
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(info.ring_records, st.records);
	EXPECT_EQ(100, st.dropped);

	/* The first ring_records accesses are kept; a record after the gap shows it. */
	ASSERT_EQ((int)info.ring_records, rw_drain(self->fd, &recs));
	for (i = 1; i < (int)info.ring_records; i++)
		ASSERT_EQ(recs.r[0]->seq + i, recs.r[i]->seq);
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 1));
	ASSERT_EQ(1, rw_drain(self->fd, &recs));
	EXPECT_EQ((__u64)n, recs.r[0]->seq);	/* 0..n-1 used, 100 of them dropped */
}

TEST_F(access, poll_and_blocking_read_wake_up)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	char buf[4096];
	int flags;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* The target writes while we wait in poll(). */
	ASSERT_LT(0, fprintf(self->t.in, "w 1\n"));
	ASSERT_EQ(0, fflush(self->t.in));
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), self->t.out));
	ASSERT_EQ(1, rw_drain(self->fd, &recs));

	/* And while we sleep in a blocking read(). */
	flags = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags & ~O_NONBLOCK));
	ASSERT_LT(0, fprintf(self->t.in, "w 1\n"));
	ASSERT_EQ(0, fflush(self->t.in));
	ASSERT_LE((ssize_t)sizeof(struct racewatch_access), read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(RACEWATCH_REC_ACCESS, ((struct racewatch_access *)buf)->type);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), self->t.out));
}

TEST_HARNESS_MAIN
