// SPDX-License-Identifier: GPL-2.0
/*
 * A long-running "service" with a shared counter, for racewatch watch --exe:
 * two threads bump the global counter every millisecond for SECONDS.
 *
 *   service_counter racy SECONDS    no synchronization: a data race
 *   service_counter mutex SECONDS   every bump under one mutex: race-free
 *
 * Prints "started PID" when its threads run and "done" at the end. main does
 * not read the counter after joining: a service watched with --exe may be
 * traced only after its main thread entered pthread_join(), and a blocking
 * call entered before the tracing started is not seen (Documentation/shm.rst),
 * so that read would be a false race the test is not about.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long counter;	/* the watched global (.bss) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int use_mutex;
static double seconds;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct timespec pause = { 0, 1000 * 1000 };
	double end = now() + seconds;

	while (now() < end) {
		if (use_mutex)
			pthread_mutex_lock(&lock);
		counter++;
		if (use_mutex)
			pthread_mutex_unlock(&lock);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	int i;

	if (argc != 3 || (strcmp(argv[1], "racy") && strcmp(argv[1], "mutex"))) {
		fprintf(stderr, "usage: service_counter racy|mutex SECONDS\n");
		return 2;
	}
	use_mutex = !strcmp(argv[1], "mutex");
	seconds = atof(argv[2]);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	printf("started %d\n", (int)getpid());
	fflush(stdout);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("done\n");
	return 0;
}
