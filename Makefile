# actr: the one Makefile.
#
#   make              build actrc, libactr, generated code, tests, examples
#   make check        build and run every Check suite     (SAN=1: ASan+UBSan)
#   make interop      the live interop suite against tractor (tests/interop)
#   make demo         build and run the main example
#   make bench        run the benchmarks (tests/bench/); results in BUILD/bench/
#   make bench-readme publish the last bench run: README table, tests/bench/results.*
#   make bench-peers  make bench with ZeroMQ and gRPC peers (= make bench PEERS=1)
#   make fuzz         run every fuzzer for FUZZ_SECONDS each, or FUZZ_RUNS executions
#                     (clang/libFuzzer)
#   make valgrind     run the unit suites under valgrind
#   make install      PREFIX=/usr/local DESTDIR=...; make uninstall; make clean
#   make deps         check (and as root, install) what the build needs
#                     (PEERS=1: and what the bench peers need)
#
# Sources are discovered, not listed: a .c under runtime/<layer>/ joins
# libactr, tests/<suite>/check_*.c is a Check suite, any other .c beside it
# is linked into that directory's suites, an .actor file anywhere in the
# tree is compiled by actrc into gen/ (base names are unique).
# V=1 shows the commands. CC, CXX, CFLAGS, CPPFLAGS and LDFLAGS from the
# environment or the command line are honoured (added after ours).

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

PREFIX ?= /usr/local
DESTDIR ?=
SAN ?= 0
V ?= 0
FUZZ_SECONDS ?= 60
# FUZZ_RUNS=N: run each fuzzer for N executions instead (FUZZ=word: only
# the fuzzers whose name contains it).
FUZZ_RUNS ?=
FUZZ ?=
TEST_TIMEOUT ?= 900

ifeq ($(V),0)
Q := @
say = @printf '  %-8s %s\n' '$(1)' '$(2)';
MAKEFLAGS += --no-print-directory
else
Q :=
say :=
endif

ifeq ($(SAN),1)
BUILD ?= build-san
OPT := -O1 -g
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
else
BUILD ?= build
OPT := -O2 -g
SANFLAGS :=
endif

