/* actr/actr.h: the whole public API of libactr. */
#ifndef ACTR_ACTR_H
#define ACTR_ACTR_H

#include "api.h"
#include "err.h"
#include "types.h"
#include "time.h"
#include "error.h"
#include "env.h"
#include "log.h"
#include "scope.h"
#include "task.h"
#include "chan.h"
#include "sync.h"
#include "codec.h"
#include "module.h"
#include "wire.h"
#include "ipc.h"
#include "auth.h"
#include "actor.h"
#include "portal.h"
#include "ctx.h"
#include "discovery.h"
#include "supervise.h"
#include "service.h"
#include "cache.h"
#include "broadcast.h"
#include "cluster.h"
#include "debug.h"

#endif
