// SPDX-License-Identifier: GPL-2.0
/*
 * user/lib/rotation on the host: which locations fit in a thread's debug
 * registers at once (a location of one process takes a place in that
 * process only, a shared-memory field one in every process), and which set
 * each rotation round arms (smallest share of watched time first, equal
 * shares in turn), so that over many rounds every location gets the same
 * share and the shares add up to the places there are.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "rotation.h"

#define MS	(1000ull * 1000)

static struct rw_rot_loc pid_loc(__u32 pid)
{
	return (struct rw_rot_loc){ .pid = pid };
}

static const struct rw_rot_loc file_loc = { .pid = 0 };

TEST(locations_of_one_process_fill_its_places)
{
	struct rw_rot_loc v[3] = { pid_loc(10), pid_loc(10), pid_loc(10) };

	EXPECT_TRUE(rw_rot__fits(v, 2, 2));
	EXPECT_FALSE(rw_rot__fits(v, 3, 2));
	EXPECT_TRUE(rw_rot__fits(v, 3, 4));
	/* a location that is gone takes no place */
	v[2].gone = true;
	EXPECT_TRUE(rw_rot__fits(v, 3, 2));
}

TEST(locations_of_different_processes_do_not_compete)
{
	struct rw_rot_loc v[4] = { pid_loc(10), pid_loc(10), pid_loc(11), pid_loc(11) };

	EXPECT_TRUE(rw_rot__fits(v, 4, 2));
	EXPECT_EQ(4, rw_rot__plan(v, 4, 0, 2));
}

TEST(a_shared_memory_field_takes_a_place_in_every_process)
{
	struct rw_rot_loc v[4] = { file_loc, pid_loc(10), pid_loc(11), file_loc };

	/* one field + one location per process: two places each */
	EXPECT_TRUE(rw_rot__fits(v, 3, 2));
	/* two fields + one location of process 10: three places there */
	EXPECT_FALSE(rw_rot__fits(v, 4, 2));
	EXPECT_TRUE(rw_rot__fits(v, 4, 3));
	/* two fields alone fill two places */
	v[1].gone = v[2].gone = true;
	EXPECT_TRUE(rw_rot__fits(v, 4, 2));
}

TEST(equal_shares_are_armed_in_turn_from_the_cursor)
{
	struct rw_rot_loc v[8];
	int i;

	for (i = 0; i < 8; i++)
		v[i] = pid_loc(10);
	EXPECT_EQ(2, rw_rot__plan(v, 8, 0, 2));
	EXPECT_TRUE(v[0].pick);
	EXPECT_TRUE(v[1].pick);
	EXPECT_EQ(0, v[0].rank);
	EXPECT_EQ(1, v[1].rank);
	EXPECT_EQ(2, rw_rot__plan(v, 8, 7, 2));
	EXPECT_TRUE(v[7].pick);
	EXPECT_TRUE(v[0].pick);
	EXPECT_FALSE(v[1].pick);
	EXPECT_EQ(0, v[7].rank);
	EXPECT_EQ(2, v[1].rank);
}

TEST(the_smallest_share_goes_first)
{
	struct rw_rot_loc v[4];
	int i;

	for (i = 0; i < 4; i++) {
		v[i] = file_loc;
		v[i].watched_ns = 1000 * MS;
		v[i].armed_ns = (4 - i) * 100 * MS;	/* 40%, 30%, 20%, 10% */
	}
	/* a location asked for later: 10 ms of 20 ms watched, 50% */
	v[0].armed_ns = 10 * MS;
	v[0].watched_ns = 20 * MS;
	EXPECT_EQ(2, rw_rot__plan(v, 4, 0, 2));
	EXPECT_FALSE(v[0].pick);
	EXPECT_FALSE(v[1].pick);
	EXPECT_TRUE(v[2].pick);
	EXPECT_TRUE(v[3].pick);
	EXPECT_EQ(0, v[3].rank);
	EXPECT_EQ(3, v[0].rank);
}

TEST(a_location_that_does_not_fit_is_passed_over_not_the_rest)
{
	/* process 10's two locations need their places; process 11's fits */
	struct rw_rot_loc v[3] = { pid_loc(10), pid_loc(10), pid_loc(11) };

	v[0].watched_ns = v[1].watched_ns = v[2].watched_ns = 100 * MS;
	v[2].armed_ns = 50 * MS;
	EXPECT_EQ(2, rw_rot__plan(v, 3, 0, 1));
	EXPECT_TRUE(v[0].pick);
	EXPECT_FALSE(v[1].pick);
	EXPECT_TRUE(v[2].pick);
}

TEST(gone_locations_are_never_picked)
{
	struct rw_rot_loc v[3] = { file_loc, file_loc, file_loc };

	v[0].gone = true;
	EXPECT_EQ(2, rw_rot__plan(v, 3, 0, 4));
	EXPECT_FALSE(v[0].pick);
	EXPECT_EQ(-1, v[0].rank);
	EXPECT_TRUE(v[1].pick && v[2].pick);
	EXPECT_EQ(0, rw_rot__plan(v, 0, 0, 4));
}

/*
 * Many rounds of a simulated session: eight locations (five shared-memory
 * fields, three locations of one process) on two places, 50 ms a round.
 * Every location ends with a quarter of the time, within one round's worth,
 * and the shares add up to the two places.
 */
TEST(shares_come_out_equal_and_add_up)
{
	struct rw_rot_loc v[8];
	const int rounds = 800;
	double share, sum = 0;
	int i, r, first = 0;

	for (i = 0; i < 8; i++)
		v[i] = i < 5 ? file_loc : pid_loc(10);
	for (r = 0; r < rounds; r++) {
		ASSERT_EQ(2, rw_rot__plan(v, 8, first, 2));
		for (i = 0; i < 8; i++) {
			v[i].watched_ns += 50 * MS;
			if (v[i].pick) {
				v[i].armed_ns += 50 * MS;
				first = (i + 1) % 8;
			}
		}
	}
	for (i = 0; i < 8; i++) {
		share = rw_rot__share(v[i].armed_ns, v[i].watched_ns);
		EXPECT_LE(0.25 - 1.0 / rounds, share) TH_LOG("location %d: %.4f", i, share);
		EXPECT_GE(0.25 + 1.0 / rounds, share) TH_LOG("location %d: %.4f", i, share);
		sum += share;
	}
	EXPECT_GE(1e-9, sum > 2 ? sum - 2 : 2 - sum) TH_LOG("sum %.6f", sum);
	EXPECT_EQ(0.0, rw_rot__share(5, 0));
}

TEST_HARNESS_MAIN
