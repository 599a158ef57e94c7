// SPDX-License-Identifier: GPL-2.0
/*
 * rw_elfsym__resolve() on a live process: progs/engine_target (PIE -O0 and
 * non-PIE -O2) prints where its globals really are, and the resolver must
 * find the same addresses from the outside, or fail with the documented
 * errno.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "engine_util.h"

FIXTURE(sym) {
	pid_t pid;
	int in;
	unsigned long long counter, pair, big, pisn;
};

FIXTURE_VARIANT(sym) {
	const char *prog;
};

FIXTURE_VARIANT_ADD(sym, pie_O0) {
	.prog = "engine_target",
};

FIXTURE_VARIANT_ADD(sym, nopie_O2) {
	.prog = "engine_target-O2",
};

FIXTURE_SETUP(sym)
{
	char dir[PATH_MAX - 64], path[PATH_MAX], line[256];
	int to[2], from[2];
	FILE *f;

	ASSERT_EQ(0, self_dir(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/progs/%s", dir, variant->prog);
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl(path, path, "wait", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	self->in = to[1];
	f = fdopen(from[0], "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f)) {
		TH_LOG("%s printed nothing", path);
	}
	fclose(f);
	ASSERT_EQ(4, sscanf(line, "counter=%llx pair=%llx big=%llx pisn=%llx", &self->counter,
			    &self->pair, &self->big, &self->pisn));
}

FIXTURE_TEARDOWN(sym)
{
	int status;

	close(self->in);
	waitpid(self->pid, &status, 0);
}

static int resolve(FIXTURE_DATA(sym) *self, const char *spec, __u64 *addr, __u32 *len)
{
	char *name = NULL;
	int err = rw_elfsym__resolve(self->pid, spec, addr, len, &name);

	free(name);
	return err;
}

TEST_F(sym, global_in_the_executable)
{
	char *name = NULL;
	__u64 addr = 0;
	__u32 len = 0;

	ASSERT_EQ(0, rw_elfsym__resolve(self->pid, "counter", &addr, &len, &name));
	EXPECT_EQ(self->counter, addr);
	EXPECT_EQ(8u, len);
	EXPECT_STREQ("counter", name);
	free(name);
}

TEST_F(sym, offset_and_length_name_a_field)
{
	char *name = NULL;
	__u64 addr = 0;
	__u32 len = 0;

	ASSERT_EQ(0, rw_elfsym__resolve(self->pid, "pair+4:2", &addr, &len, &name));
	EXPECT_EQ(self->pair + 4, addr);
	EXPECT_EQ(2u, len);
	EXPECT_STREQ("pair+4", name);
	free(name);
	/* without :LEN the rest of the symbol is the length */
	ASSERT_EQ(0, resolve(self, "pair+0x8", &addr, &len));
	EXPECT_EQ(self->pair + 8, addr);
	EXPECT_EQ(4u, len);
	ASSERT_EQ(0, resolve(self, "big+8", &addr, &len));
	EXPECT_EQ(self->big + 8, addr);
	EXPECT_EQ(8u, len);
}

TEST_F(sym, data_symbol_of_a_shared_library)
{
	__u64 addr = 0;
	__u32 len = 0;

	/* libc's, or the executable's copy of it (non-PIE copy relocation) */
	ASSERT_EQ(0, resolve(self, "program_invocation_short_name", &addr, &len));
	EXPECT_EQ(self->pisn, addr);
	EXPECT_EQ(8u, len);
}

TEST_F(sym, larger_than_a_watch_needs_a_length)
{
	__u64 addr;
	__u32 len;

	EXPECT_EQ(-E2BIG, resolve(self, "big", &addr, &len));
	EXPECT_EQ(-E2BIG, resolve(self, "pair", &addr, &len));
	EXPECT_EQ(-ERANGE, resolve(self, "pair+10:4", &addr, &len));
}

TEST_F(sym, unknown_symbol)
{
	__u64 addr;
	__u32 len;

	EXPECT_EQ(-ENOENT, resolve(self, "no_such_symbol_here", &addr, &len));
	EXPECT_EQ(-ENOENT, resolve(self, "racy_inc", &addr, &len));	/* a function */
}

TEST_F(sym, ambiguous_symbol)
{
	__u64 addr;
	__u32 len;

	/* a static variable of the executable and libc's stdout */
	EXPECT_EQ(-ENOTUNIQ, resolve(self, "_IO_2_1_stdout_", &addr, &len));
}

TEST_F(sym, bad_syntax)
{
	static const char *const bad[] = {
		"", "+4", "counter+", "counter:", "counter:3", "counter:16", "counter+x",
		"counter:4x", "9lives", "counter 4",
	};
	__u64 addr;
	__u32 len;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, resolve(self, bad[i], &addr, &len)) {
			TH_LOG("bad spec #%zu", i);
		}
	EXPECT_EQ(-EINVAL, resolve(self, "counter+2:4", &addr, &len));	/* misaligned */
}

TEST(no_such_process)
{
	__u64 addr;
	__u32 len;

	EXPECT_EQ(-ENOENT, rw_elfsym__resolve(0x7ffffff0, "counter", &addr, &len, NULL));
}

TEST_HARNESS_MAIN
