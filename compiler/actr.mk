# actr.mk: turns .actor files into generated C with correct dependencies.
# Include it from your Makefile after setting ACTR_SOURCES:
#
#   ACTR_SOURCES := proto/ticker.actor proto/common.actor
#   include $(shell pkg-config --variable=actrmk actr)
#
#   prog: main.o $(ACTR_OBJS)
#           $(CC) -o $@ $^ $(shell pkg-config --libs actr)
#   main.o: | $(ACTR_GEN_H)          # your sources include generated headers
#
# Variables you may set (before the include):
#   ACTR_SOURCES   the .actor files to compile (base names must be unique)
#   ACTRC          the compiler (default: actrc, found on PATH)
#   ACTR_GEN_DIR   where generated files go (default: gen)
#   ACTR_IDL_PATH  directories searched for imports, after the importing
#                  file's own directory (each becomes -I DIR)
#   ACTR_CFLAGS    flags for compiling generated .c files (default:
#                  pkg-config --cflags actr); -I$(ACTR_GEN_DIR) is added
# Defined for you:
#   ACTR_GEN_H, ACTR_GEN_C  the generated headers and sources
#   ACTR_OBJS               their objects, $(ACTR_GEN_DIR)/<name>.actor.o
#   actr-clean              removes $(ACTR_GEN_DIR)'s generated files
#
# actrc -M writes $(ACTR_GEN_DIR)/<name>.actor.d, listing every .actor file
# a module imports (directly or not), so editing an imported file
# regenerates its importers. actrc rewrites an output only when its text
# changes, so objects are not rebuilt for nothing.

# Including this file must not change the includer's default goal.
actr_saved_goal := $(.DEFAULT_GOAL)

ACTRC ?= actrc
ACTR_GEN_DIR ?= gen
ACTR_IDL_PATH ?=
ACTR_CFLAGS ?= $(shell pkg-config --cflags actr 2>/dev/null)

actr_names := $(basename $(notdir $(ACTR_SOURCES)))
ACTR_GEN_H := $(actr_names:%=$(ACTR_GEN_DIR)/%.actor.h)
ACTR_GEN_C := $(actr_names:%=$(ACTR_GEN_DIR)/%.actor.c)
ACTR_OBJS := $(ACTR_GEN_C:.c=.o)

vpath %.actor $(sort $(dir $(ACTR_SOURCES)))

# One actrc run makes both files (a grouped pattern rule).
$(ACTR_GEN_DIR)/%.actor.h $(ACTR_GEN_DIR)/%.actor.c: %.actor $(wildcard $(ACTRC))
	$(ACTRC) -M $(addprefix -I ,$(ACTR_IDL_PATH)) -o $(ACTR_GEN_DIR) $<

# A module's .c includes the headers of its imports: all headers first.
# (The compiler's own dependency file is <name>.actor.o.d: <name>.actor.d
# is actrc's.)
$(ACTR_GEN_DIR)/%.actor.o: $(ACTR_GEN_DIR)/%.actor.c | $(ACTR_GEN_H)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(ACTR_CFLAGS) -I$(ACTR_GEN_DIR) \
	    -MMD -MP -MF $@.d -c -o $@ $<

# Generated files are outputs, not intermediates make may delete.
.SECONDARY: $(ACTR_GEN_H) $(ACTR_GEN_C)

.PHONY: actr-clean
actr-clean:
	rm -f $(ACTR_GEN_H) $(ACTR_GEN_C) $(ACTR_OBJS) $(ACTR_GEN_DIR)/*.actor.d \
	    $(ACTR_OBJS:=.d)

-include $(wildcard $(ACTR_GEN_DIR)/*.actor.d $(ACTR_OBJS:=.d))

.DEFAULT_GOAL := $(actr_saved_goal)
