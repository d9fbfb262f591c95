/*
 * Clocks; see clock.h.
 */
#include "clock.h"

#include <math.h>
#include <time.h>

static double seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Times people read are kept to the millisecond: printed exactly they
 * take 13 significant digits instead of 17, which a reply prints in one
 * try instead of three (lib/json.c).
 */
static double to_ms(double t)
{
	return nearbyint(t * 1000) / 1000;
}

double pz_clock_wall(void)
{
	return to_ms(seconds(CLOCK_REALTIME));
}

double pz_clock_mono(void)
{
	return seconds(CLOCK_MONOTONIC);
}
