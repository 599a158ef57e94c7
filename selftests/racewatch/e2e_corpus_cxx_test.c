// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, in the VM: the verdict corpus, C++ programs and the known limits.
 * See e2e_corpus.h for how a case is run and judged.
 */
#include "e2e_corpus.h"

/* ---- racy ---------------------------------------------------------------------------------------- */

CORPUS(race_cxx_namespace_global, .prog = "corpus_cxx_race_names", .watch = "app::requests",
       RACY(1, "count_request"), .output = "(app::requests, 8 bytes)")
CORPUS(race_cxx_static_member, .prog = "corpus_cxx_race_names", .watch = "Stats::errors",
       RACY(1, "count_error"), .output = "(Stats::errors, 4 bytes)")
CORPUS(race_cxx_mangled_name, .prog = "corpus_cxx_race_names", .watch = "_ZN3app8requestsE",
       RACY(1, "count_request"), .output = "requests 2")

/* ---- race-free ----------------------------------------------------------------------------------- */

CORPUS(ok_cxx_mutex_guards, .prog = "corpus_cxx_ok_mutex", .watch = "ledger", CLEAN,
       .output = "ledger 120")
CORPUS(ok_cxx_shared_mutex, .prog = "corpus_cxx_ok_shared_mutex", .watch = "version", CLEAN,
       .output = "version 15")
CORPUS(ok_cxx_condition_variable, .prog = "corpus_cxx_ok_condvar", .watch = "produced", CLEAN,
       .output = "consumed 30")
CORPUS(ok_cxx_call_once, .prog = "corpus_cxx_ok_call_once", .watch = "answer", CLEAN,
       .output = "answer 42")
CORPUS(ok_cxx_thread_join, .prog = "corpus_cxx_ok_thread", .watch = "acc", CLEAN,
       .output = "acc 9")
CORPUS(ok_cxx_async_get, .prog = "corpus_cxx_ok_async", .watch = "computed", CLEAN,
       .output = "computed 55")
CORPUS(ok_cxx_future_get_blocks, .prog = "corpus_cxx_ok_future", .watch = "payload", CLEAN,
       .output = "payload 7")

/* ---- known limits (correct verdict: race-free) ------------------------------------------------- */

CORPUS(limit_c11_release_acquire_flag, .prog = "corpus_limit_c11_flag", .watch = "payload",
       RACY(1, "publish", "receive"), .output = "received 1234",
       .known_limit = "the flag's release store and acquire load are plain movs")
CORPUS(limit_cxx_atomic_bool_flag, .prog = "corpus_cxx_limit_atomic_flag", .watch = "message",
       RACY(1, "send", "wait_message"), .output = "message 99",
       .known_limit = "std::atomic<bool> release store / acquire load are plain movs")
CORPUS(limit_cxx_future_already_ready, .prog = "corpus_cxx_limit_ready_future",
       .watch = "payload", RACY(1, "produce", "main"), .output = "payload 7",
       .known_limit = "future::get() on a ready state is one acquire load (a plain mov)")

TEST_HARNESS_MAIN
