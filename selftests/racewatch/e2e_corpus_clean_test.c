// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, in the VM: the verdict corpus, race-free C programs.
 * See e2e_corpus.h for how a case is run and judged.
 */
#include "e2e_corpus.h"

/* ---- race-free --------------------------------------------------------------------------------- */

CORPUS(ok_struct_field_under_mutex, .prog = "corpus_race_field", .watch = "cfg+8:4", CLEAN,
       .output = "flags 0xff")
CORPUS(ok_neighbour_fields_in_one_watch, .prog = "corpus_fields", .watch = "fields", CLEAN,
       .output = "fields 4 4 4 4")
CORPUS(ok_mutex, .prog = "corpus_ok_mutex", .watch = "total", CLEAN, .output = "total 90")
CORPUS(ok_mutex_recursive, .prog = "corpus_ok_mutex_kinds", .args = "recursive", .watch = "hits",
       CLEAN, .output = "hits 60")
CORPUS(ok_mutex_errorcheck, .prog = "corpus_ok_mutex_kinds", .args = "errorcheck",
       .watch = "hits", CLEAN, .output = "hits 60")
CORPUS(ok_mutex_adaptive, .prog = "corpus_ok_mutex_kinds", .args = "adaptive", .watch = "hits",
       CLEAN, .output = "hits 60")
CORPUS(ok_mutex_pshared, .prog = "corpus_ok_mutex_kinds", .args = "pshared", .watch = "hits",
       CLEAN, .output = "hits 60")
CORPUS(ok_mutex_in_heap_struct, .prog = "corpus_ok_mutex_kinds", .args = "heap",
       .watch = "hits", CLEAN, .output = "hits 60")
CORPUS(ok_mutex_robust, .prog = "corpus_ok_mutex_kinds", .args = "robust", .watch = "hits",
       CLEAN, .output = "hits 60")
CORPUS(ok_mutex_priority_inheritance, .prog = "corpus_ok_mutex_kinds", .args = "pi",
       .watch = "hits", CLEAN, .output = "hits 60")
CORPUS(ok_trylock_and_timedlock_loops, .prog = "corpus_ok_trylock", .watch = "count", CLEAN,
       .output = "count 60")
CORPUS(ok_rwlock_readers_and_writer, .prog = "corpus_ok_rwlock", .watch = "generation", CLEAN,
       .output = "generation 20")
CORPUS(ok_rwlock_timed_and_clock_variants, .prog = "corpus_ok_rwlock_timed", .watch = "entries",
       CLEAN, .output = "entries 40")
CORPUS(ok_spinlock, .prog = "corpus_ok_spin", .watch = "spins", CLEAN, .output = "spins 60")
CORPUS(ok_semaphore_ping_pong, .prog = "corpus_ok_sem", .watch = "baton", CLEAN,
       .output = "baton 40")
CORPUS(ok_barrier_phases, .prog = "corpus_ok_barrier", .watch = "cell", CLEAN,
       .output = "cell 11")
CORPUS(ok_pthread_once, .prog = "corpus_ok_once", .watch = "table_size", CLEAN,
       .output = "size 64")
CORPUS(ok_condvar_producer_consumer, .prog = "corpus_ok_condvar", .watch = "slot", CLEAN,
       .output = "sum 210")
CORPUS(ok_create_and_join_handoff, .prog = "corpus_ok_join", .watch = "shared", CLEAN,
       .output = "shared 10")
CORPUS(ok_tryjoin_timedjoin_and_create_chain, .prog = "corpus_ok_join_kinds", .watch = "result",
       CLEAN, .output = "result 7")
CORPUS(ok_c11_threads, .prog = "corpus_ok_c11_threads", .watch = "tally", CLEAN,
       .output = "tally 41")
CORPUS(ok_pipe_handoff, .prog = "corpus_ok_pipe", .watch = "message", CLEAN,
       .output = "message 5")
CORPUS(ok_fork_child_has_its_own_copy, .prog = "corpus_ok_fork", .watch = "value", CLEAN,
       .output = "parent 3 child 2")
CORPUS(ok_thread_local_copies, .prog = "corpus_ok_tls", .watch = "seed", CLEAN,
       .output = "threads agree: yes")
CORPUS(ok_atomic_rmw_counter, .prog = "corpus_ok_atomic_rmw", .watch = "events", CLEAN,
       .output = "events 160")

TEST_HARNESS_MAIN
