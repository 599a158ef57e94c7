// SPDX-License-Identifier: GPL-2.0
/*
 * The racy counter in C++: std::thread workers increment a global. With the
 * argument "mutex" they take a std::mutex around the increment, with
 * "shared" a std::shared_mutex, with "cv" they hand the counter over through
 * a std::condition_variable; any other argument (or none) races.
 */
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

long counter;

static std::mutex mu;
static std::shared_mutex smu;
static std::condition_variable cv;
static int turn;

static void racy()
{
	for (int i = 0; i < 2; i++)
		counter = counter + 1;
}

static void locked()
{
	for (int i = 0; i < 2; i++) {
		std::lock_guard<std::mutex> g(mu);
		counter = counter + 1;
	}
}

static void shared_locked()
{
	for (int i = 0; i < 2; i++) {
		{
			std::shared_lock<std::shared_mutex> r(smu);
			(void)counter;
		}
		std::unique_lock<std::shared_mutex> w(smu);
		counter = counter + 1;
	}
}

/* The two threads take turns: 0, 1, 0, 1. */
static void handoff(int me)
{
	for (int i = 0; i < 2; i++) {
		std::unique_lock<std::mutex> g(mu);
		cv.wait(g, [me, i] { return turn == 2 * i + me; });
		counter = counter + 1;
		turn++;
		cv.notify_all();
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "racy";
	std::vector<std::thread> ts;

	for (int i = 0; i < 2; i++) {
		if (!strcmp(mode, "mutex"))
			ts.emplace_back(locked);
		else if (!strcmp(mode, "shared"))
			ts.emplace_back(shared_locked);
		else if (!strcmp(mode, "cv"))
			ts.emplace_back(handoff, 1 - i);
		else
			ts.emplace_back(racy);
	}
	for (auto &t : ts)
		t.join();
	std::cout << "Final Counter: " << counter << std::endl;
	return 0;
}