# make's built-in defaults are cc and g++; the environment or the command
# line may choose others.
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CFLAGS_ALL := -std=c11 $(OPT) $(WARN) $(SANFLAGS) -MMD -MP $(EXTRA_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SANFLAGS) $(EXTRA_LDFLAGS) $(LDFLAGS)
INCLUDES := -Iruntime/include -Iruntime -Igen
# libactr's discovery on etcd (runtime/discovery/) speaks JSON with
# jansson, HTTP with libcurl and base64 with OpenSSL's libcrypto (those
# two are opened at run time: CURL_SONAME below).
SYS_LIBS = -lev -lmsgpackc -lsodium -lm $(JSON_LIBS) -ldl $(DW_LIBS)
# Evaluated once, on first use, i.e. after `deps` has installed pkg-config
# and the libraries (the $(eval) caches the answer).
once = $(eval $(1) := $$(shell $(2)))$($(1))
CHECK_CFLAGS = $(call once,CHECK_CFLAGS,pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(call once,CHECK_LIBS,pkg-config --libs check 2>/dev/null || echo -lcheck)
JSON_CFLAGS = $(call once,JSON_CFLAGS,pkg-config --cflags jansson 2>/dev/null)
JSON_LIBS = $(call once,JSON_LIBS,pkg-config --libs jansson 2>/dev/null || echo -ljansson)
CURL_CFLAGS = $(call once,CURL_CFLAGS,pkg-config --cflags libcurl 2>/dev/null)
# The etcd backend opens libcurl and libcrypto with dlopen when it first
# needs them (linked, libcurl's dependencies cost every actor ~4 ms at
# exec): their sonames, as the development symlinks name them.
soname_of = $(shell objdump -p "$$($(CC) -print-file-name=$(1))" 2>/dev/null | awk '/SONAME/ {print $$2}')
CURL_SONAME = $(call soname_of,libcurl.so)
CRYPTO_SONAME = $(call soname_of,libcrypto.so)
# elfutils' libdw (libdwfl): symbolized backtraces (runtime/core/backtrace.c)
DW_CFLAGS = $(call once,DW_CFLAGS,pkg-config --cflags libdw 2>/dev/null)
DW_LIBS = $(call once,DW_LIBS,pkg-config --libs libdw 2>/dev/null || echo -ldw -lelf)

# ---------------------------------------------------------------- deps
# The clang runtime (libFuzzer, sanitizers of clang) is the one of the
# installed clang (libclang-rt-<major>-dev), or Debian's default pair.
# etcd-server and etcd-client are for the tests of discovery on etcd,
# which start a private etcd (they skip, saying so, where it is missing).
# The check runs once per checkout (build/.deps-ok, shared by every
# configuration) and again only when this Makefile changes.
# gdb: debug mode (SEMANTICS S25) attaches it, and its tests drive it.
DEBIAN_PKGS := libev-dev libmsgpack-dev libjansson-dev libcurl4-openssl-dev libssl-dev libsodium-dev \
               libdw-dev gdb re2c check pkg-config valgrind clang gnuplot-nox iproute2 \
               etcd-server etcd-client
DEPS_STAMP := build/.deps-ok
# The bench peers (tests/bench/peers/: ZeroMQ, gRPC C++) only when asked
# for: make deps PEERS=1, make bench-peers. CI never installs them.
PEERS ?= 0
PEER_PKGS := libzmq3-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev \
             protobuf-compiler
ifeq ($(PEERS),1)
DEBIAN_PKGS += $(PEER_PKGS)
DEPS_STAMP := build/.deps-peers-ok
endif
clang_rt_pkg = v=$$(clang -dumpversion 2>/dev/null | cut -d. -f1); \
	if [ -n "$$v" ]; then echo libclang-rt-$$v-dev; else echo libclang-rt-dev; fi

.PHONY: deps
deps: $(DEPS_STAMP)

$(DEPS_STAMP): Makefile
	$(Q)missing=""; pkgs="$(DEBIAN_PKGS) $$($(clang_rt_pkg))"; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	    for p in $$pkgs; do \
	        dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	            || missing="$$missing $$p"; \
	    done; \
	else \
	    for h in ev.h msgpack.h check.h jansson.h curl/curl.h openssl/evp.h elfutils/libdwfl.h sodium.h \
	             $(if $(filter 1,$(PEERS)),zmq.h); do \
	        printf '#include <%s>\n' $$h | $(CC) -E -x c - >/dev/null 2>&1 \
	            || missing="$$missing $$h"; \
	    done; \
	    command -v re2c >/dev/null 2>&1 || missing="$$missing re2c"; \
	    command -v gdb >/dev/null 2>&1 || missing="$$missing gdb"; \
	fi; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        echo "deps: installing$$missing"; \
	        apt-get update -qq && \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs \
	            >/dev/null || exit 1; \
	    else \
	        echo "deps: missing$$missing"; \
	        echo "deps: run: sudo apt-get update && sudo apt-get install -y $$pkgs"; \
	        exit 1; \
	    fi; \
	fi; \
	mkdir -p $(@D) && touch $@

# ---------------------------------------------------------------- actrc
ACTRC := $(BUILD)/actrc
COMPILER_SRCS := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
COMPILER_OBJS := $(COMPILER_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/compiler/lexer.o
COMPILER_CFLAGS := -Icompiler -I$(BUILD)/src/compiler -D_POSIX_C_SOURCE=200809L

$(BUILD)/src/compiler/lexer.c: compiler/lexer.re | $(DEPS_STAMP)
	$(call say,RE2C,$@)mkdir -p $(@D)
	$(Q)re2c -W --no-generation-date --no-version -o $@ $<

$(BUILD)/obj/compiler/%.o: compiler/%.c | $(DEPS_STAMP)
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(COMPILER_CFLAGS) -c -o $@ $<

$(BUILD)/obj/compiler/lexer.o: $(BUILD)/src/compiler/lexer.c
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(COMPILER_CFLAGS) -Wno-unused-function -c -o $@ $<

$(BUILD)/compiler.a: $(COMPILER_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(ACTRC): $(BUILD)/obj/compiler/main.o $(BUILD)/compiler.a
	$(call say,LD,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^

# ---------------------------------------------------------------- gen/
# Every .actor file outside tests/compiler/bad/ is compiled into gen/.
ACTOR_DIRS := idl tests/compiler tests/unit tests/integration tests/interop tests/bench tests/fuzz \
              $(wildcard examples/*)
ACTOR_SRCS := $(foreach d,$(ACTOR_DIRS),$(wildcard $(d)/*.actor))
gen_h = $(patsubst %.actor,gen/%.actor.h,$(notdir $(1)))
gen_c = $(patsubst %.actor,gen/%.actor.c,$(notdir $(1)))
ALL_GEN_H := $(call gen_h,$(ACTOR_SRCS))
vpath %.actor $(ACTOR_DIRS)
# Generated files are real outputs, not intermediates make may delete.
.SECONDARY: $(ALL_GEN_H) $(call gen_c,$(ACTOR_SRCS))

# actrc rewrites an output only when its content changes, so objects built
# from it are not rebuilt for nothing; -M writes gen/<name>.actor.d.
gen/%.actor.h gen/%.actor.c: %.actor $(ACTRC)
	$(call say,ACTRC,$<)$(ACTRC) -M -R idl -o gen $<

-include $(wildcard gen/*.actor.d)

# ---------------------------------------------------------------- libactr
RUNTIME_LAYERS := core wire ipc actor discovery hilevel devx
RUNTIME_SRCS := $(foreach d,$(RUNTIME_LAYERS),$(wildcard runtime/$(d)/*.c))
RUNTIME_ASM := $(foreach d,$(RUNTIME_LAYERS),$(wildcard runtime/$(d)/*.S))
IDL_SRCS := $(wildcard idl/*.actor)
LIB_OBJS := $(RUNTIME_SRCS:%.c=$(BUILD)/obj/%.o) \
            $(RUNTIME_ASM:%.S=$(BUILD)/obj/%.o) \
            $(patsubst %.c,$(BUILD)/obj/%.o,$(call gen_c,$(IDL_SRCS)))
LIB_CFLAGS = -fPIC -fvisibility=hidden -DACTR_BUILDING_LIB $(JSON_CFLAGS) $(CURL_CFLAGS)
SONAME := libactr.so.0
LIBA := $(BUILD)/libactr.a
LIBSO := $(BUILD)/libactr.so.0.1.0

$(BUILD)/obj/runtime/discovery/libs.o: LIB_CFLAGS += $(if $(CURL_SONAME),-DDISC_LIBCURL='"$(CURL_SONAME)"') \
    $(if $(CRYPTO_SONAME),-DDISC_LIBCRYPTO='"$(CRYPTO_SONAME)"')

$(BUILD)/obj/runtime/%.o: runtime/%.c | $(DEPS_STAMP) $(call gen_h,$(IDL_SRCS))
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(LIB_CFLAGS) $(INCLUDES) $(DW_CFLAGS) -c -o $@ $<

$(BUILD)/obj/runtime/%.o: runtime/%.S | $(DEPS_STAMP)
	$(call say,AS,$@)mkdir -p $(@D)
	$(Q)$(CC) $(SANFLAGS) -fPIC -MMD -MP -c -o $@ $<

# Order-only on every generated header: a module's .c includes the headers
# of the modules it imports, which must exist on a clean build.
$(BUILD)/obj/gen/%.o: gen/%.c | $(DEPS_STAMP) $(ALL_GEN_H)
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(LIB_CFLAGS) $(INCLUDES) -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	$(call say,LD,$@)$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS)
	$(Q)ln -sf $(notdir $@) $(BUILD)/$(SONAME) && ln -sf $(notdir $@) $(BUILD)/libactr.so

# ---------------------------------------------------------------- in-tree pkg-config
# $(BUILD)/actr-uninstalled.pc: the actr package of this tree, used in
# place of an installed one by pkg-config when PKG_CONFIG_PATH=$(BUILD)
# (docs/quickstart.md). The runtime's generated headers are copied to
# $(BUILD)/include/actr/idl, as `make install` places them.
UNINSTALLED_PC := $(BUILD)/actr-uninstalled.pc
TREE_IDL_H := $(patsubst gen/%,$(BUILD)/include/actr/idl/%,$(call gen_h,$(IDL_SRCS)))

$(BUILD)/include/actr/idl/%.actor.h: gen/%.actor.h
	$(Q)mkdir -p $(@D) && cp $< $@

$(UNINSTALLED_PC): compiler/actr.pc.in Makefile
	$(call say,GEN,$@)mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(CURDIR)|g' -e 's|@VERSION@|0.1.0|g' \
	    -e 's|^libdir=.*|libdir=$(CURDIR)/$(BUILD)|' \
	    -e 's|^includedir=.*|includedir=$(CURDIR)/runtime/include|' \
	    -e 's|^actrc=.*|actrc=$(CURDIR)/$(BUILD)/actrc|' \
	    -e 's|^actrmk=.*|actrmk=$(CURDIR)/compiler/actr.mk|' \
	    -e 's|^idldir=.*|idldir=$(CURDIR)/idl|' \
	    -e 's|^Cflags:.*|Cflags: -I$${includedir} -I$(CURDIR)/$(BUILD)/include/actr/idl|' $< > $@

# ---------------------------------------------------------------- programs
# runtime/cli/<prog>.c (plus runtime/cli/<prog>/*.c if present) -> $(BUILD)/<prog>
# The actr tool also links jansson (msgpack <-> JSON).
CLI_PROGS := $(patsubst runtime/cli/%.c,$(BUILD)/%,$(wildcard runtime/cli/*.c))
CLI_SUB_OBJS := $(patsubst runtime/cli/%.c,$(BUILD)/obj/cli/%.o,$(wildcard runtime/cli/*/*.c))

$(BUILD)/obj/cli/%.o: runtime/cli/%.c | $(DEPS_STAMP) $(ALL_GEN_H)
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(INCLUDES) $(JSON_CFLAGS) -c -o $@ $<

$(BUILD)/actr: $(filter $(BUILD)/obj/cli/actr/%,$(CLI_SUB_OBJS))
$(BUILD)/actr: CLI_LIBS = $(JSON_LIBS)
$(CLI_PROGS): $(BUILD)/%: $(BUILD)/obj/cli/%.o $(LIBA)
	$(call say,LD,$@)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(LIBA) $(SYS_LIBS) $(CLI_LIBS)

# ---------------------------------------------------------------- tests
# tests/<dir>/check_*.c is a suite; other .c files of <dir> are its helpers;
# .actor files of <dir> are generated and linked in.
TEST_DIRS := unit compiler integration interop
define test_dir
$(1)_SUITES := $$(patsubst tests/$(1)/%.c,$(BUILD)/tests/$(1)/%,$$(wildcard tests/$(1)/check_*.c))
$(1)_HELPERS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(filter-out tests/$(1)/check_%,$$(wildcard tests/$(1)/*.c))) \
                $$(patsubst %.cpp,$(BUILD)/obj/%.o,$$(wildcard tests/$(1)/*.cpp))
$(1)_GEN := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(call gen_c,$$(wildcard tests/$(1)/*.actor)))
$$($(1)_SUITES): $(BUILD)/tests/$(1)/%: $(BUILD)/obj/tests/$(1)/%.o $$($(1)_HELPERS) $$($(1)_GEN) $(LIBA)
	$$(call say,LD,$$@)mkdir -p $$(@D)
	$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(CHECK_LIBS) $$(SYS_LIBS) -lpthread
endef
$(foreach d,$(TEST_DIRS),$(eval $(call test_dir,$(d))))
TEST_SUITES := $(foreach d,$(TEST_DIRS),$($(d)_SUITES))

TEST_CFLAGS = -D_GNU_SOURCE $(CHECK_CFLAGS) -Itests \
              -DACTR_TEST_BUILD='"$(BUILD)"' -DACTR_TEST_TOP='"$(CURDIR)"' -DACTR_TEST_SAN=$(SAN)

$(BUILD)/obj/tests/%.o: tests/%.c | $(DEPS_STAMP) $(ALL_GEN_H)
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(INCLUDES) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.cpp | $(DEPS_STAMP) $(ALL_GEN_H)
	$(call say,CXX,$@)mkdir -p $(@D)
	$(Q)$(CXX) -std=c++17 $(OPT) -Wall -Wextra -Werror $(SANFLAGS) -MMD -MP $(INCLUDES) $(CPPFLAGS) $(CXXFLAGS) -c -o $@ $<

# Helper executables that multi-process tests spawn:
# tests/integration/bin/<name>.c -> $(BUILD)/tests/bin/<name>
TEST_BINS := $(patsubst tests/integration/bin/%.c,$(BUILD)/tests/bin/%,$(wildcard tests/integration/bin/*.c))
$(TEST_BINS): $(BUILD)/tests/bin/%: $(BUILD)/obj/tests/integration/bin/%.o $(integration_GEN) $(LIBA)
	$(call say,LD,$@)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS)

# ---------------------------------------------------------------- examples
# examples/<name>/*.c and *.actor -> $(BUILD)/examples/<name>
EXAMPLES := $(notdir $(patsubst %/,%,$(dir $(wildcard examples/*/*.c))))
EXAMPLES := $(sort $(EXAMPLES))
define example
$(BUILD)/examples/$(1): $$(patsubst %.c,$(BUILD)/obj/%.o,$$(wildcard examples/$(1)/*.c)) \
        $$(patsubst %.c,$(BUILD)/obj/%.o,$$(call gen_c,$$(wildcard examples/$(1)/*.actor))) $(LIBA)
	$$(call say,LD,$$@)mkdir -p $$(@D)
	$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(SYS_LIBS)
endef
$(foreach e,$(EXAMPLES),$(eval $(call example,$(e))))
EXAMPLE_BINS := $(EXAMPLES:%=$(BUILD)/examples/%)

$(BUILD)/obj/examples/%.o: examples/%.c | $(DEPS_STAMP) $(ALL_GEN_H)
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(INCLUDES) -c -o $@ $<

# ---------------------------------------------------------------- bench
# tests/bench/bench_*.c -> $(BUILD)/tests/bench/bench_*; each prints
# `bench <name> <value> <unit> baseline <name> <value> ratio <r>` lines.
# bench_util.c and every .c not named bench_* are helpers linked into each.
BENCH_HELPER_SRCS := tests/bench/bench_util.c \
                     $(filter-out tests/bench/bench_%,$(wildcard tests/bench/*.c))
BENCH_SRCS := $(filter-out $(BENCH_HELPER_SRCS),$(wildcard tests/bench/bench_*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(BENCH_SRCS))
BENCH_HELPERS := $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_HELPER_SRCS))
$(BENCH_BINS): $(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(BENCH_HELPERS) \
        $(patsubst %.c,$(BUILD)/obj/%.o,$(call gen_c,$(wildcard tests/bench/*.actor))) $(LIBA)
	$(call say,LD,$@)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS) -lpthread

# The peers (make bench-peers): C against libzmq, C++ against gRPC with
# the service generated by protoc into $(BUILD)/gen-peers/. Built only
# when PEERS=1 (gRPC C++ compiles slowly and its packages are optional).
PEER_BINS := $(BUILD)/tests/bench/peer_zmq $(BUILD)/tests/bench/peer_grpc
PEER_GEN := $(BUILD)/gen-peers
PEER_GEN_SRCS := $(PEER_GEN)/bench_peers.pb.cc $(PEER_GEN)/bench_peers.grpc.pb.cc
PEER_CXXFLAGS = -std=c++17 $(OPT) $(SANFLAGS) -MMD -MP -I$(PEER_GEN) $(INCLUDES) -Itests/bench \
                $(shell pkg-config --cflags grpc++ protobuf 2>/dev/null) $(CPPFLAGS) $(CXXFLAGS)
PEER_GRPC_LIBS = $(shell pkg-config --libs grpc++ protobuf 2>/dev/null || echo -lgrpc++ -lprotobuf)
PEER_ZMQ_LIBS = $(shell pkg-config --libs libzmq 2>/dev/null || echo -lzmq)

$(PEER_GEN_SRCS) $(PEER_GEN)/bench_peers.pb.h $(PEER_GEN)/bench_peers.grpc.pb.h &: \
        tests/bench/peers/bench_peers.proto | $(DEPS_STAMP)
	$(call say,PROTOC,$<)mkdir -p $(PEER_GEN)
	$(Q)protoc -Itests/bench/peers --cpp_out=$(PEER_GEN) --grpc_out=$(PEER_GEN) \
	    --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) $<

$(BUILD)/obj/peers/%.o: $(PEER_GEN)/%.cc $(PEER_GEN)/bench_peers.pb.h $(PEER_GEN)/bench_peers.grpc.pb.h
	$(call say,CXX,$@)mkdir -p $(@D)
	$(Q)$(CXX) $(PEER_CXXFLAGS) -w -c -o $@ $<

$(BUILD)/obj/peers/peer_grpc.o: tests/bench/peers/peer_grpc.cc $(PEER_GEN)/bench_peers.grpc.pb.h
	$(call say,CXX,$@)mkdir -p $(@D)
	$(Q)$(CXX) $(PEER_CXXFLAGS) -Wall -Wextra -Werror -c -o $@ $<

$(BUILD)/obj/peers/peer_zmq.o: tests/bench/peers/peer_zmq.c | $(DEPS_STAMP)
	$(call say,CC,$@)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(INCLUDES) -Itests/bench -c -o $@ $<

$(BUILD)/tests/bench/peer_grpc: $(BUILD)/obj/peers/peer_grpc.o \
        $(PEER_GEN_SRCS:$(PEER_GEN)/%.cc=$(BUILD)/obj/peers/%.o) $(BUILD)/obj/tests/bench/bench_util.o $(LIBA)
	$(call say,LD,$@)mkdir -p $(@D)
	$(Q)$(CXX) $(LDFLAGS_ALL) -o $@ $^ $(PEER_GRPC_LIBS) $(SYS_LIBS) -lpthread

$(BUILD)/tests/bench/peer_zmq: $(BUILD)/obj/peers/peer_zmq.o $(BUILD)/obj/tests/bench/bench_util.o $(LIBA)
	$(call say,LD,$@)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PEER_ZMQ_LIBS) $(SYS_LIBS)

BENCH_RUN := $(BENCH_BINS) $(if $(filter 1,$(PEERS)),$(PEER_BINS))

# ---------------------------------------------------------------- targets
.PHONY: all check demo bench bench-readme bench-peers fuzz valgrind install uninstall clean
all: $(ACTRC) $(LIBA) $(LIBSO) $(CLI_PROGS) $(TEST_SUITES) $(TEST_BINS) $(EXAMPLE_BINS) \
     $(UNINSTALLED_PC) $(TREE_IDL_H)

# The tests' environment: no registrar by default, one secret for every
# process of the run (S28: separate roots, the CLI and a stand-alone
# registrar talk), and a config directory inside the build, so that no
# test reads or creates the user's default secret file.
TEST_SECRET := $(BUILD)/test-secret
TEST_SECRET_MK = [ -f $(TEST_SECRET) ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 \
	| tr -d ' \n' > $(TEST_SECRET)); mkdir -p $(BUILD)/test-config
TEST_ENV = ACTR_TEST_BUILD=$(BUILD) ACTR_REGISTRY=none ACTR_SECRET_FILE=$(CURDIR)/$(TEST_SECRET) \
	XDG_CONFIG_HOME=$(CURDIR)/$(BUILD)/test-config

# Runs every suite (each under a hard timeout); Check prints its own
# summary line per suite. Exits non-zero when any suite fails.
# T=word runs only the suites whose path contains word.
T ?=
# (filter takes one '%' only, so match with findstring, outside $(BUILD)/)
CHECK_SUITES := $(if $(T),$(sort $(foreach w,$(T),$(foreach t,$(TEST_SUITES),\
                  $(if $(findstring $(w),$(patsubst $(BUILD)/%,%,$(t))),$(t))))),$(TEST_SUITES))
# The interop suite (tests/interop) runs against a live tractor: its
# environment comes from tests/interop/tractor-env.sh (ACTR_TRACTOR_ENV,
# or built from ../shared/tractor-env into $(BUILD)/tractor-env); without
# one it is skipped with a line saying why.
# run_suites: runs the suites in $$suites, sets $$fail.
define run_suites
fail=0; mkdir -p $(BUILD)/test-logs; $(TEST_SECRET_MK); for t in $$suites; do \
    echo "== $$t"; log=$(BUILD)/test-logs/$$(basename $$t).stderr; \
    case $$t in */interop/*) \
        if ! iopenv=$$(sh tests/interop/tractor-env.sh $(BUILD)); then \
            echo "interop: skipped: $$iopenv"; $(if $(IOP_REQUIRED),fail=1;) continue; fi; \
        echo "interop: tractor environment $$iopenv"; \
        ( . "$$iopenv"; export PY313 TRACTOR_PYTHONPATH; \
          $(TEST_ENV) timeout -k 10 $(TEST_TIMEOUT) ./$$t 2>$$log ); \
        rc=$$? ;; \
    *) $(TEST_ENV) timeout -k 10 $(TEST_TIMEOUT) ./$$t 2>$$log; \
        rc=$$? ;; \
    esac; \
    awk -f tests/logcheck.awk $$log >&2 || rc=1; \
    [ $$rc = 0 ] || { echo "FAILED: $$t"; fail=1; }; \
done
endef

check: $(if $(T),$(CHECK_SUITES) $(TEST_BINS) $(EXAMPLE_BINS) $(CLI_PROGS) $(LIBSO) \
               $(ACTRC) $(UNINSTALLED_PC) $(TREE_IDL_H),all $(if $(filter 1,$(SAN)),,install-check))
	$(Q)suites="$(CHECK_SUITES)"; $(run_suites); \
	if [ $$fail = 0 ]; then echo "check: all suites passed ($(BUILD))"; \
	else echo "check: FAILURES ($(BUILD))"; fi; exit $$fail

# The interop suite alone; fails when no tractor environment can be had.
.PHONY: interop
interop: IOP_REQUIRED := 1
interop: $(interop_SUITES) $(TEST_BINS) $(EXAMPLE_BINS) $(CLI_PROGS)
	$(Q)suites="$(interop_SUITES)"; $(run_suites); \
	if [ $$fail = 0 ]; then echo "interop: passed ($(BUILD))"; \
	else echo "interop: FAILED ($(BUILD))"; fi; exit $$fail

VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --trace-children=yes
# The unit suites run under valgrind; the integration suites run with
# every child actor under it (ACTR_CHILD_WRAPPER): a child with an error or
# a leak exits 99, which its parent reports as a WARNING (or an error of
# the call), so the suite fails through its assertions or logcheck.
VALGRIND_CHILD := valgrind -q --error-exitcode=99 --leak-check=full \
                  --errors-for-leak-kinds=definite,indirect
valgrind:
	$(Q)$(MAKE) SAN=0 $(unit_SUITES) $(integration_SUITES) $(TEST_BINS) $(EXAMPLE_BINS) $(CLI_PROGS)
	$(Q)fail=0; for t in $(unit_SUITES); do \
	    echo "== valgrind $$t"; \
	    CK_DEFAULT_TIMEOUT=120 timeout -k 10 $(TEST_TIMEOUT) $(VALGRIND) ./$$t || fail=1; \
	done; \
	mkdir -p $(BUILD)/test-logs; $(TEST_SECRET_MK); for t in $(integration_SUITES); do \
	    echo "== children under valgrind: $$t"; log=$(BUILD)/test-logs/$$(basename $$t).vg.stderr; \
	    $(TEST_ENV) ACTR_CHILD_WRAPPER="$(VALGRIND_CHILD)" \
	    CK_DEFAULT_TIMEOUT=300 timeout -k 10 $(TEST_TIMEOUT) ./$$t 2>$$log; \
	    rc=$$?; awk -f tests/logcheck.awk $$log >&2 || rc=1; [ $$rc = 0 ] || fail=1; \
	done; exit $$fail

demo: all
	$(Q)$(BUILD)/examples/services

# Results go to $(BUILD)/bench/ (not tracked); bench-readme publishes the
# last run's table and plot (tests/bench/results.*, README.md).
bench: $(BENCH_RUN)
	$(Q)sh tests/bench/run.sh $(BUILD)/bench $(BENCH_RUN)

bench-peers:
	$(Q)$(MAKE) bench PEERS=1

.PHONY: bench-readme
bench-readme:
	$(Q)sh tests/bench/readme.sh $(BUILD)/bench

fuzz:
	$(Q)$(MAKE) BUILD=build-fuzz CC=clang \
	    EXTRA_CFLAGS='-fsanitize=fuzzer-no-link,address -Wno-unused-command-line-argument' \
	    EXTRA_LDFLAGS='-fsanitize=address' fuzz-run

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(FUZZ_SRCS))
fuzz_GEN := $(patsubst %.c,$(BUILD)/obj/%.o,$(call gen_c,$(wildcard tests/fuzz/*.actor)))
$(FUZZ_BINS): $(BUILD)/tests/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/compiler.a $(compiler_GEN) \
              $(fuzz_GEN) $(LIBA)
	$(call say,LD,$@)mkdir -p $(@D)
	$(Q)$(CC) -fsanitize=fuzzer,address -o $@ $^ $(SYS_LIBS)

.PHONY: fuzz-run
fuzz-run: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
	    n=$$(basename $$f); case "$$n" in *"$(FUZZ)"*) ;; *) continue;; esac; \
	    corpus=tests/fuzz/corpus/$$n; mkdir -p $(BUILD)/fuzz-corpus/$$n; \
	    echo "== fuzz $$n for $(if $(FUZZ_RUNS),$(FUZZ_RUNS) runs,$(FUZZ_SECONDS)s)"; \
	    $$f $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) \
	        -timeout=10 -rss_limit_mb=2048 \
	        $(BUILD)/fuzz-corpus/$$n $$( [ -d $$corpus ] && echo $$corpus ) || exit 1; \
	done

# ---------------------------------------------------------------- install
# actr's own .actor files go to share/actr/idl (pkg-config's idldir, the
# -R directory of actr.mk) and their generated headers to include/actr/idl
# (on pkg-config's Cflags), so a program's module can import them.
PUBLIC_HEADERS := $(wildcard runtime/include/actr/*.h)
# One page per installed program, beside its source.
MAN_PAGES := compiler/actrc.1 runtime/cli/actr.1 runtime/cli/actr-registrar.1
IDL_HEADERS := $(call gen_h,$(IDL_SRCS))
INSTALL_PROGS := $(ACTRC) $(CLI_PROGS)
# Scripts installed beside the programs: the shim a tractor parent runs
# an actr program through (README, "Interop with tractor").
INSTALL_SCRIPTS := runtime/cli/actr-tractor-child
install: $(INSTALL_PROGS) $(LIBA) $(LIBSO) $(IDL_HEADERS)
	$(call say,INSTALL,$(DESTDIR)$(PREFIX))install -d $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/actr/idl \
	    $(DESTDIR)$(PREFIX)/share/actr/idl
	$(Q)install -m 755 $(INSTALL_PROGS) $(INSTALL_SCRIPTS) $(DESTDIR)$(PREFIX)/bin/
	$(Q)install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	$(Q)install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/
	$(Q)ln -sf $(notdir $(LIBSO)) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	$(Q)ln -sf $(notdir $(LIBSO)) $(DESTDIR)$(PREFIX)/lib/libactr.so
	$(Q)install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/actr/
	$(Q)install -m 644 $(IDL_HEADERS) $(DESTDIR)$(PREFIX)/include/actr/idl/
	$(Q)install -m 644 $(IDL_SRCS) $(DESTDIR)$(PREFIX)/share/actr/idl/
	$(Q)install -m 644 compiler/actr.mk $(DESTDIR)$(PREFIX)/share/actr/actr.mk
	$(Q)install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	$(Q)install -m 644 runtime/cli/actr.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/actr
	$(Q)install -d $(DESTDIR)$(PREFIX)/share/man/man1
	$(Q)install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|0.1.0|g' compiler/actr.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/actr.pc

# Installs into a private prefix, builds tests/install/ (a user project
# using pkg-config and actr.mk, out of tree) against the shared library,
# runs it (rpath, no LD_LIBRARY_PATH), then uninstalls and checks that
# nothing is left behind. Part of `make check`.
INSTALL_CHECK := $(CURDIR)/$(BUILD)/install-check
.PHONY: install-check
install-check: $(INSTALL_PROGS) $(LIBA) $(LIBSO) $(IDL_HEADERS)
	$(Q)rm -rf $(INSTALL_CHECK) && mkdir -p $(INSTALL_CHECK)/user
	$(Q)$(MAKE) install PREFIX=$(INSTALL_CHECK)/root DESTDIR= >/dev/null
	$(Q)PKG_CONFIG_PATH=$(INSTALL_CHECK)/root/lib/pkgconfig \
	    $(MAKE) -s -C tests/install OUT=$(INSTALL_CHECK)/user CC=$(CC) >/dev/null
	$(Q)$(INSTALL_CHECK)/user/point
	$(Q)for m in $(notdir $(MAN_PAGES)); do f=$(INSTALL_CHECK)/root/share/man/man1/$$m; \
	    test -f $$f || { echo "install-check: no man page $$m"; exit 1; }; \
	    if command -v groff >/dev/null; then w=$$(groff -man -ww -z $$f 2>&1); \
	        [ -z "$$w" ] || { echo "install-check: $$m: $$w"; exit 1; }; fi; done
	$(Q)shim=$(INSTALL_CHECK)/root/bin/actr-tractor-child; \
	    out=$$(env -u ACTR_PROGRAM $$shim 2>&1); rc=$$?; \
	    [ $$rc = 2 ] && echo "$$out" | grep -q 'ACTR_PROGRAM is not set' || \
	        { echo "install-check: $$shim without ACTR_PROGRAM: $$rc $$out"; exit 1; }; \
	    out=$$(ACTR_PROGRAM=$(INSTALL_CHECK)/user/point $$shim -m tractor._child 2>&1); rc=$$?; \
	    [ $$rc = 2 ] && echo "$$out" | grep -q "expected tractor's child command line" || \
	        { echo "install-check: $$shim without --uid: $$rc $$out"; exit 1; }
	$(Q)$(MAKE) uninstall PREFIX=$(INSTALL_CHECK)/root DESTDIR=
	$(Q)left=$$(find $(INSTALL_CHECK)/root -type f -o -type l | wc -l); \
	    if [ $$left != 0 ]; then echo "install-check: uninstall left $$left files"; exit 1; fi

uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(INSTALL_PROGS) $(INSTALL_SCRIPTS))) \
	    $(DESTDIR)$(PREFIX)/lib/libactr.a $(DESTDIR)$(PREFIX)/lib/$(notdir $(LIBSO)) \
	    $(DESTDIR)$(PREFIX)/lib/$(SONAME) $(DESTDIR)$(PREFIX)/lib/libactr.so \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/actr.pc $(DESTDIR)$(PREFIX)/share/actr/actr.mk \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/actr \
	    $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(MAN_PAGES)))
	$(Q)rm -rf $(DESTDIR)$(PREFIX)/include/actr $(DESTDIR)$(PREFIX)/share/actr/idl
	$(Q)rmdir $(DESTDIR)$(PREFIX)/share/actr $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/bash-completion $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man 2>/dev/null || true

clean:
	$(Q)rm -rf build build-san build-fuzz
	$(Q)find gen -mindepth 1 ! -name .gitignore -delete

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
