# actr.mk: turns .actor files into generated C with correct dependencies,
# and hands the compiler and linker flags of actr to your Makefile.
# Include it after setting ACTR_SOURCES (docs/quickstart.md has a whole
# project):
#
#   ACTR_SOURCES := proto/ticker.actor proto/common.actor
#   include $(shell pkg-config --variable=actrmk actr)
#
#   prog: main.o $(ACTR_OBJS)
#           $(CC) $(LDFLAGS) $(ACTR_LDFLAGS) -o $@ $^ $(ACTR_LIBS)
#   main.o: | $(ACTR_GEN_H)          # your sources include generated headers
#
# Everything is found through pkg-config's actr package: an installed actr
# (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for a non-system PREFIX), or a
# source tree of actr after `make` (PKG_CONFIG_PATH=ACTR_TREE/build: its
# actr-uninstalled.pc points into the tree).
#
# Variables you may set (before the include; each default is computed once):
#   ACTR_SOURCES   the .actor files to compile (base names must be unique)
#   ACTRC          the compiler (default: pkg-config's actrc, else actrc
#                  on PATH)
#   ACTR_GEN_DIR   where generated files go (default: gen; may be outside
#                  the source tree, e.g. $(OUT)/gen)
#   ACTR_IDL_PATH  directories searched for imports, after the importing
#                  file's own directory (each becomes -I DIR)
#   ACTR_RUNTIME_IDL  actr's own .actor files (actr_self.actor...), for
#                  imports of them (default: pkg-config's idldir; -R DIR)
#   ACTR_CFLAGS    flags for compiling against actr (default: pkg-config
#                  --cflags actr)
#   ACTR_LIBS      what to link (default: pkg-config --libs actr, -lmsgpackc)
#   ACTR_LDFLAGS   link flags (default: -Wl,-rpath,<actr's libdir>, so the
#                  program finds libactr.so.0 in a non-system prefix without
#                  LD_LIBRARY_PATH)
# Defined for you:
#   ACTR_GEN_H, ACTR_GEN_C  the generated headers and sources
#   ACTR_OBJS               their objects, $(ACTR_GEN_DIR)/<name>.actor.o
#   CPPFLAGS                gains -I$(ACTR_GEN_DIR) and $(ACTR_CFLAGS), so
#                           make's built-in %.o: %.c rule finds actr/actr.h
#                           and the generated headers
#   actr-clean              removes $(ACTR_GEN_DIR)'s generated files
#
# actrc -M writes $(ACTR_GEN_DIR)/<name>.actor.d, listing every .actor file
# a module imports (directly or not), so editing an imported file
# regenerates its importers. actrc rewrites an output only when its text
# changes, so objects are not rebuilt for nothing.

# Including this file must not change the includer's default goal.
actr_saved_goal := $(.DEFAULT_GOAL)

# A default computed once, and only when the includer did not set it.
actr_default = $(if $(filter undefined,$(origin $(1))),$(eval $(1) := $(2)))
actr_pc = $(shell pkg-config $(1) actr 2>/dev/null)
actr_comma := ,

$(call actr_default,ACTRC,$(or $(call actr_pc,--variable=actrc),actrc))
$(call actr_default,ACTR_GEN_DIR,gen)
$(call actr_default,ACTR_IDL_PATH,)
$(call actr_default,ACTR_RUNTIME_IDL,$(call actr_pc,--variable=idldir))
$(call actr_default,ACTR_CFLAGS,$(call actr_pc,--cflags))
$(call actr_default,ACTR_LIBS,$(call actr_pc,--libs) -lmsgpackc)
$(call actr_default,ACTR_LDFLAGS,$(addprefix -Wl$(actr_comma)-rpath$(actr_comma),$(call actr_pc,--variable=libdir)))

CPPFLAGS += -I$(ACTR_GEN_DIR) $(ACTR_CFLAGS)

actr_names := $(basename $(notdir $(ACTR_SOURCES)))
ACTR_GEN_H := $(actr_names:%=$(ACTR_GEN_DIR)/%.actor.h)
ACTR_GEN_C := $(actr_names:%=$(ACTR_GEN_DIR)/%.actor.c)
ACTR_OBJS := $(ACTR_GEN_C:.c=.o)

vpath %.actor $(sort $(dir $(ACTR_SOURCES)))

# One actrc run makes both files (a grouped pattern rule).
$(ACTR_GEN_DIR)/%.actor.h $(ACTR_GEN_DIR)/%.actor.c: %.actor $(wildcard $(ACTRC))
	$(ACTRC) -M $(addprefix -I ,$(ACTR_IDL_PATH)) $(addprefix -R ,$(ACTR_RUNTIME_IDL)) \
	    -o $(ACTR_GEN_DIR) $<

# A module's .c includes the headers of its imports: all headers first.
# (The compiler's own dependency file is <name>.actor.o.d: <name>.actor.d
# is actrc's.)
$(ACTR_GEN_DIR)/%.actor.o: $(ACTR_GEN_DIR)/%.actor.c | $(ACTR_GEN_H)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -MF $@.d -c -o $@ $<

# Generated files are outputs, not intermediates make may delete.
.SECONDARY: $(ACTR_GEN_H) $(ACTR_GEN_C)

.PHONY: actr-clean
actr-clean:
	rm -f $(ACTR_GEN_H) $(ACTR_GEN_C) $(ACTR_OBJS) $(ACTR_GEN_DIR)/*.actor.d \
	    $(ACTR_OBJS:=.d)

-include $(wildcard $(ACTR_GEN_DIR)/*.actor.d $(ACTR_OBJS:=.d))

.DEFAULT_GOAL := $(actr_saved_goal)
