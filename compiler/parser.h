/* compiler/parser.h: recursive-descent parser of one .actor file. */
#ifndef ACTRC_PARSER_H
#define ACTRC_PARSER_H

#include "ast.h"

/* Parses f into a module (never NULL). Syntax errors go to dg; the
 * parser recovers at the next field, member or declaration, so one run
 * reports several of them. The tree is partial where errors were. */
module *parse_module(srcfile *f, diag *dg, arena *ar);

#endif
