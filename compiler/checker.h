/* compiler/checker.h: semantic checks and name resolution. */
#ifndef ACTRC_CHECKER_H
#define ACTRC_CHECKER_H

#include "ast.h"

/* Checks m, whose imports the driver has loaded (and checked) already:
 * names valid and unique, types defined, map keys strings, no struct
 * containing itself by value, module name = file base name, no two
 * generated C identifiers alike. Resolves type references, assigns C
 * names and collects the module's composite types. Errors go to dg. */
void check_module(module *m, diag *dg, arena *ar);

#endif
