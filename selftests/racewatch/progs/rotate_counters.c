// SPDX-License-Identifier: GPL-2.0
/*
 * Eight racy counters for the rotation test: THREADS threads bump each of
 * counter0..counter7 once per round, with nothing ordering them, and sleep a
 * millisecond between rounds, for the number of seconds given (default 3).
 * Eight RW locations need 16 debug registers per thread; x86 has four, so
 * racewatch must rotate them, and every counter still races.
 *
 *   rotate_counters [SECONDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define THREADS 3

long counter0, counter1, counter2, counter3; /* shared state, never locked */
long counter4, counter5, counter6, counter7;

static double seconds = 3;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct timespec pause = { 0, 1000 * 1000 };
	double end = now_s() + seconds;
	long rounds = 0;

	while (now_s() < end) {
		counter0++;
		counter1++;
		counter2++;
		counter3++;
		counter4++;
		counter5++;
		counter6++;
		counter7++;
		rounds++;
		nanosleep(&pause, NULL);
	}
	return (void *)rounds;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];
	long total = 0;
	void *r;

	if (argc > 1)
		seconds = atof(argv[1]);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], &r);
		total += (long)r;
	}
	printf("rounds %ld counters %ld %ld %ld %ld %ld %ld %ld %ld\n", total, counter0, counter1,
	       counter2, counter3, counter4, counter5, counter6, counter7);
	return 0;
}
