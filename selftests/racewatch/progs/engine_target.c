// SPDX-License-Identifier: GPL-2.0
/*
 * Target of the engine tests: real compiled accesses for the decoder and
 * the symbolizer (the tests read this binary's code and debug info; they
 * also run it to resolve symbols in a live process).
 *
 * The engine tests know the source lines marked "line N" below; keep them
 * where they are or update ENGINE_TARGET_*_LINE in engine_decode_test.c.
 *
 * "engine_target wait" prints its globals' addresses, waits for stdin's EOF.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

long counter;
long atomic_counter;
long flag;
struct { int a; int b; short c; short d; } pair;
char big[16];
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
/* libc exports a data symbol of this name too: resolving it is ambiguous */
static volatile long _IO_2_1_stdout_ = 1;

__attribute__((noinline)) void racy_inc(void)
{
	counter++;						/* line 30 */
}

__attribute__((noinline)) long atomic_xadd(void)
{
	return __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
}

__attribute__((noinline)) long atomic_xchg(void)
{
	return __atomic_exchange_n(&flag, 1, __ATOMIC_SEQ_CST);
}

__attribute__((noinline)) void relaxed_store(void)
{
	__atomic_store_n(&atomic_counter, 7, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	pthread_mutex_t *m = arg;
	int i;

	for (i = 0; i < 1000; i++) {
		pthread_mutex_lock(m);
		racy_inc();					/* line 55 */
		pthread_mutex_unlock(m);
		atomic_xadd();
		atomic_xchg();
	}
	relaxed_store();
	return NULL;
}

/* A function-local static: gcc names its symbol "hits.N". */
__attribute__((noinline)) long *count_hit(void)
{
	static long hits;

	hits++;
	return &hits;
}

int main(int argc, char **argv)
{
	pthread_t t1, t2;
	char buf[64];

	if (argc > 1 && !strcmp(argv[1], "wait")) {
		printf("counter=%p pair=%p big=%p pisn=%p hits=%p\n", (void *)&counter,
		       (void *)&pair, (void *)&big, (void *)&program_invocation_short_name,
		       (void *)count_hit());
		fflush(stdout);
		while (read(0, buf, sizeof(buf)) > 0)
			;
		return (int)_IO_2_1_stdout_ - 1;
	}
	pthread_create(&t1, NULL, worker, &lock_a);
	pthread_create(&t2, NULL, worker, &lock_b);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("counter=%ld atomic_counter=%ld\n", counter, atomic_counter);
	return 0;
}

/* A plain load of counter in every build (the engine tests decode it). */
__attribute__((noinline)) long read_counter(void)
{
	return counter;
}
