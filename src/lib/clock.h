/*
 * The monotonic clock in milliseconds: timers, backoffs and deadlines
 * that a change of the wall clock must not move.
 */
#ifndef KC_CLOCK_H
#define KC_CLOCK_H

#include <stdint.h>

int64_t	kc_now_ms(void);

#endif
