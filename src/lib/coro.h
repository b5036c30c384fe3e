/*
 * Coroutines on their own stacks (ucontext, like QEMU's coroutine
 * backend): a task runs until it yields and resumes where it left off,
 * so code that waits can be written straight while one thread runs many
 * such tasks.  Single-threaded; nothing here knows what a task does.
 */
#ifndef KC_CORO_H
#define KC_CORO_H

#include <stddef.h>

#include "kc_err.h"

struct coro;

/*
 * A coroutine that will run fn(arg) on a stack of stack_size bytes
 * (rounded up to pages, with a guard page below it).
 */
int	coro_new(size_t stack_size, void (*fn)(void *), void *arg,
	    struct coro **) KC_MUSTCHECK;
/* Runs co until it yields or returns; 1 when fn has returned. */
int	coro_resume(struct coro *);
/* From inside a coroutine: back to whoever resumed it. */
void	coro_yield(void);
/* The running coroutine, NULL outside of one. */
struct coro *coro_self(void);
/* Frees a coroutine that has returned or was never resumed. */
void	coro_free(struct coro *);

#endif
