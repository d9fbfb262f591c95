/*
 * Clocks; see clock.h.
 */
#include "clock.h"

#include <time.h>

static double seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double pz_clock_wall(void)
{
	return seconds(CLOCK_REALTIME);
}

double pz_clock_mono(void)
{
	return seconds(CLOCK_MONOTONIC);
}

double pz_clock_mono_to_wall(double t)
{
	return pz_clock_wall() + (t - pz_clock_mono());
}
