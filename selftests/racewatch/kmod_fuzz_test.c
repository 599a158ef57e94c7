// SPDX-License-Identifier: GPL-2.0
/*
 * Abuse of /dev/racewatch's ioctls: 100 000+ calls with random commands,
 * sizes, pointers (NULL, kernel, unmapped, valid), flags, kinds, lengths,
 * addresses, ids and pids. Every call must return, every failure must carry
 * an errno from the documented set, the module's view of the watches must
 * match ours at every check, and nothing may be left over at the end.
 * The seed is printed; RACEWATCH_FUZZ_SEED=N reproduces a run.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/racewatch.h>

#include "kselftest_harness.h"

#define FUZZ_CALLS	100000
#define MAX_LIVE	256
#define MAX_LIVE_EXE	4	/* executable watches held at once (the module allows 32) */

static volatile long fuzz_target_var[4];

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t pick(const uint64_t *v, int n)
{
	return v[rnd() % n];
}

static int errno_documented(int e)
{
	switch (e) {
	case EINVAL: case EFAULT: case ENOTTY: case ESRCH: case EPERM:
	case ENOSPC: case EMFILE: case ENOENT:
		return 1;
	}
	return 0;
}

/* Where this test program's own executable puts fuzz_target_var, for WATCH_EXE. */
struct self_exe {
	struct stat sb;
	__u64 bias;		/* load bias */
	__u64 anchor_offset;	/* first PT_LOAD, page-aligned */
	__u64 anchor_vaddr;
};

static int self_exe_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct self_exe *se = ctx;

	se->bias = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_LOAD) {
			se->anchor_offset = info->dlpi_phdr[i].p_offset & ~4095ull;
			se->anchor_vaddr = info->dlpi_phdr[i].p_vaddr & ~4095ull;
			break;
		}
	}
	return 1;	/* the main program is the first object: stop */
}

FIXTURE(fuzz) {
	int fd;
	pid_t child;
	void *unmapped;
	__u32 live[MAX_LIVE];
	int nr_live;
	__u32 live_exe[MAX_LIVE_EXE];
	int nr_live_exe;
	struct self_exe se;
};

FIXTURE_SETUP(fuzz)
{
	const char *seed = getenv("RACEWATCH_FUZZ_SEED");

	self->fd = open("/dev/racewatch", O_RDWR | O_NONBLOCK);
	if (self->fd < 0)
		SKIP(return, "/dev/racewatch: %s (racewatch.ko not loaded)", strerror(errno));
	rng_state = seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 1;
	TH_LOG("seed %llu", (unsigned long long)rng_state);

	/* A target that sits still while its global is watched. */
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		for (;;)
			pause();
	}
	/* An address range that is certainly not mapped. */
	self->unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->unmapped);
	munmap(self->unmapped, 4096);
	self->nr_live = 0;
	self->nr_live_exe = 0;
	ASSERT_EQ(0, stat("/proc/self/exe", &self->se.sb));
	dl_iterate_phdr(self_exe_cb, &self->se);
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->fd < 0)
		return;
	kill(self->child, SIGKILL);
	waitpid(self->child, NULL, 0);
	close(self->fd);
}

/* A struct racewatch_watch that is valid, or valid but for one random field. */
static void make_watch(struct racewatch_watch *w, pid_t child, int perturb)
{
	static const uint64_t lens[] = { 1, 2, 4, 8, 0, 3, 16, 0xffffffff };
	static const uint64_t kinds[] = { RACEWATCH_KIND_RW, RACEWATCH_KIND_WRITE, 0, 3, ~0u };

	memset(w, 0, sizeof(*w));
	w->size = sizeof(*w);
	w->pid = (rnd() & 1) ? (__u32)child : (__u32)getpid();
	w->kind = (rnd() & 1) ? RACEWATCH_KIND_RW : RACEWATCH_KIND_WRITE;
	w->len = 1u << (rnd() % 4);
	w->addr = ((uintptr_t)&fuzz_target_var[rnd() % 4]) & ~((uint64_t)w->len - 1);
	if (rnd() & 1)
		w->flags = RACEWATCH_WATCH_NO_FOLLOW;
	if (!perturb)
		return;
	switch (rnd() % 10) {
	case 0: w->size = rnd() % 128; break;
	case 1: w->flags = rnd(); break;
	case 2: w->kind = pick(kinds, 5); break;
	case 3: w->len = pick(lens, 8); break;
	case 4: w->addr |= 1 + rnd() % 7; break;
	case 5: w->addr = 0xffffffff81000000ull + (rnd() & 0xff8); break;
	case 6: w->pid = (rnd() & 1) ? 0x3fffffff : (rnd() % 5 ? 1 : 0); break;
	case 7: w->reserved[rnd() % 3] = rnd() | 1; break;
	case 8: w->id = rnd(); w->threads = rnd(); break; /* out fields: ignored on input */
	case 9: w->addr = rnd(); break;
	}
}

