// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: a 1-byte flag written by one thread and read by another with
 * nothing ordering them. Watch: -w ready. Expected: one read/write race
 * between reader() and writer().
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

unsigned char ready;

static __attribute__((noinline)) void *writer(void *arg)
{
	ready = 1;
	return NULL;
}

static __attribute__((noinline)) void *reader(void *arg)
{
	usleep(20000);		/* after the write, in time; still unordered */
	return (void *)(long)ready;
}

int main(void)
{
	pthread_t w, r;
	void *seen;

	pthread_create(&w, NULL, writer, NULL);
	pthread_create(&r, NULL, reader, NULL);
	pthread_join(w, NULL);
	pthread_join(r, &seen);
	printf("reader saw %ld\n", (long)seen);
	return 0;
}
