// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, C++: readers under std::shared_lock, a writer under
 * std::unique_lock of one std::shared_mutex (and try_lock_shared retries).
 * Watch: -w version. Expected: no report, "version 15".
 */
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <thread>

long version;
static std::shared_mutex smu;

static void reader()
{
	long sum = 0;

	for (int i = 0; i < 15; i++) {
		if (i % 4 == 3) {
			while (!smu.try_lock_shared())
				std::this_thread::yield();
			sum += version;
			smu.unlock_shared();
		} else {
			std::shared_lock<std::shared_mutex> r(smu);
			sum += version;
		}
		std::this_thread::yield();
	}
	std::printf("reader sum %ld\n", sum >= 0 ? 0L : sum);
}

static void writer()
{
	for (int i = 0; i < 15; i++) {
		std::unique_lock<std::shared_mutex> w(smu);
		version++;
		w.unlock();
		std::this_thread::yield();
	}
}

int main()
{
	std::thread r1(reader), w(writer), r2(reader);

	r1.join();
	w.join();
	r2.join();
	std::printf("version %ld\n", version);
	return version == 15 ? 0 : 1;
}
