// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, racy: a counting semaphore of "work available" tokens. The waiter
 * takes the first token (posted by starter(), which wrote nothing); a
 * second thread writes the job and posts a second token the waiter never
 * takes. The waiter's read of the job is ordered after the first post
 * only: it races with the write. Watch: -w job. Expected: a race between
 * publish() and take().
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

long job;
static sem_t tokens;

static __attribute__((noinline)) long take(void)
{
	sem_wait(&tokens);
	usleep(60000);		/* slow to look: the second post happens meanwhile */
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
	usleep(20000);		/* the waiter is blocked in sem_wait by now */
	sem_post(&tokens);
	return NULL;
}

static void *publisher(void *arg)
{
	usleep(40000);		/* after the waiter got the first token */
	publish(5);
	return NULL;
}

int main(void)
{
	pthread_t w, s, p;
	void *v;

	sem_init(&tokens, 0, 0);
	pthread_create(&w, NULL, waiter, NULL);
	pthread_create(&s, NULL, starter, NULL);
	pthread_create(&p, NULL, publisher, NULL);
	pthread_join(w, &v);
	pthread_join(s, NULL);
	pthread_join(p, NULL);
	printf("job %ld\n", (long)v);
	sem_destroy(&tokens);
	return 0;
}
