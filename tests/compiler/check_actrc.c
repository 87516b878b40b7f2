/* actrc, the IDL compiler, run as users run it: golden outputs,
 * diagnostics (file:line:col, source line, caret, exit 1), the command
 * line, -M rules, rewrite-only-on-change, pedantic C and C++ compiles of
 * the output, and compiler/actr.mk on a small project. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#define TOP ACTR_TEST_TOP

static char tmp[64];

static void
make_tmp(void)
{
    strcpy(tmp, "/tmp/actrc-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
drop_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

/* Runs a shell command in the repository top; returns its exit status
 * (or 128 + signal) and its stdout+stderr in *out (malloc'd). */
static int
run(char **out, const char *fmt, ...)
{
    char cmd[4096], full[4300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    /* A make of our own must not join the jobserver of the make running us. */
    snprintf(full, sizeof full, "cd '%s' && unset MAKEFLAGS MFLAGS MAKELEVEL && { %s ; } 2>&1",
             TOP, cmd);
    FILE *p = popen(full, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void
put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static const char *
actrc(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s/actrc", TOP, ACTR_TEST_BUILD);
    if (ACTR_TEST_BUILD[0] == '/')
        snprintf(path, sizeof path, "%s/actrc", ACTR_TEST_BUILD);
    return path;
}

/* Every "file:line:col: error:" line must be followed by the source line
 * and a caret line; returns the number of such errors. */
static int
count_located_errors(const char *out)
{
    int n = 0;
    const char *p = out;
    while ((p = strstr(p, ": error: ")) != NULL) {
        const char *bol = p;
        while (bol > out && bol[-1] != '\n')
            bol--;
        const char *eol = strchr(p, '\n');
        ck_assert_ptr_nonnull(eol);
        if (strncmp(bol, "actrc:", 6) != 0) {
            const char *l2 = strchr(eol + 1, '\n');
            ck_assert_msg(l2 != NULL, "no source line after: %.*s", (int)(eol - bol), bol);
            const char *l3 = strchr(l2 + 1, '\n');
            ck_assert_msg(l3 != NULL && l3[-1] == '^', "no caret after: %.*s",
                          (int)(eol - bol), bol);
            n++;
        }
        p = eol;
    }
    return n;
}

/* ------------------------------------------------------------ golden */

START_TEST(test_golden_outputs)
{
    size_t len;
    char *inputs = slurp(TOP "/tests/compiler/golden/INPUTS", &len);
    ck_assert_ptr_nonnull(inputs);
    make_tmp();
    int checked = 0;
    for (char *line = strtok(inputs, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *out;
        int rc = run(&out, "%s -R idl -o %s %s", actrc(), tmp, line);
        ck_assert_msg(rc == 0, "actrc %s: %s", line, out);
        free(out);
        const char *base = strrchr(line, '/') + 1;
        for (int i = 0; i < 2; i++) {
            char got_path[512], want_path[512];
            size_t gl, wl;
            snprintf(got_path, sizeof got_path, "%s/%.*s.actor.%c", tmp,
                     (int)(strlen(base) - 6), base, "hc"[i]);
            snprintf(want_path, sizeof want_path, "%s/tests/compiler/golden/%.*s.actor.%c",
                     TOP, (int)(strlen(base) - 6), base, "hc"[i]);
            char *got = slurp(got_path, &gl), *want = slurp(want_path, &wl);
            ck_assert_msg(got != NULL && want != NULL, "missing %s or %s", got_path, want_path);
            ck_assert_msg(gl == wl && memcmp(got, want, gl) == 0,
                          "%s differs from %s (intended? run tests/compiler/regen.sh)",
                          got_path, want_path);
            free(got);
            free(want);
            checked++;
        }
    }
    ck_assert_int_ge(checked, 6);
    free(inputs);
    drop_tmp();
}
END_TEST

START_TEST(test_deterministic_and_rewritten_only_on_change)
{
    char path[256], src[256], *out;
    struct stat st;
    make_tmp();
    snprintf(src, sizeof src, "%s/clock.actor", tmp);
    put(src, "module clock;\nstruct Tick { n: u64; }\n");
    ck_assert_int_eq(run(NULL, "%s -o %s %s", actrc(), tmp, src), 0);
    snprintf(path, sizeof path, "%s/clock.actor.h", tmp);
    size_t l1, l2;
    char *first = slurp(path, &l1);

    /* Same input: byte-identical output, and the files are not touched. */
    struct utimbuf old = {1000000000, 1000000000};
    ck_assert_int_eq(utime(path, &old), 0);
    ck_assert_int_eq(run(&out, "%s -o %s %s", actrc(), tmp, src), 0);
    free(out);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq((long)st.st_mtime, 1000000000L);
    char *second = slurp(path, &l2);
    ck_assert(l1 == l2 && memcmp(first, second, l1) == 0);
    free(second);

    /* Changed input: rewritten. */
    put(src, "module clock;\nstruct Tick { n: u64; at: f64; }\n");
    ck_assert_int_eq(run(NULL, "%s -o %s %s", actrc(), tmp, src), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_ne((long)st.st_mtime, 1000000000L);
    second = slurp(path, &l2);
    ck_assert_ptr_nonnull(strstr(second, "double at;"));
    free(first);
    free(second);
    drop_tmp();
}
END_TEST

START_TEST(test_dependency_rule)
{
    char path[256], *out;
    size_t len;
    make_tmp();
    ck_assert_int_eq(run(&out, "%s -M -R idl -o %s tests/compiler/market.actor", actrc(), tmp), 0);
    free(out);
    snprintf(path, sizeof path, "%s/market.actor.d", tmp);
    char *d = slurp(path, &len);
    ck_assert_ptr_nonnull(d);
    char want[1024];
    snprintf(want, sizeof want,
             "%s/market.actor.h %s/market.actor.c: tests/compiler/market.actor \\\n"
             "  tests/compiler/shapes.actor \\\n"
             "  idl/actr_self.actor\n"
             "\n"
             "tests/compiler/shapes.actor:\n"
             "\n"
             "idl/actr_self.actor:\n", tmp, tmp);
    ck_assert_str_eq(d, want);
    free(d);
    drop_tmp();
}
END_TEST

START_TEST(test_command_line)
{
    char *out;
    ck_assert_int_eq(run(&out, "%s --help", actrc()), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: actrc [-o DIR] [-I DIR]... [-R DIR]... [-M] FILE.actor..."));
    free(out);
    ck_assert_int_eq(run(&out, "%s --version", actrc()), 0);
    ck_assert_str_eq(out, "actrc 0.1.0\n");
    free(out);
    ck_assert_int_eq(run(&out, "%s", actrc()), 2);
    ck_assert_ptr_nonnull(strstr(out, "no input files"));
    free(out);
    ck_assert_int_eq(run(&out, "%s --frobnicate x.actor", actrc()), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown option '--frobnicate'"));
    free(out);
    ck_assert_int_eq(run(&out, "%s -o", actrc()), 2);
    free(out);
    ck_assert_int_eq(run(&out, "%s -o /tmp README.md", actrc()), 1);
    ck_assert_ptr_nonnull(strstr(out, "input files must have the .actor extension"));
    free(out);
    ck_assert_int_eq(run(&out, "%s -o /tmp does/not/exist.actor", actrc()), 1);
    ck_assert_ptr_nonnull(strstr(out, "actrc: error: cannot read 'does/not/exist.actor'"));
    free(out);
}
END_TEST

/* ------------------------------------------------------------ actr's own modules */

/* 11b: the runtime's modules take libactr's C prefix; only a module read
 * from an -R directory may, so a program's module can neither take those
 * names nor the `self` namespace, even by importing idl/ with -I. */
START_TEST(test_11b_runtime_modules_only_from_R_dirs)
{
    char *out;
    make_tmp();
    ck_assert_int_eq(run(&out, "%s -I idl -o %s tests/compiler/market.actor", actrc(), tmp), 1);
    ck_assert_ptr_nonnull(strstr(out, "idl/actr_self.actor:"));
    ck_assert_ptr_nonnull(strstr(out, "module name 'actr_self' would generate names in "
                                      "libactr's namespace"));
    ck_assert_ptr_nonnull(strstr(out, "actrc -R directory"));
    free(out);
    ck_assert_int_eq(run(&out, "%s -R ./idl/ -o %s tests/compiler/market.actor", actrc(), tmp),
                     0);
    free(out);
    drop_tmp();
}
END_TEST

/* 11b: libactr.so exports the public API (actr_*) and nothing else of its
 * own modules than their named types: no module descriptor, no impl, no
 * argument or composite descriptor, no helper of a layer (disc_*, actri_*). */
START_TEST(test_11b_libactr_exports_only_public_names)
{
    char *out;
    ck_assert_int_eq(run(&out, "nm -D --defined-only %s/libactr.so | awk '{print $3}'",
                         ACTR_TEST_BUILD), 0);
    int n = 0;
    for (char *l = strtok(out, "\n"); l != NULL; l = strtok(NULL, "\n"), n++) {
        if (strncmp(l, "__odr_asan", 10) == 0)
            continue;                   /* AddressSanitizer's, in SAN=1 builds */
        ck_assert_msg(strncmp(l, "actr_", 5) == 0, "libactr.so exports %s", l);
        static const char *const internal[] = {"_module", "_impl", "_args_type", "_list_type",
                                               "_opt_type", "_map_type"};
        size_t ll = strlen(l);
        for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
            size_t sl = strlen(internal[i]);
            ck_assert_msg(ll < sl || strcmp(l + ll - sl, internal[i]) != 0,
                          "libactr.so exports %s", l);
        }
    }
    ck_assert_int_gt(n, 100);
    free(out);
    ck_assert_int_eq(run(&out, "nm -D --defined-only %s/libactr.so | awk '{print $3}' | "
                         "grep -c -x 'actr_self_uid_type\\|actr_self_addr_type\\|actr_registrar_entry_type'",
                         ACTR_TEST_BUILD), 0);
    ck_assert_str_eq(out, "3\n");
    free(out);
}
END_TEST

/* ------------------------------------------------------------ diagnostics */

static const struct {
    const char *file;
    const char *want;       /* the first error line, after "tests/compiler/bad/" */
} diags[] = {
    {"syntax_missing_semi", "syntax_missing_semi.actor:4:11: error: expected ';', got '}'"},
    {"syntax_bad_char", "syntax_bad_char.actor:3:22: error: unexpected character '$'"},
    {"unterminated_string", "unterminated_string.actor:3:11: error: unterminated string"},
    {"unterminated_comment", "unterminated_comment.actor:3:1: error: unterminated comment"},
    {"bad_escape", "bad_escape.actor:3:13: error: unknown escape sequence in string"},
    {"missing_module", "missing_module.actor:1:1: error: missing 'module NAME;' declaration"},
    {"gen_without_yields", "gen_without_yields.actor:3:15: error: expected 'yields', got '->'"},
    {"unknown_type", "unknown_type.actor:3:15: error: unknown type 'Missing'"},
    {"unknown_module", "unknown_module.actor:3:15: error: unknown module 'other' in "
                       "'other.Thing' (is it imported?)"},
    {"endpoint_as_type", "endpoint_as_type.actor:4:15: error: 'f' is an endpoint, not a type"},
    {"dup_type", "dup_type.actor:4:6: error: duplicate type 'A' (first declared at line 3)"},
    {"dup_field", "dup_field.actor:5:5: error: duplicate field 'x' (first declared at line 4)"},
    {"dup_member", "dup_member.actor:3:26: error: duplicate member 'Red' (first declared at "
                   "line 3)"},
    {"dup_param", "dup_param.actor:3:14: error: duplicate parameter 'a' (first declared at "
                  "line 3)"},
    {"dup_endpoint", "dup_endpoint.actor:4:5: error: duplicate endpoint 'f' (first declared at "
                     "line 3)"},
    {"dup_wire_name", "dup_wire_name.actor:5:15: error: wire name 'x' is used twice in 'A'"},
    {"map_key", "map_key.actor:3:19: error: map keys must be string"},
    {"nested_optional", "nested_optional.actor:3:15: error: an optional of an optional is "
                        "not a type"},
    {"recursive_struct", "recursive_struct.actor:4:12: error: struct 'A' contains itself by "
                         "value (A.b -> B.a); make a field on that path optional or a list"},
    {"keyword_field", "keyword_field.actor:3:12: error: field name 'default' is a C/C++ "
                      "keyword or reserved identifier"},
    {"reserved_name", "reserved_name.actor:3:4: error: endpoint name '_cancel_task' starts "
                      "with '_'"},
    {"double_underscore", "double_underscore.actor:3:12: error: field name 'my__field' "
                          "contains '__'"},
    {"builtin_name", "builtin_name.actor:3:8: error: 'string' is a built-in type name"},
    {"empty_enum", "empty_enum.actor:3:6: error: enum 'E' has no members"},
    {"cname_clash", "cname_clash.actor:4:23: error: C name 'cname_clash_quote_list' of type "
                    "list<Quote> clashes with the one of struct 'QuoteList'"},
    {"stub_clash", "stub_clash.actor:4:4: error: C name 'stub_clash_quotes_open' of endpoint "
                   "'quotes_open' clashes with the one of endpoint 'quotes'"},
    {"handle_clash", "handle_clash.actor:4:9: error: C name 'handle_clash_feed' of endpoint "
                     "'feed' clashes with the one of struct 'Feed'"},
    {"call_clash", "call_clash.actor:4:9: error: C name 'call_clash_feed_call' of endpoint "
                   "'feed' clashes with the one of struct 'FeedCall'"},
    {"sub_clash", "sub_clash.actor:4:9: error: C name 'sub_clash_feed_sub' of endpoint "
                  "'feed' clashes with the one of struct 'FeedSub'"},
    {"service_clash", "service_clash.actor:4:4: error: C name "
                      "'service_clash_feed_start_service' of endpoint 'feed_start_service' "
                      "clashes with the one of endpoint 'feed'"},
    {"param_cname", "param_cname.actor:4:8: error: parameter name 'param_cname_quote' is the "
                    "C name of struct 'Quote'"},
    {"param_reserved", "param_reserved.actor:3:16: error: parameter name 'actr_str' would "
                       "hide a name the generated stubs use"},
    {"actr_things", "actr_things.actor:1:8: error: module name 'actr_things' would generate "
                    "names in libactr's namespace"},
    {"reserved_ns", "reserved_ns.actor:2:8: error: the wire namespace 'self' is the runtime's "
                    "own (its built-in endpoints); give module 'reserved_ns' another one"},
    {"self", "self.actor:3:8: error: the wire namespace 'self' is the runtime's own"},
    {"mine_actr", "mine_actr.actor:2:8: error: the wire namespace 'actr' is the runtime's own"},
    {"bad_window", "bad_window.actor:3:27: error: window '0' is not a number of messages in "
                   "1..1000000"},
    {"window_word", "window_word.actor:4:32: error: expected a window size (a number of "
                    "messages) after 'window', got identifier 'many'"},
    {"module_mismatch", "module_mismatch.actor:1:8: error: module 'something_else' must be in "
                        "a file named 'something_else.actor'"},
    {"import_missing", "import_missing.actor:3:8: error: cannot find 'no_such_file.actor'"},
    /* compiling a: the cycle closes at b's import of a */
    {"import_cycle_a", "import_cycle_b.actor:3:8: error: import cycle: "
                       "tests/compiler/bad/import_cycle_a.actor -> "
                       "tests/compiler/bad/import_cycle_b.actor -> "
                       "tests/compiler/bad/import_cycle_a.actor"},
};

START_TEST(test_diagnostic)
{
    char *out, path[256];
    make_tmp();
    snprintf(path, sizeof path, "tests/compiler/bad/%s.actor", diags[_i].file);
    int rc = run(&out, "%s -R idl -o %s %s", actrc(), tmp, path);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_msg(strncmp(out, "tests/compiler/bad/", 19) == 0
                  && strncmp(out + 19, diags[_i].want, strlen(diags[_i].want)) == 0,
                  "got:\n%s\nwanted: tests/compiler/bad/%s", out, diags[_i].want);
    ck_assert_int_ge(count_located_errors(out), 1);
    char h[300];
    struct stat st;
    snprintf(h, sizeof h, "%s/%s.actor.h", tmp, diags[_i].file);
    ck_assert_int_ne(stat(h, &st), 0);      /* no output on errors */
    free(out);
    drop_tmp();
}
END_TEST

START_TEST(test_several_errors_reported_in_one_run)
{
    static const char *const want[] = {
        "many_errors.actor:4:12: error: expected ';', got identifier 'qty'\n"
        "        id: u64\n"
        "               ^\n",
        "many_errors.actor:13:19: error: expected 'yields', got '->'",
        "many_errors.actor:5:10: error: unknown type 'i32x'",
        "many_errors.actor:6:5: error: field name 'class' is a C/C++ keyword",
        "many_errors.actor:7:15: error: map keys must be string",
        "many_errors.actor:10:24: error: duplicate member 'Buy'",
        "many_errors.actor:12:20: error: duplicate parameter 'o'",
        "many_errors.actor:12:33: error: unknown type 'Receipt'",
    };
    char *out;
    make_tmp();
    ck_assert_int_eq(run(&out, "%s -o %s tests/compiler/bad/many_errors.actor", actrc(), tmp), 1);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(out, want[i]) != NULL, "missing: %s\nin:\n%s", want[i], out);
    ck_assert_int_eq(count_located_errors(out), 8);
    free(out);
    drop_tmp();
}
END_TEST

START_TEST(test_hostile_input_never_crashes)
{
    static const char *const inputs[] = {
        "",                                                     /* empty */
        "\x7f" "ELF\x02\x01\x01\x00\xff\xfe\x00\x00garbage",    /* binary */
        "module hostile; struct A { x: list<list<list<list<list<list<list<list<list<list<"
        "list<list<list<list<list<list<list<list<list<list<list<list<list<list<list<list<"
        "list<list<list<list<list<list<list<list<i32>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>; }",
        "module hostile; {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{((((((((((((((((]]]]]]]",
        "module hostile; struct A [ x: i32? as \"\"; ] enum E { A as \"A\", B as \"A\" }",
        "module hostile; import \"hostile.actor\"; struct A { x: hostile.A?; }",
        "module hostile; fn f(a: map<string, map<string, ))))",
        "/** doc */ /// doc\nmodule hostile /* x */ ; context c() { stream: i32 <-> ; }",
    };
    char path[256], *out;
    make_tmp();
    snprintf(path, sizeof path, "%s/hostile.actor", tmp);
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        FILE *f = fopen(path, "wb");
        fwrite(inputs[i], 1, strlen(inputs[i]) + (i == 1 ? 8 : 0), f);
        fclose(f);
        int rc = run(&out, "%s -o %s %s", actrc(), tmp, path);
        ck_assert_msg(rc == 1, "input %zu: exit %d\n%s", i, rc, out);
        ck_assert_ptr_nonnull(strstr(out, ": error: "));
        free(out);
    }
    drop_tmp();
}
END_TEST

/* ------------------------------------------------------------ generated code */

START_TEST(test_generated_code_compiles_pedantic)
{
    char *out;
    make_tmp();
    ck_assert_int_eq(run(&out, "%s -R idl -o %s idl/actr_self.actor tests/compiler/shapes.actor "
                         "tests/compiler/market.actor tests/compiler/stubnames.actor", actrc(),
                         tmp), 0);
    free(out);
    static const char *const mods[] = {"actr_self", "shapes", "market", "stubnames"};
    for (size_t i = 0; i < 4; i++) {
        int rc = run(&out, "cc -std=c11 -pedantic -Wall -Wextra -Werror -Wshadow "
                     "-Wstrict-prototypes -Iruntime/include -I%s -c -o %s/%s.o %s/%s.actor.c",
                     tmp, tmp, mods[i], tmp, mods[i]);
        ck_assert_msg(rc == 0, "%s.actor.c: %s", mods[i], out);
        free(out);
    }
    char cpp[256];
    snprintf(cpp, sizeof cpp, "%s/all.cpp", tmp);
    put(cpp, "#include \"actr_self.actor.h\"\n#include \"shapes.actor.h\"\n"
             "#include \"market.actor.h\"\n#include \"stubnames.actor.h\"\n"
             "int main() { return 0; }\n");
    int rc = run(&out, "c++ -std=c++17 -pedantic -Wall -Wextra -Werror -Iruntime/include -I%s "
                 "-fsyntax-only %s", tmp, cpp);
    ck_assert_msg(rc == 0, "C++: %s", out);
    free(out);
    drop_tmp();
}
END_TEST

START_TEST(test_actr_mk_tracks_imports)
{
    char path[256], *out;
    make_tmp();
    snprintf(path, sizeof path, "%s/proto", tmp);
    ck_assert_int_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/proto/mkbase.actor", tmp);
    put(path, "module mkbase;\nstruct Id { v: u64; }\n");
    snprintf(path, sizeof path, "%s/proto/mkuser.actor", tmp);
    put(path, "module mkuser;\nimport \"mkbase.actor\";\nstruct Order { id: mkbase.Id; }\n");
    snprintf(path, sizeof path, "%s/main.c", tmp);
    put(path, "#include \"mkuser.actor.h\"\nint main(void) { mkuser_order o = {{1}}; "
              "return (int)o.id.v - 1; }\n");
    snprintf(path, sizeof path, "%s/Makefile", tmp);
    FILE *f = fopen(path, "w");
    fprintf(f, "ACTRC := %s\n"
               "ACTR_SOURCES := proto/mkuser.actor proto/mkbase.actor\n"
               "ACTR_CFLAGS := -I%s/runtime/include\n"
               "include %s/compiler/actr.mk\n"
               "all: main.o $(ACTR_OBJS)\n"
               "main.o: main.c | $(ACTR_GEN_H)\n"
               "\t$(CC) $(ACTR_CFLAGS) -I$(ACTR_GEN_DIR) -c -o $@ $<\n", actrc(), TOP, TOP);
    fclose(f);

    int rc = run(&out, "make -C %s -j2 all", tmp);
    ck_assert_msg(rc == 0, "make: %s", out);
    free(out);
    snprintf(path, sizeof path, "%s/gen/mkuser.actor.d", tmp);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/gen/mkbase.actor.o", tmp);
    ck_assert_int_eq(stat(path, &st), 0);

    /* Editing the imported file regenerates its importer too. */
    snprintf(path, sizeof path, "%s/proto/mkbase.actor", tmp);
    put(path, "module mkbase;\nstruct Id { v: u64; tag: string?; }\n");
    rc = run(&out, "make -C %s all", tmp);
    ck_assert_msg(rc == 0, "make: %s", out);
    ck_assert_msg(strstr(out, "proto/mkuser.actor") != NULL && strstr(out, "proto/mkbase.actor"),
                  "not regenerated:\n%s", out);
    free(out);
    drop_tmp();
}
END_TEST

/* The IDL example the README shows compiles as it stands. */
START_TEST(test_readme_example_compiles)
{
    char *out;
    make_tmp();
    int rc = run(&out, "sed -n '/^## An IDL example/,/^## /p' README.md | "
                 "sed -n '/^```$/,/^```$/p' | sed '1d;$d' > %s/ticker.actor && "
                 "grep -q '^module ticker;' %s/ticker.actor && %s -o %s %s/ticker.actor",
                 tmp, tmp, actrc(), tmp, tmp);
    ck_assert_msg(rc == 0, "README example: %s", out);
    free(out);
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/ticker.actor.h", tmp);
    ck_assert_int_eq(stat(path, &st), 0);
    drop_tmp();
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("actrc");
    TCase *out = tcase_create("output");
    tcase_set_timeout(out, 120);
    tcase_add_test(out, test_golden_outputs);
    tcase_add_test(out, test_deterministic_and_rewritten_only_on_change);
    tcase_add_test(out, test_dependency_rule);
    tcase_add_test(out, test_command_line);
    tcase_add_test(out, test_generated_code_compiles_pedantic);
    tcase_add_test(out, test_actr_mk_tracks_imports);
    tcase_add_test(out, test_readme_example_compiles);
    tcase_add_test(out, test_11b_runtime_modules_only_from_R_dirs);
    tcase_add_test(out, test_11b_libactr_exports_only_public_names);
    suite_add_tcase(s, out);

    TCase *dg = tcase_create("diagnostics");
    tcase_set_timeout(dg, 60);
    tcase_add_loop_test(dg, test_diagnostic, 0, (int)(sizeof diags / sizeof diags[0]));
    tcase_add_test(dg, test_several_errors_reported_in_one_run);
    tcase_add_test(dg, test_hostile_input_never_crashes);
    suite_add_tcase(s, dg);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
