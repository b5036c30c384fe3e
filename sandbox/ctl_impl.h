/*
 * The control state's inside, shared by the files of the control API
 * (ctl.c, ctl_stats.c) and no one else.
 */
#ifndef SBX_CTL_IMPL_H
#define SBX_CTL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

struct sbx_stat {
	uint32_t	requests;
	uint32_t	ok;		/* 2xx */
	uint32_t	client_errors;	/* 4xx but 429 */
	uint32_t	throttled;	/* 429 */
	uint32_t	server_errors;	/* 5xx */
	uint32_t	no_answer;	/* hang, reset */
	uint32_t	faulted;	/* a fault applied */
};

struct sbx_ctl {
	struct sbx_fault	 faults[SBX_FAULTS_MAX];
	size_t			 nfaults;
	int			 next_id;
	struct sbx_log_entry	*log;		/* ring of SBX_LOG_MAX */
	uint64_t		 logseq;	/* entries ever added */
	uint64_t		 logfirst;	/* seq of the oldest kept */
	struct sbx_stat		*stats;		/* nacc * nep */
	size_t			 nacc, nep;
};

#endif
