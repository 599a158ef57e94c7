// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: the same locked counter with each mutex kind, chosen by
 * argv[1]: "recursive" (locked twice, nested, by a helper), "errorcheck"
 * (a relock answers EDEADLK and must not count), "adaptive"
 * (PTHREAD_MUTEX_ADAPTIVE_NP), "pshared" (PTHREAD_PROCESS_SHARED in private
 * memory), "robust" (PTHREAD_MUTEX_ROBUST), "pi" (PTHREAD_PRIO_INHERIT,
 * locked through FUTEX_LOCK_PI when contended), "heap" (a default mutex
 * inside a malloc'd struct).
 * Watch: -w hits. Expected: no report, "hits 60".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 2
#define ROUNDS 30

int hits;

struct guard {
	int pad[5];
	pthread_mutex_t m;
};

static struct guard *g;
static int kind;

static __attribute__((noinline)) void bump(void)
{
	/* a recursive mutex is taken again by the code it protects */
	if (kind == PTHREAD_MUTEX_RECURSIVE)
		pthread_mutex_lock(&g->m);
	hits++;
	if (kind == PTHREAD_MUTEX_RECURSIVE)
		pthread_mutex_unlock(&g->m);
}

static void *worker(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&g->m);
		if (kind == PTHREAD_MUTEX_ERRORCHECK && pthread_mutex_lock(&g->m) != EDEADLK)
			abort();
		bump();
		pthread_mutex_unlock(&g->m);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "heap";
	pthread_mutexattr_t a;
	pthread_t t[THREADS];

	g = calloc(1, sizeof(*g));
	pthread_mutexattr_init(&a);
	if (!strcmp(mode, "recursive"))
		kind = PTHREAD_MUTEX_RECURSIVE;
	else if (!strcmp(mode, "errorcheck"))
		kind = PTHREAD_MUTEX_ERRORCHECK;
	else if (!strcmp(mode, "adaptive"))
		kind = PTHREAD_MUTEX_ADAPTIVE_NP;
	else
		kind = PTHREAD_MUTEX_DEFAULT;
	pthread_mutexattr_settype(&a, kind);
	if (!strcmp(mode, "pshared"))
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!strcmp(mode, "robust"))
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!strcmp(mode, "pi"))
		pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&g->m, &a);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("hits %d\n", hits);
	pthread_mutex_destroy(&g->m);
	free(g);
	return hits == THREADS * ROUNDS ? 0 : 1;
}
