// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: hand-offs through a pipe. The producer thread writes
 * the message, then a byte into the pipe; the consumer reads the byte, then
 * the message, and answers through a second pipe before the next round.
 * Watch: -w message. Expected: no report, "message 5".
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long message;
static int to_consumer[2], to_producer[2];

static void *producer(void *arg)
{
	char b = 0;

	for (int i = 1; i <= 5; i++) {
		message = i;
		if (write(to_consumer[1], &b, 1) != 1 || read(to_producer[0], &b, 1) != 1)
			break;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	long last = 0;
	char b;

	for (int i = 1; i <= 5; i++) {
		if (read(to_consumer[0], &b, 1) != 1)
			break;
		last = message;
		if (write(to_producer[1], &b, 1) != 1)
			break;
	}
	return (void *)last;
}

int main(void)
{
	pthread_t p, c;
	void *v;

	if (pipe(to_consumer) || pipe(to_producer))
		return 1;
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, &v);
	printf("message %ld\n", (long)v);
	return (long)v == 5 ? 0 : 1;
}
