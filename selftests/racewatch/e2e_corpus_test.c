// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, in the VM: the verdict corpus, racy C programs.
 * See e2e_corpus.h for how a case is run and judged.
 */
#include "e2e_corpus.h"

/* ---- racy -------------------------------------------------------------------------------------- */

CORPUS(race_1byte_read_write, .prog = "corpus_race_u8", .watch = "ready",
       RACY(1, "writer", "reader"), .output = "reader saw")
CORPUS(race_2byte_write_write, .prog = "corpus_race_u16", .watch = "level",
       RACY(1, "set_level"), .output = "level ")
CORPUS(race_4byte_read_write, .prog = "corpus_race_u32", .watch = "status",
       RACY(1, "monitor", "finish"), .output = "status 200")
CORPUS(race_8byte_lost_update, .prog = "corpus_race_u64", .watch = "total",
       RACY(1, "add"), .output = "total ")
CORPUS(race_struct_field_by_offset, .prog = "corpus_race_field", .watch = "cfg+12:4",
       RACY(1, "set_mode"), .output = "flags 0xff")
CORPUS(race_write_after_unlock, .prog = "corpus_race_unlock_early", .watch = "balance",
       RACY(2, "deposit"), .output = "balance ")
CORPUS(race_double_checked_flag, .prog = "corpus_race_dcl", .watch = "initialized",
       RACY(1, "get_table"), .output = "saw 3 3")
CORPUS(race_read_before_join, .prog = "corpus_race_nojoin", .watch = "result",
       RACY(1, "main", "compute"), .output = "result 42")
CORPUS(race_write_under_read_lock, .prog = "corpus_race_rdlock_write", .watch = "lookups",
       RACY(1, "lookup"), .output = "lookups ")
CORPUS(race_two_different_mutexes, .prog = "corpus_race_two_mutexes", .watch = "qlen",
       RACY(3, "push", "pop"), .output = "qlen ")
CORPUS(race_sem_posted_before_write, .prog = "corpus_race_sem_early", .watch = "item",
       RACY(1, "produce", "consume"), .output = "consumed 99")
CORPUS(race_same_barrier_phase, .prog = "corpus_race_barrier", .watch = "cell",
       RACY(1, "phase_two"), .output = "cell ")
CORPUS(race_sem_token_taken_before_write, .prog = "corpus_race_sem_extra_post", .watch = "job",
       RACY(1, "publish", "take"), .output = "job ")
CORPUS(race_struct_store_over_neighbour_fields, .prog = "corpus_fields", .args = "overlap",
       .watch = "fields", RACY(1, "left", "reset"), .output = "fields ")

TEST_HARNESS_MAIN
