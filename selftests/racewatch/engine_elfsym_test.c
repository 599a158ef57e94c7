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
	unsigned long long counter, pair, big, pisn, hits;
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
	ASSERT_EQ(5, sscanf(line, "counter=%llx pair=%llx big=%llx pisn=%llx hits=%llx",
			    &self->counter, &self->pair, &self->big, &self->pisn, &self->hits));
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

TEST_F(sym, span_covers_a_whole_object)
{
	struct rw_span span;

	ASSERT_EQ(0, rw_elfsym__resolve_span(self->pid, "big", &span));
	EXPECT_EQ(self->big, span.addr);
	EXPECT_EQ(16u, span.size);
	EXPECT_STREQ("big", span.sym);
	EXPECT_EQ(0u, span.off);
	ASSERT_EQ(0, rw_elfsym__resolve_span(self->pid, "pair+2", &span));
	EXPECT_EQ(self->pair + 2, span.addr);
	EXPECT_EQ(10u, span.size);
	EXPECT_EQ(2u, span.off);
	/* a size one watch covers, and :LEN, give what rw_elfsym__resolve() gives */
	ASSERT_EQ(0, rw_elfsym__resolve_span(self->pid, "counter", &span));
	EXPECT_EQ(self->counter, span.addr);
	EXPECT_EQ(8u, span.size);
	ASSERT_EQ(0, rw_elfsym__resolve_span(self->pid, "pair+4:2", &span));
	EXPECT_EQ(2u, span.size);
	EXPECT_EQ(-ERANGE, rw_elfsym__resolve_span(self->pid, "pair+10:4", &span));
	EXPECT_EQ(-EINVAL, rw_elfsym__resolve_span(self->pid, "pair+12", &span));
	EXPECT_EQ(-ENOENT, rw_elfsym__resolve_span(self->pid, "no_such_symbol_here", &span));
}

TEST_F(sym, function_local_static)
{
	__u64 addr = 0;
	__u32 len = 0;

	/* gcc calls it hits.N; the plain name finds it when nothing else is called so */
	ASSERT_EQ(0, resolve(self, "hits", &addr, &len));
	EXPECT_EQ(self->hits, addr);
	EXPECT_EQ(8u, len);
	/* not a prefix match: "hit" is not "hits.N" */
	EXPECT_EQ(-ENOENT, resolve(self, "hit", &addr, &len));
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
		"counter:4x", "9lives", "counter 4", "::counter", "ns::", "ns:::x", "ns::9x",
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

/* C++ names, as written in the source, in a live g++-built process */
TEST(cxx_qualified_names)
{
	unsigned long long counter, depth, hits;
	char dir[PATH_MAX - 64], path[PATH_MAX], line[256];
	struct rw_span span;
	__u64 addr = 0;
	__u32 len = 0;
	int to[2], from[2], status;
	pid_t pid;
	FILE *f;

	ASSERT_EQ(0, self_dir(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/progs/engine_cxx_target", dir);
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	f = fdopen(from[0], "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	ASSERT_EQ(3, sscanf(line, "counter=%llx depth=%llx hits=%llx", &counter, &depth, &hits));

	EXPECT_EQ(0, rw_elfsym__resolve(pid, "ns::counter", &addr, &len, NULL));
	EXPECT_EQ(counter, addr);
	EXPECT_EQ(8u, len);
	EXPECT_EQ(0, rw_elfsym__resolve(pid, "ns::inner::depth:2", &addr, &len, NULL));
	EXPECT_EQ(depth, addr);
	EXPECT_EQ(2u, len);
	EXPECT_EQ(0, rw_elfsym__resolve(pid, "Stats::hits", &addr, &len, NULL));
	EXPECT_EQ(hits, addr);
	EXPECT_EQ(2u, len);
	ASSERT_EQ(0, rw_elfsym__resolve_span(pid, "Stats::hits", &span));
	EXPECT_STREQ("Stats::hits", span.sym);
	/* the innermost name alone, when only one object has it */
	EXPECT_EQ(0, rw_elfsym__resolve(pid, "depth", &addr, &len, NULL));
	EXPECT_EQ(depth, addr);
	/* a qualified name is exact: no loose match */
	EXPECT_EQ(-ENOENT, rw_elfsym__resolve(pid, "inner::counter", &addr, &len, NULL));
	close(to[1]);
	waitpid(pid, &status, 0);
}

TEST(span_parts)
{
	/* the fewest aligned watches: 8-aligned runs take 8, the edges what fits */
	EXPECT_EQ(8u, rw_span__next(0x1000, 16));
	EXPECT_EQ(4u, rw_span__next(0x1008, 4));
	EXPECT_EQ(2u, rw_span__next(0x1002, 10));
	EXPECT_EQ(4u, rw_span__next(0x1004, 8));
	EXPECT_EQ(1u, rw_span__next(0x1001, 8));
	EXPECT_EQ(2u, rw_span__next(0x1000, 3));
	EXPECT_EQ(1u, rw_span__next(0x1002, 1));
}

TEST(no_such_process)
{
	__u64 addr;
	__u32 len;

	EXPECT_EQ(-ENOENT, rw_elfsym__resolve(0x7ffffff0, "counter", &addr, &len, NULL));
}

TEST_HARNESS_MAIN
