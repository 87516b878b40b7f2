/* runtime/actor/introspect.h: the `actr` namespace (introspect.c). */
#ifndef ACTR_ACTOR_INTROSPECT_H
#define ACTR_ACTOR_INTROSPECT_H

#include <actr/module.h>

/* The module served in the namespace `actr` by every actor: actr:info
 * (idl/actr_introspect.actor). Looking it up through this function also
 * links introspect.c, whose impl the module's weak reference alone would
 * not pull out of libactr.a. */
const actr_module *actri_introspect_module(void);

#endif
