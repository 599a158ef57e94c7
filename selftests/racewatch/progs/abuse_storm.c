// SPDX-License-Identifier: GPL-2.0
/*
 * Trap storm target of kmod_storm_test: THREADS threads store to one watched
 * word as fast as they can and count their stores exactly, so the test can
 * compare the module's records and drops with the real number of traps.
 *
 *   abuse_storm THREADS SECONDS
 *
 * Prints "var ADDR" once every thread exists and waits at a barrier; on a
 * line "go" from stdin the threads store for SECONDS, then it prints
 * "stores N" (the sum over the threads) and exits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 256

volatile long storm_var __attribute__((aligned(8)));

static pthread_barrier_t start;
static double seconds;
static long stores[MAX_THREADS];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *storm(void *arg)
{
	long *mine = arg, n = 0;
	double end;
	int i;

	pthread_barrier_wait(&start);
	end = now_s() + seconds;
	do {
		for (i = 0; i < 64; i++)
			storm_var = ++n;	/* one store, one trap */
	} while (now_s() < end);
	*mine = n;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[MAX_THREADS];
	char line[16];
	long total = 0;
	int nr, i;

	if (argc != 3)
		return 2;
	nr = atoi(argv[1]);
	seconds = atof(argv[2]);
	if (nr < 1 || nr > MAX_THREADS)
		return 2;
	pthread_barrier_init(&start, NULL, nr + 1);
	for (i = 0; i < nr; i++)
		if (pthread_create(&t[i], NULL, storm, &stores[i]))
			return 1;
	printf("var %lx\n", (unsigned long)&storm_var);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) || strcmp(line, "go\n"))
		return 1;
	pthread_barrier_wait(&start);
	for (i = 0; i < nr; i++) {
		pthread_join(t[i], NULL);
		total += stores[i];
	}
	printf("stores %ld\n", total);
	return 0;
}
