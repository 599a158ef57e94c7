// SPDX-License-Identifier: GPL-2.0
/*
 * The detector at byte precision: a watch covers up to 8 bytes (a struct of
 * small fields, say), and two unordered accesses conflict only when they
 * touched a common byte. Accesses carry the bytes they touched (the engine
 * computes them from the decoded instruction, rw_insn__mask()), and the
 * decoder's mask is checked on real encodings.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "detector.h"
#include "decode.h"

#define PID	700u
#define T1	701u
#define T2	702u
#define ADDR	0x404040ULL

FIXTURE(bytes) {
	struct rw_det *d;
	struct rw_loc *loc;
	struct rw_thread *t1, *t2;
	int races;
};

static void count_race(void *ctx, struct rw_loc *loc, struct rw_access *cur,
		       struct rw_access *prev)
{
	(*(int *)ctx)++;
}

FIXTURE_SETUP(bytes)
{
	struct rw_det_opts o = { .race = count_race, .ctx = &self->races };
	struct rw_key k = { .kind = RW_KEY_PRIVATE, .id = PID, .off = ADDR };
	struct rw_sync_event ev = { .type = RW_REC_SYNC, .size = sizeof(ev), .pid = PID,
				    .tid = PID, .op = RW_OP_THREAD_CREATE,
				    .prim = RW_PRIM_THREAD };

	self->races = 0;
	self->d = rw_det__new(&o);
	ASSERT_NE(NULL, self->d);
	ev.arg = T1;
	ASSERT_EQ(0, rw_det__sync(self->d, &ev));
	ev.arg = T2;
	ASSERT_EQ(0, rw_det__sync(self->d, &ev));
	self->loc = rw_det__loc_get(self->d, &k, "pair", 8);
	ASSERT_NE(NULL, self->loc);
	self->t1 = rw_det__thread(self->d, PID, T1, 0, NULL);
	self->t2 = rw_det__thread(self->d, PID, T2, 0, NULL);
	ASSERT_NE(NULL, self->t1);
	ASSERT_NE(NULL, self->t2);
}

FIXTURE_TEARDOWN(bytes)
{
	rw_det__free(self->d);
}

static int touch(FIXTURE_DATA(bytes) *self, struct rw_thread *t, bool write, __u8 mask)
{
	struct rw_access *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return -1;
	a->refs = 1;
	a->write = write;
	a->mask = mask;
	a->len = 8;
	a->addr = ADDR;
	err = rw_det__access(self->d, t, self->loc, a);
	rw_access__put(a);
	return err;
}

TEST_F(bytes, different_fields_do_not_race)
{
	ASSERT_EQ(0, touch(self, self->t1, true, 0x0f));	/* pair.a, bytes 0-3 */
	ASSERT_EQ(0, touch(self, self->t2, true, 0xf0));	/* pair.b, bytes 4-7 */
	ASSERT_EQ(0, touch(self, self->t2, false, 0xf0));
	ASSERT_EQ(0, touch(self, self->t1, false, 0x01));
	EXPECT_EQ(0, self->races);
}

TEST_F(bytes, overlapping_bytes_race)
{
	ASSERT_EQ(0, touch(self, self->t1, true, 0x0f));
	ASSERT_EQ(0, touch(self, self->t2, false, 0x08));	/* byte 3 of pair.a */
	EXPECT_EQ(1, self->races);
}

TEST_F(bytes, unknown_bytes_are_every_byte)
{
	ASSERT_EQ(0, touch(self, self->t1, true, 0x80));
	ASSERT_EQ(0, touch(self, self->t2, true, 0));	/* operand address not known */
	EXPECT_EQ(1, self->races);
}

/* A narrow write does not supersede the other bytes' earlier write. */
TEST_F(bytes, partial_write_keeps_the_other_bytes_history)
{
	ASSERT_EQ(0, touch(self, self->t1, true, 0xff));	/* whole struct */
	ASSERT_EQ(0, touch(self, self->t1, true, 0x0f));	/* then pair.a only */
	ASSERT_EQ(0, touch(self, self->t2, false, 0xf0));	/* pair.b: the first write */
	EXPECT_EQ(1, self->races);
}

/* The decoder's byte mask, from the operand of the instruction. */
TEST(decoded_operand_gives_the_bytes)
{
	struct rw_insn in = { .how = RW_DECODE_FORWARD, .mem_how = RW_MEM_ABS,
			      .mem_size = 4, .mem_disp = ADDR + 4 };

	/* mov dword ptr [0x404044], eax on an 8-byte watch at 0x404040 */
	EXPECT_EQ(0xf0, rw_insn__mask(&in, 0x401000, ADDR, 8));
	/* [rip + disp]: the address is the trap ip (after the instruction) + disp */
	in.mem_how = RW_MEM_RIP;
	in.mem_size = 1;
	in.mem_disp = (__s64)(ADDR + 2) - 0x401000;
	EXPECT_EQ(0x04, rw_insn__mask(&in, 0x401000, ADDR, 8));
	/* an 8-byte store over a 4-byte watch at +4: the watch's 4 bytes */
	in.mem_how = RW_MEM_ABS;
	in.mem_size = 8;
	in.mem_disp = ADDR;
	EXPECT_EQ(0x0f, rw_insn__mask(&in, 0x401000, ADDR + 4, 4));
	/* registers needed, not decoded, or a miss: every byte */
	in.mem_how = RW_MEM_UNKNOWN;
	EXPECT_EQ(0xff, rw_insn__mask(&in, 0x401000, ADDR, 8));
	in.mem_how = RW_MEM_ABS;
	in.mem_disp = ADDR + 64;
	EXPECT_EQ(0x03, rw_insn__mask(&in, 0x401000, ADDR, 2));
	in.how = RW_DECODE_NONE;
	EXPECT_EQ(0xff, rw_insn__mask(&in, 0x401000, ADDR, 8));
}

TEST_HARNESS_MAIN
