/* hilevel/svcmgr.h: what the service manager (service.c) shares with its
 * remote API (service_api.c). Private. */
#ifndef ACTR_HILEVEL_SVCMGR_H
#define ACTR_HILEVEL_SVCMGR_H

#include <actr/service.h>

/* Starts the service defined as name, its context opened with kwargs
 * (nil: the definition's), or finds it running; *out describes it.
 * ACTR_ENOTFOUND when it is neither running nor defined. */
int hl_svcmgr_start_defined(actr_service_mngr *m, const char *name, const actr_any *kwargs,
                         actr_service_info *out);

/* The module of the remote API, served while a manager is open. */
const actr_module *hl_svcmgr_module(void);

#endif
