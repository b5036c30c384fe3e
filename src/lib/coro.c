/*
 * Coroutines over makecontext/swapcontext; see coro.h.  Under
 * AddressSanitizer every switch is announced, so it follows the stacks
 * (its fiber interface), instead of taking a switch for an overflow.
 */
#include "coro.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif

struct coro {
	ucontext_t	  ctx;
	ucontext_t	  caller;
	void		(*fn)(void *);
	void		 *arg;
	void		 *map;		/* guard page + stack */
	size_t		  maplen;
	int		  done;
};

static struct coro *current;

#ifdef CORO_ASAN
/* The resumer's stack, for the announcement of a switch back. */
static const void	*caller_bottom;
static size_t		 caller_size;
#endif

static void
switch_to(ucontext_t *from, ucontext_t *to, const void *bottom, size_t size,
    int leaving)
{
#ifdef CORO_ASAN
	void	*fake = NULL;

	/* A coroutine that returned never comes back: no fake stack. */
	__sanitizer_start_switch_fiber(leaving ? NULL : &fake, bottom, size);
	swapcontext(from, to);
	__sanitizer_finish_switch_fiber(fake, &caller_bottom, &caller_size);
#else
	(void)bottom;
	(void)size;
	(void)leaving;
	swapcontext(from, to);
#endif
}

/* makecontext passes ints: the pointer travels in two halves. */
static void
trampoline(unsigned int hi, unsigned int lo)
{
	struct coro *co = (struct coro *)(((uintptr_t)hi << 32) |
	    (uintptr_t)lo);

#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(NULL, &caller_bottom, &caller_size);
#endif
	co->fn(co->arg);
	co->done = 1;
	current = NULL;
#ifdef CORO_ASAN
	switch_to(&co->ctx, &co->caller, caller_bottom, caller_size, 1);
#else
	switch_to(&co->ctx, &co->caller, NULL, 0, 1);
#endif
}

int
coro_new(size_t stack_size, void (*fn)(void *), void *arg, struct coro **out)
{
	struct coro	*co;
	size_t		 page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t	 p;

	*out = NULL;
	if ((co = calloc(1, sizeof(*co))) == NULL)
		return KC_ERR_NOMEM;
	stack_size = (stack_size + page - 1) / page * page;
	co->maplen = stack_size + page;
	/* Touched pages only count: a deep stack costs what it uses. */
	co->map = mmap(NULL, co->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (co->map == MAP_FAILED) {
		free(co);
		return KC_ERR_NOMEM;
	}
	/* Stacks grow down: an overflow hits the guard page and faults. */
	if (mprotect(co->map, page, PROT_NONE) != 0 ||
	    getcontext(&co->ctx) != 0) {
		munmap(co->map, co->maplen);
		free(co);
		return KC_ERR_INTERNAL;
	}
	co->fn = fn;
	co->arg = arg;
	co->ctx.uc_stack.ss_sp = (char *)co->map + page;
	co->ctx.uc_stack.ss_size = stack_size;
	co->ctx.uc_link = NULL;
	p = (uintptr_t)co;
	makecontext(&co->ctx, (void (*)(void))trampoline, 2,
	    (unsigned int)(p >> 32), (unsigned int)(p & 0xffffffffu));
	*out = co;
	return KC_OK;
}

int
coro_resume(struct coro *co)
{
	if (co->done)
		return 1;
	current = co;
	switch_to(&co->caller, &co->ctx, co->ctx.uc_stack.ss_sp,
	    co->ctx.uc_stack.ss_size, 0);
	current = NULL;
	return co->done;
}

void
coro_yield(void)
{
	struct coro *co = current;

	if (co == NULL)
		return;
	current = NULL;
#ifdef CORO_ASAN
	switch_to(&co->ctx, &co->caller, caller_bottom, caller_size, 0);
#else
	switch_to(&co->ctx, &co->caller, NULL, 0, 0);
#endif
	current = co;
}

struct coro *
coro_self(void)
{
	return current;
}

void
coro_free(struct coro *co)
{
	if (co == NULL)
		return;
	munmap(co->map, co->maplen);
	free(co);
}
