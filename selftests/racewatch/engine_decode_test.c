// SPDX-License-Identifier: GPL-2.0
/*
 * The engine on real code: accesses whose ips point into progs/engine_target
 * (built -O0 PIE and -O2 non-PIE), with a maps snapshot that maps it the way
 * the loader would. The decoder reads the instructions from the file, the
 * symbolizer its symbols and line table. The test finds its own ips from
 * the ELF file: the end of the instruction that addresses a global
 * rip-relative (the displacement is relative to that end).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "engine_util.h"

#define ENGINE_TARGET_INC_LINE		30	/* counter++ in racy_inc() */
#define ENGINE_TARGET_CALL_LINE		55	/* racy_inc() call in worker() */

#define PIE_BASE	0x555555554000ULL
#define T1		4241u
#define T2		4242u

struct target {
	char path[PATH_MAX];
	int fd;
	Elf *elf;
	__u64 base;
	char maps[4096];
};

static int target_maps(struct target *t)
{
	struct stat st;
	size_t i, n, len = 0;

	if (fstat(t->fd, &st) || elf_getphdrnum(t->elf, &n))
		return -1;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		__u64 start, end;

		if (!gelf_getphdr(t->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		start = t->base + (ph.p_vaddr & ~0xfffULL);
		end = t->base + ((ph.p_vaddr + ph.p_memsz + 0xfff) & ~0xfffULL);
		len += snprintf(t->maps + len, sizeof(t->maps) - len,
				"%llx-%llx %c%c%cp %08llx 08:01 %llu                      %s\n",
				(unsigned long long)start, (unsigned long long)end,
				ph.p_flags & PF_R ? 'r' : '-', ph.p_flags & PF_W ? 'w' : '-',
				ph.p_flags & PF_X ? 'x' : '-',
				(unsigned long long)(ph.p_offset & ~0xfffULL),
				(unsigned long long)st.st_ino, t->path);
	}
	return len ? 0 : -1;
}

static int target_open(struct target *t, const char *name)
{
	char dir[PATH_MAX - 64];
	GElf_Ehdr eh;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (self_dir(dir, sizeof(dir)))
		return -1;
	if (strlen(name) > 48)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/progs/%.48s", dir, name);
	t->fd = open(t->path, O_RDONLY);
	if (t->fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	t->elf = elf_begin(t->fd, ELF_C_READ, NULL);
	if (!t->elf || !gelf_getehdr(t->elf, &eh))
		return -1;
	t->base = eh.e_type == ET_DYN ? PIE_BASE : 0;
	return target_maps(t);
}

/*
 * A copy of @t whose .symtab no longer is one (its type made PROGBITS): no
 * function symbol covers its code, as in a stripped binary.
 */
static int target_open_stripped(struct target *t, const struct target *orig)
{
	char buf[65536];
	Elf_Scn *scn = NULL;
	ssize_t n;
	int in, err = -1;
	GElf_Ehdr eh;

	memset(t, 0, sizeof(*t));
	strcpy(t->path, "/tmp/rw_engine_stripped.XXXXXX");
	t->fd = mkstemp(t->path);
	in = open(orig->path, O_RDONLY);
	if (t->fd < 0 || in < 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(t->fd, buf, n) != n)
			goto out;
	t->elf = elf_begin(t->fd, ELF_C_RDWR, NULL);
	if (!t->elf)
		goto out;
	while ((scn = elf_nextscn(t->elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		sh.sh_type = SHT_PROGBITS;
		gelf_update_shdr(scn, &sh);
		elf_flagshdr(scn, ELF_C_SET, ELF_F_DIRTY);
	}
	elf_flagelf(t->elf, ELF_C_SET, ELF_F_LAYOUT);
	if (elf_update(t->elf, ELF_C_WRITE) < 0 || !gelf_getehdr(t->elf, &eh))
		goto out;
	t->base = orig->base;
	err = target_maps(t);
out:
	if (in >= 0)
		close(in);
	return err;
}

static void target_close(struct target *t)
{
	if (t->elf)
		elf_end(t->elf);
	if (t->fd >= 0)
		close(t->fd);
}

/* Link-time address and size of symbol @name from .symtab. */
static int target_sym(struct target *t, const char *name, __u64 *addr, __u64 *size)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(t->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, i, &s))
				continue;
			n = elf_strptr(t->elf, sh.sh_link, s.st_name);
			if (n && !strcmp(n, name) && s.st_shndx != SHN_UNDEF) {
				*addr = s.st_value;
				*size = s.st_size;
				return 0;
			}
		}
	}
	return -1;
}

