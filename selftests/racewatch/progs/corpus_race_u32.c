// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: a 4-byte status read by a monitor thread while a worker
 * thread sets it. Watch: -w status. Expected: one read/write race between
 * monitor() and finish().
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int status;

static __attribute__((noinline)) void finish(void)
{
	status = 200;
}

static void *worker(void *arg)
{
	usleep(20000);
	finish();
	return NULL;
}

static __attribute__((noinline)) int monitor(void)
{
	return status;
}

static void *watcher(void *arg)
{
	return (void *)(long)monitor();
}

int main(void)
{
	pthread_t w, m;
	void *seen;

	pthread_create(&m, NULL, watcher, NULL);
	pthread_create(&w, NULL, worker, NULL);
	pthread_join(w, NULL);
	pthread_join(m, &seen);
	printf("monitor saw %ld, status %d\n", (long)seen, status);
	return 0;
}