/*
 * A struct racewatch_watch_exe on this program's own fuzz_target_var (this
 * process and the child run it), valid or valid but for one random field.
 */
static void make_watch_exe(struct racewatch_watch_exe *w, const struct self_exe *se, pid_t child,
			   int perturb)
{
	memset(w, 0, sizeof(*w));
	w->size = sizeof(*w);
	w->dev = se->sb.st_dev;
	w->ino = se->sb.st_ino;
	w->len = 1u << (rnd() % 4);
	w->vaddr = ((uintptr_t)&fuzz_target_var[rnd() % 4] - se->bias) & ~((uint64_t)w->len - 1);
	w->anchor_offset = se->anchor_offset;
	w->anchor_vaddr = se->anchor_vaddr;
	w->kind = (rnd() & 1) ? RACEWATCH_KIND_RW : RACEWATCH_KIND_WRITE;
	w->pid = pick((const uint64_t[]){ 0, (__u32)child, (__u32)getpid() }, 3);
	if (rnd() & 1)
		w->flags = RACEWATCH_WATCH_EXE_NOTIFY;
	if (!perturb)
		return;
	switch (rnd() % 10) {
	case 0: w->size = rnd() % 128; break;
	case 1: w->flags = rnd(); break;
	case 2: w->kind = rnd() % 5; break;
	case 3: w->len = rnd() % 17; break;
	case 4: w->vaddr = rnd(); break;
	case 5: w->anchor_offset = rnd(); break;
	case 6: w->anchor_vaddr = rnd() & ~4095ull; break;	/* armed nowhere, or at random */
	case 7: w->reserved[rnd() % 2] = rnd() | 1; break;
	case 8: w->dev = rnd(); w->ino = rnd() % 3; break;
	case 9: w->pid = (rnd() & 1) ? 0x3fffffff : 1; break;
	}
}

static void *pick_pointer(struct _test_data_fuzz *self, void *valid)
{
	switch (rnd() % 8) {
	case 0: return NULL;
	case 1: return (void *)0xffffffff81000000ull;
	case 2: return self->unmapped;
	case 3: return (void *)(uintptr_t)rnd();
	default: return valid;
	}
}

static unsigned long pick_cmd(void)
{
	static const unsigned long cmds[] = {
		RACEWATCH_IOC_GET_INFO, RACEWATCH_IOC_WATCH, RACEWATCH_IOC_UNWATCH,
		RACEWATCH_IOC_LIST, RACEWATCH_IOC_GET_STATS, RACEWATCH_IOC_WATCH_EXE,
	};
	unsigned long c = cmds[rnd() % 6];

	switch (rnd() % 8) {
	case 0: /* a random command, sometimes in our magic */
		c = rnd() & 0xffffffff;
		if (rnd() & 1)
			c = (c & ~0xff00ul) | (RACEWATCH_IOC_MAGIC << 8);
		break;
	case 1: /* our command number with another size or direction */
		c ^= (rnd() % 0x3fff) << 16;
		break;
	}
	return c;
}

static void forget_live(struct _test_data_fuzz *self, __u32 id)
{
	for (int i = 0; i < self->nr_live; i++) {
		if (self->live[i] == id) {
			self->live[i] = self->live[--self->nr_live];
			return;
		}
	}
	for (int i = 0; i < self->nr_live_exe; i++) {
		if (self->live_exe[i] == id) {
			self->live_exe[i] = self->live_exe[--self->nr_live_exe];
			return;
		}
	}
}

static __u32 session_watches(int fd)
{
	struct racewatch_stats st;

	memset(&st, 0xcc, sizeof(st));
	st.size = sizeof(st);
	if (ioctl(fd, RACEWATCH_IOC_GET_STATS, &st))
		return ~0u;
	return st.watches;
}

static __u32 session_file_watches(int fd)
{
	struct racewatch_stats st;

	memset(&st, 0xcc, sizeof(st));
	st.size = sizeof(st);
	if (ioctl(fd, RACEWATCH_IOC_GET_STATS, &st))
		return ~0u;
	return st.file_watches;
}

