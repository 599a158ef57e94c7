// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: a counting semaphore of "work available" tokens. The waiter
 * takes the first token (posted by starter(), which wrote nothing); a
 * second thread, let go by the waiter once it has its token, writes the
 * job and posts a second token the waiter never takes. The waiter's read
 * of the job is ordered after the first post only: it races with the
 * write, whichever comes first in time. Watch: -w job. Expected: a race between
 * publish() and take().
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

long job;
static sem_t tokens, got;

static __attribute__((noinline)) long take(void)
{
	sem_wait(&tokens);
	sem_post(&got);		/* tells the publisher it may go on; orders nothing back */
	usleep(20000);
	return job;
}

static __attribute__((noinline)) void publish(long v)
{
	job = v;
	sem_post(&tokens);
}

static void *waiter(void *arg)
{
	return (void *)take();
}

static void *starter(void *arg)
{
	usleep(20000);		/* the waiter is blocked in sem_wait by now, or soon */
	sem_post(&tokens);
	return NULL;
}

static void *publisher(void *arg)
{
	sem_wait(&got);		/* after the waiter took the first token */
	publish(5);
	return NULL;
}

int main(void)
{
	pthread_t w, s, p;
	void *v;

	sem_init(&tokens, 0, 0);
	sem_init(&got, 0, 0);
	pthread_create(&w, NULL, waiter, NULL);
	pthread_create(&s, NULL, starter, NULL);
	pthread_create(&p, NULL, publisher, NULL);
	pthread_join(w, &v);
	pthread_join(s, NULL);
	pthread_join(p, NULL);
	printf("job %ld\n", (long)v);
	sem_destroy(&tokens);
	sem_destroy(&got);
	return 0;
}
