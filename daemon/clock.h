/*
 * Clocks. Wall-clock time is for the timestamps people read (created,
 * started, finished); monotonic time is for deadlines, so that a step of
 * the wall clock neither reclaims nor immortalizes every running trial.
 */
#ifndef PZ_CLOCK_H
#define PZ_CLOCK_H

/* Unix time in seconds, to the millisecond. */
double pz_clock_wall(void);
/* Monotonic seconds since an arbitrary origin. */
double pz_clock_mono(void);

#endif