TEST_F_TIMEOUT(fuzz, random_ioctls_return_documented_errnos_and_leak_nothing, 600)
{
	union {
		struct racewatch_watch w;
		struct racewatch_watch_exe x;
		struct racewatch_unwatch u;
		struct racewatch_list l;
		struct racewatch_info i;
		struct racewatch_stats s;
		unsigned char raw[256];
	} arg;
	/* LIST_ALL may list up to 7 watches + MAX_LIVE_EXE; count asks for up to 9 */
	struct racewatch_watch_info infos[16];
	long ok = 0, failed = 0;
	int bad_errno = 0;

	/* The 6.1 harness runs the body even after a SKIP in the setup. */
	if (self->fd < 0)
		SKIP(return, "no /dev/racewatch");
	for (long n = 0; n < FUZZ_CALLS; n++) {
		unsigned long cmd = pick_cmd();
		void *p = &arg;
		int ret, e;

		memset(&arg, 0, sizeof(arg));
		switch (cmd) {
		case RACEWATCH_IOC_WATCH:
			make_watch(&arg.w, self->child, rnd() % 3 == 0);
			break;
		case RACEWATCH_IOC_WATCH_EXE:
			make_watch_exe(&arg.x, &self->se, self->child, rnd() % 3 == 0);
			break;
		case RACEWATCH_IOC_UNWATCH:
			arg.u.size = (rnd() % 8) ? sizeof(arg.u) : rnd() % 64;
			arg.u.id = (self->nr_live && rnd() % 3) ? self->live[rnd() % self->nr_live]
								: (__u32)rnd() % 512;
			if (self->nr_live_exe && rnd() % 4 == 0)
				arg.u.id = self->live_exe[rnd() % self->nr_live_exe];
			if (rnd() % 16 == 0)
				arg.u.reserved[0] = 1;
			break;
		case RACEWATCH_IOC_LIST:
			arg.l.size = (rnd() % 8) ? sizeof(arg.l) : rnd() % 64;
			arg.l.count = rnd() % 10;
			arg.l.watches = (uintptr_t)pick_pointer(self, infos);
			arg.l.flags = rnd() % 8 ? RACEWATCH_LIST_ALL * (rnd() & 1) : rnd();
			break;
		case RACEWATCH_IOC_GET_INFO:
		case RACEWATCH_IOC_GET_STATS:
			arg.i.size = (rnd() % 8) ? (cmd == RACEWATCH_IOC_GET_INFO ? sizeof(arg.i)
										   : sizeof(arg.s))
						 : rnd() % 256;
			break;
		default:
			for (size_t k = 0; k < sizeof(arg.raw); k++)
				arg.raw[k] = rnd();
			break;
		}
		if (rnd() % 6 == 0)
			p = pick_pointer(self, &arg);

		ret = ioctl(self->fd, cmd, p);
		e = errno;
		if (ret == 0) {
			ok++;
			if (cmd == RACEWATCH_IOC_WATCH && p == &arg) {
				ASSERT_LT(self->nr_live, MAX_LIVE);
				self->live[self->nr_live++] = arg.w.id;
			} else if (cmd == RACEWATCH_IOC_WATCH_EXE && p == &arg) {
				ASSERT_LT(self->nr_live_exe, MAX_LIVE_EXE);
				self->live_exe[self->nr_live_exe++] = arg.x.id;
			} else if (cmd == RACEWATCH_IOC_UNWATCH && p == &arg) {
				forget_live(self, arg.u.id);
			}
		} else {
			failed++;
			if (!errno_documented(e) && bad_errno++ < 10)
				TH_LOG("call %ld: cmd 0x%lx -> undocumented errno %d (%s)", n, cmd, e,
				       strerror(e));
		}
		/* The same for WATCH_EXE; its watches also take debug registers. */
		if (self->nr_live_exe >= MAX_LIVE_EXE) {
			__u32 id = self->live_exe[rnd() % self->nr_live_exe];
			struct racewatch_unwatch u = { .size = sizeof(u), .id = id };

			ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_UNWATCH, &u));
			forget_live(self, id);
		}
		/* Keep the watch count low so WATCH keeps being tried for real. */
		if (self->nr_live > 6) {
			__u32 id = self->live[rnd() % self->nr_live];
			struct racewatch_unwatch u = { .size = sizeof(u), .id = id };

			ASSERT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_UNWATCH, &u));
			forget_live(self, id);
		}
		if (n % 4096 == 0) {
			ASSERT_EQ((__u32)self->nr_live, session_watches(self->fd));
			ASSERT_EQ((__u32)self->nr_live_exe, session_file_watches(self->fd));
		}
	}
	TH_LOG("%ld calls succeeded, %ld failed", ok, failed);
	EXPECT_EQ(0, bad_errno);
	EXPECT_LT(0, ok);
	EXPECT_LT(0, failed);

	/* Nothing leaks: drop what we hold; the session must be empty. */
	EXPECT_EQ((__u32)self->nr_live, session_watches(self->fd));
	EXPECT_EQ((__u32)self->nr_live_exe, session_file_watches(self->fd));
	while (self->nr_live) {
		struct racewatch_unwatch u = { .size = sizeof(u), .id = self->live[0] };

		EXPECT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_UNWATCH, &u));
		forget_live(self, self->live[0]);
	}
	while (self->nr_live_exe) {
		struct racewatch_unwatch u = { .size = sizeof(u), .id = self->live_exe[0] };

		EXPECT_EQ(0, ioctl(self->fd, RACEWATCH_IOC_UNWATCH, &u));
		forget_live(self, self->live_exe[0]);
	}
	EXPECT_EQ(0, session_watches(self->fd));
	EXPECT_EQ(0, session_file_watches(self->fd));
}

TEST_HARNESS_MAIN
