// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, and a KNOWN LIMIT: a std::atomic<bool> flag stored
 * with memory_order_release and loaded with memory_order_acquire publishes
 * a plain payload. Both flag accesses are plain movs on x86-64, invisible
 * to racewatch, so the payload looks unordered. Watch: -w message.
 * Correct verdict: no race.
 */
#include <atomic>
#include <cstdio>
#include <thread>

long message;
static std::atomic<bool> ready{false};

static __attribute__((noinline)) void send(long v)
{
	message = v;
	ready.store(true, std::memory_order_release);
}

static __attribute__((noinline)) long wait_message()
{
	while (!ready.load(std::memory_order_acquire))
		std::this_thread::yield();
	return message;
}

int main()
{
	long got = 0;
	std::thread t([&got] { got = wait_message(); });

	send(99);
	t.join();
	std::printf("message %ld\n", got);
	return got == 99 ? 0 : 1;
}