/* The file bytes of [vaddr, vaddr + len) */
static const __u8 *target_code(struct target *t, __u64 vaddr, __u64 len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(t->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		if (vaddr < sh.sh_addr || vaddr + len > sh.sh_addr + sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		return d ? (const __u8 *)d->d_buf + (vaddr - sh.sh_addr) : NULL;
	}
	return NULL;
}

/*
 * Run-time end of the last instruction in @fn that addresses @var
 * rip-relative; *@imm gets the immediate bytes after its displacement.
 */
static __u64 target_ripref_end(struct target *t, const char *fn, const char *var, int *imm)
{
	static const int imms[] = { 0, 1, 4 };
	__u64 fa, fs, va, vs, found = 0;
	const __u8 *code;
	__u64 p;

	if (target_sym(t, fn, &fa, &fs) || target_sym(t, var, &va, &vs))
		return 0;
	code = target_code(t, fa, fs);
	if (!code)
		return 0;
	for (p = 0; p + 4 <= fs; p++) {
		__s32 disp;
		size_t k;

		memcpy(&disp, code + p, 4);
		for (k = 0; k < 3; k++) {
			__u64 end = fa + p + 4 + imms[k];

			if (end + (__s64)disp == va && end <= fa + fs) {
				found = end;
				*imm = imms[k];
			}
		}
	}
	return found ? t->base + found : 0;
}

/* Run-time return address of the call from @fn to @callee. */
static __u64 target_call_ret(struct target *t, const char *fn, const char *callee)
{
	__u64 fa, fs, ca, cs, p;
	const __u8 *code;

	if (target_sym(t, fn, &fa, &fs) || target_sym(t, callee, &ca, &cs))
		return 0;
	code = target_code(t, fa, fs);
	for (p = 0; code && p + 5 <= fs; p++) {
		__s32 rel;

		memcpy(&rel, code + p + 1, 4);
		if (code[p] == 0xe8 && fa + p + 5 + (__s64)rel == ca)
			return t->base + fa + p + 5;
	}
	return 0;
}

static __u64 target_var(struct target *t, const char *var)
{
	__u64 a, s;

	return target_sym(t, var, &a, &s) ? 0 : t->base + a;
}

FIXTURE(dec) {
	struct target t;
	struct stream s;
	struct collected c;
	struct rw_engine_stats st;
	char *out;
};

FIXTURE_VARIANT(dec) {
	const char *prog;
};

FIXTURE_VARIANT_ADD(dec, pie_O0) {
	.prog = "engine_target",
};

FIXTURE_VARIANT_ADD(dec, nopie_O2) {
	.prog = "engine_target-O2",
};

FIXTURE_SETUP(dec)
{
	memset(&self->c, 0, sizeof(self->c));
	self->out = NULL;
	ASSERT_EQ(0, target_open(&self->t, variant->prog)) {
		TH_LOG("cannot read %s", self->t.path);
	}
	ASSERT_EQ(0, stream_open(&self->s));
	stream_maps(&self->s, ST_PID, self->t.maps);
	stream_create(&self->s, ST_PID, T1);
	stream_create(&self->s, ST_PID, T2);
}

FIXTURE_TEARDOWN(dec)
{
	collected_free(&self->c);
	free(self->out);
	stream_remove(&self->s);
	target_close(&self->t);
}

/* Two unordered accesses to @var, by T1 in @fn1 and T2 in @fn2. */
static void two_accesses(struct __test_metadata *_metadata, FIXTURE_DATA(dec) *self,
			 const char *var, const char *fn1, const char *fn2, int times)
{
	__u64 addr = target_var(&self->t, var);
	int imm, i;
	__u64 ip1 = target_ripref_end(&self->t, fn1, var, &imm);
	__u64 ip2 = target_ripref_end(&self->t, fn2, var, &imm);

	ASSERT_NE(0ULL, addr);
	ASSERT_NE(0ULL, ip1);
	ASSERT_NE(0ULL, ip2);
	stream_watch(&self->s, 1, addr, 8, var);
	for (i = 0; i < times; i++) {
		stream_access_pid(&self->s, ST_PID, T1, 1, addr, 1, ip1, 0, NULL);
		stream_access_pid(&self->s, ST_PID, T2, 1, addr, 1, ip2, 0, NULL);
	}
}

TEST_F(dec, lock_xadd_pair_is_not_a_race)
{
	two_accesses(_metadata, self, "atomic_counter", "atomic_xadd", "atomic_xadd", 2);
	ASSERT_EQ(0, stream_replay(&self->s, &self->c, &self->out, &self->st));
	EXPECT_EQ(4ULL, self->st.atomic_accesses);
	EXPECT_EQ(0ULL, self->st.undecoded);
}

TEST_F(dec, xchg_pair_is_not_a_race)
{
	two_accesses(_metadata, self, "flag", "atomic_xchg", "atomic_xchg", 2);
	ASSERT_EQ(0, stream_replay(&self->s, &self->c, &self->out, &self->st));
	EXPECT_EQ(4ULL, self->st.atomic_accesses);
}

TEST_F(dec, plain_store_races_with_atomic_rmw)
{
	two_accesses(_metadata, self, "atomic_counter", "atomic_xadd", "relaxed_store", 1);
	ASSERT_EQ(1, stream_replay(&self->s, &self->c, &self->out, &self->st));
	EXPECT_EQ(1ULL, self->st.atomic_accesses);
	EXPECT_NE(NULL, strstr(self->out, "Write at "));
	EXPECT_NE(NULL, strstr(self->out, "Previous atomic write at "));
	EXPECT_NE(NULL, strstr(self->out, "  #0 relaxed_store engine_target.c:"));
	EXPECT_NE(NULL, strstr(self->out, "  #0 atomic_xadd engine_target.c:"));
}

TEST_F(dec, plain_increments_race)
{
	two_accesses(_metadata, self, "counter", "racy_inc", "racy_inc", 3);
	ASSERT_EQ(1, stream_replay(&self->s, &self->c, &self->out, &self->st));
	EXPECT_EQ(0ULL, self->st.atomic_accesses);
	EXPECT_EQ(5ULL, self->st.race_events);
}

TEST_F(dec, store_reported_as_read_is_a_write)
{
	__u64 addr = target_var(&self->t, "counter");
	int imm;
	__u64 ip = target_ripref_end(&self->t, "racy_inc", "counter", &imm);

	ASSERT_NE(0ULL, ip);
	stream_watch(&self->s, 1, addr, 8, "counter");
	/* the module said "read" for the store (or add) of counter++ */
	stream_access_pid(&self->s, ST_PID, T1, 1, addr, 0, ip, 0, NULL);
	stream_access_pid(&self->s, ST_PID, T2, 1, addr, 0, ip, 0, NULL);
	ASSERT_EQ(1, stream_replay(&self->s, &self->c, &self->out, &self->st));
	EXPECT_EQ(2ULL, self->st.reclassified);
	EXPECT_NE(NULL, strstr(self->out, "Write at "));
	EXPECT_NE(NULL, strstr(self->out, "Previous write at "));
}

TEST_F(dec, load_stays_a_read)
{
	__u64 addr = target_var(&self->t, "counter");
	int imm;
	__u64 load = target_ripref_end(&self->t, "read_counter", "counter", &imm);

	ASSERT_NE(0ULL, load);
	stream_watch(&self->s, 1, addr, 8, "counter");
	stream_access_pid(&self->s, ST_PID, T1, 1, addr, 0, load, 0, NULL);
	stream_access_pid(&self->s, ST_PID, T2, 1, addr, 0, load, 0, NULL);
	ASSERT_EQ(0, stream_replay(&self->s, &self->c, &self->out, &self->st));
	EXPECT_EQ(0ULL, self->st.reclassified);
	EXPECT_EQ(0ULL, self->st.undecoded);
}

/* racy_inc's increment reached from worker(), with the caller on the stack. */
static void inc_from_worker(struct __test_metadata *_metadata, FIXTURE_DATA(dec) *self,
			    __u32 tid, __u64 lock)
{
	__u64 addr = target_var(&self->t, "counter");
	__u64 ret = target_call_ret(&self->t, "worker", "racy_inc");
	int imm;
	__u64 ip = target_ripref_end(&self->t, "racy_inc", "counter", &imm);

	ASSERT_NE(0ULL, ret);
	ASSERT_NE(0ULL, ip);
	if (lock)
		stream_sync(&self->s, tid, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, lock);
	stream_access_pid(&self->s, ST_PID, tid, 1, addr, 1, ip, 1, &ret);
}

TEST_F(dec, text_report_names_functions_and_lines)
{
	char want[256];
	int imm;
	__u64 ip = target_ripref_end(&self->t, "racy_inc", "counter", &imm);

	stream_watch(&self->s, 1, target_var(&self->t, "counter"), 8, "counter");
	inc_from_worker(_metadata, self, T1, 0);
	inc_from_worker(_metadata, self, T2, 0);
	ASSERT_EQ(1, stream_replay(&self->s, &self->c, &self->out, &self->st));
	/* frame 0 is the instruction's start: rex.w + opcode + modrm + disp32 + imm */
	snprintf(want, sizeof(want),
		 "  #0 racy_inc engine_target.c:%d (%s+0x%" PRIx64 ")\n"
		 "  #1 worker engine_target.c:%d (%s+0x",
		 ENGINE_TARGET_INC_LINE, variant->prog, (uint64_t)(ip - self->t.base - 7 - imm),
		 ENGINE_TARGET_CALL_LINE, variant->prog);
	EXPECT_NE(NULL, strstr(self->out, want)) {
		TH_LOG("want:\n%s\ngot:\n%s", want, self->out);
	}
	if (getenv("ENGINE_TEST_SHOW"))
		TH_LOG("report:\n%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "WARNING: DATA RACE\nWrite at "));
	EXPECT_NE(NULL, strstr(self->out, "racewatch: 1 data race reported "
			       "(counter: 2 threads, 1 location)\n"));
}

TEST_F(dec, json_report_has_the_same_facts)
{
	char want[128], *nl;

	stream_watch(&self->s, 1, target_var(&self->t, "counter"), 8, "counter");
	inc_from_worker(_metadata, self, T1, 0);
	inc_from_worker(_metadata, self, T2, 0);
	ASSERT_EQ(1, stream_replay_fmt(&self->s, &self->c, &self->out, &self->st,
				       RW_FORMAT_JSON));
	/* one object per line: the race, then the summary */
	nl = strchr(self->out, '\n');
	ASSERT_NE(NULL, nl);
	EXPECT_EQ(0, strncmp(self->out, "{\"type\":\"race\",\"id\":1,\"location\":"
			     "{\"name\":\"counter\",\"len\":8,", 55));
	EXPECT_EQ(0, strncmp(nl + 1, "{\"type\":\"summary\",\"races\":1,", 28));
	EXPECT_EQ(NULL, strchr(strchr(nl + 1, '\n') + 1, '\n'));
	snprintf(want, sizeof(want), "engine_target.c\",\"line\":%d,", ENGINE_TARGET_INC_LINE);
	EXPECT_NE(NULL, strstr(self->out, want));
	EXPECT_NE(NULL, strstr(self->out, "\"function\":\"racy_inc\",\"file\":\"/"));
	EXPECT_NE(NULL, strstr(self->out, "\"function\":\"worker\""));
	EXPECT_NE(NULL, strstr(self->out, "\"kind\":\"write\",\"atomic\":false,"));
	EXPECT_NE(NULL, strstr(self->out, "\"decoded\":\"forward\""));
	EXPECT_NE(NULL, strstr(self->out, "\"tid\":4242,"));
	EXPECT_NE(NULL, strstr(self->out, "\"tid\":4241,"));
	EXPECT_NE(NULL, strstr(self->out, "\"locks\":[]"));
}

TEST_F(dec, locks_are_named_by_their_symbols)
{
	__u64 a = target_var(&self->t, "lock_a"), b = target_var(&self->t, "lock_b");
	char want[256];

	stream_watch(&self->s, 1, target_var(&self->t, "counter"), 8, "counter");
	inc_from_worker(_metadata, self, T1, a);
	inc_from_worker(_metadata, self, T2, b);
	ASSERT_EQ(1, stream_replay(&self->s, &self->c, &self->out, &self->st));
	snprintf(want, sizeof(want), "Locks held: mutex lock_b (0x%llx) / mutex lock_a (0x%llx)\n",
		 (unsigned long long)b, (unsigned long long)a);
	EXPECT_NE(NULL, strstr(self->out, want)) {
		TH_LOG("want: %s\ngot:\n%s", want, self->out);
	}
}

/* Without a function symbol the decoder still finds the instruction, backwards. */
TEST_F(dec, stripped_code_is_decoded_backwards)
{
	struct target stripped;
	__u64 addr = target_var(&self->t, "atomic_counter");
	int imm;
	__u64 ip = target_ripref_end(&self->t, "atomic_xadd", "atomic_counter", &imm);
	__u64 store = target_ripref_end(&self->t, "relaxed_store", "atomic_counter", &imm);
	struct stream s;

	ASSERT_NE(0ULL, ip);
	ASSERT_NE(0ULL, store);
	ASSERT_EQ(0, target_open_stripped(&stripped, &self->t));
	ASSERT_EQ(0, stream_open(&s));
	stream_maps(&s, ST_PID, stripped.maps);
	stream_watch(&s, 1, addr, 8, "atomic_counter");
	stream_create(&s, ST_PID, T1);
	stream_create(&s, ST_PID, T2);
	stream_access_pid(&s, ST_PID, T1, 1, addr, 1, ip, 0, NULL);
	stream_access_pid(&s, ST_PID, T2, 1, addr, 1, ip, 0, NULL);
	/* a plain store races with them: the report shows how both were decoded */
	stream_access_pid(&s, ST_PID, T1, 1, addr, 1, store, 0, NULL);
	EXPECT_EQ(1, stream_replay_fmt(&s, &self->c, &self->out, &self->st, RW_FORMAT_JSON));
	EXPECT_EQ(2ULL, self->st.atomic_accesses);
	EXPECT_EQ(0ULL, self->st.undecoded);
	EXPECT_NE(NULL, strstr(self->out, "\"kind\":\"write\",\"atomic\":true,"));
	EXPECT_NE(NULL, strstr(self->out, "\"insn\":\"lock xadd qword ptr [rip + 0x"));
	EXPECT_NE(NULL, strstr(self->out, "\"decoded\":\"backward\""));
	EXPECT_EQ(NULL, strstr(self->out, "\"decoded\":\"forward\""));
	stream_remove(&s);
	unlink(stripped.path);
	target_close(&stripped);
}

/*
 * A race whose accesses both return to @ret (a code address of this test
 * process), symbolized with this process's own maps; the report in *@out.
 */
static int report_with_caller(__u64 ret, char **out)
{
	struct collected c = {};
	struct rw_engine_stats st;
	struct stream s;
	char *maps = NULL;
	size_t len = 0;
	FILE *f;
	int n;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -errno;
	n = getdelim(&maps, &len, '\0', f) > 0 ? 0 : -EIO;
	fclose(f);
	if (n || stream_open(&s)) {
		free(maps);
		return -EIO;
	}
	stream_maps(&s, ST_PID, maps);
	stream_watch(&s, 1, 0x1000, 8, "x");
	stream_create(&s, ST_PID, T1);
	stream_create(&s, ST_PID, T2);
	stream_access_pid(&s, ST_PID, T1, 1, 0x1000, 1, ST_IP(1), 1, &ret);
	stream_access_pid(&s, ST_PID, T2, 1, 0x1000, 1, ST_IP(2), 1, &ret);
	n = stream_replay(&s, &c, out, &st);
	if (getenv("ENGINE_TEST_SHOW"))
		fprintf(stderr, "report:\n%s", *out);
	free(maps);
	collected_free(&c);
	stream_remove(&s);
	return n;
}

/* Frames in a shared library: this test's own libc, from its own maps. */
TEST(shared_library_frames)
{
	char *out = NULL, want[64];

	ASSERT_EQ(1, report_with_caller((__u64)(unsigned long)&getppid + 1, &out));
	/* the function, source line if libc has debug info, libc and the offset there */
	EXPECT_NE(NULL, strstr(out, "  #1 getppid "));
	EXPECT_NE(NULL, strstr(out, " (libc.so.6+0x"));
	snprintf(want, sizeof(want), "  #0 ?? (0x%llx)\n", (unsigned long long)ST_IP(2) - 1);
	EXPECT_NE(NULL, strstr(out, want));
	free(out);
}

/* C++ functions are named as the source spells them: libstdc++'s std::terminate(). */
TEST(cxx_frames_are_demangled)
{
	void *fn = dlsym(RTLD_DEFAULT, "_ZSt9terminatev");
	char *out = NULL;

	ASSERT_NE(NULL, fn);
	ASSERT_EQ(1, report_with_caller((__u64)(unsigned long)fn + 1, &out));
	EXPECT_NE(NULL, strstr(out, "  #1 std::terminate() ")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "_ZSt9terminatev"));
	EXPECT_NE(NULL, strstr(out, " (libstdc++.so.6"));
	free(out);
}

TEST_HARNESS_MAIN
