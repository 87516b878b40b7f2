/* Naming rules: snake case, keywords, reserved identifiers. */
#include "names.h"

#include <ctype.h>
#include <string.h>

#include "ast.h"

static const char *const scalar_names[] = {
    [SC_BOOL] = "bool", [SC_I8] = "i8", [SC_I16] = "i16", [SC_I32] = "i32",
    [SC_I64] = "i64", [SC_U8] = "u8", [SC_U16] = "u16", [SC_U32] = "u32",
    [SC_U64] = "u64", [SC_F32] = "f32", [SC_F64] = "f64", [SC_STRING] = "string",
    [SC_BYTES] = "bytes", [SC_ANY] = "any",
};

const char *
scalar_name(scalar s)
{
    return s >= SC_BOOL && s <= SC_ANY ? scalar_names[s] : "?";
}

scalar
scalar_lookup(const char *s, size_t n)
{
    for (int i = SC_BOOL; i <= SC_ANY; i++)
        if (strlen(scalar_names[i]) == n && memcmp(scalar_names[i], s, n) == 0)
            return (scalar)i;
    return 0;
}

char *
name_snake(arena *a, const char *s)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, 2 * n + 1);
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c) && i > 0) {
            unsigned char prev = (unsigned char)s[i - 1];
            unsigned char next = (unsigned char)s[i + 1];
            if (islower(prev) || isdigit(prev) || (isupper(prev) && islower(next)))
                out[o++] = '_';
        }
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
    return out;
}

char *
name_upper(arena *a, const char *s)
{
    char *out = arena_strdup(a, s);
    for (char *p = out; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return out;
}

const char *
name_shape_error(const char *s)
{
    size_t n = strlen(s);
    if (s[0] == '_')
        return "starts with '_' (reserved in C; use `as \"...\"` for such a wire name)";
    if (strstr(s, "__") != NULL)
        return "contains '__' (reserved in C++)";
    if (n > 0 && s[n - 1] == '_')
        return "ends with '_' (generated names would contain '__')";
    if (n > 64)
        return "is longer than 64 characters";
    return NULL;
}

static const char *const reserved[] = {
    /* C11 */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    /* C++ (generated headers are included from C++) */
    "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "bool", "catch",
    "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const_cast",
    "consteval", "constexpr", "constinit", "co_await", "co_return", "co_yield",
    "decltype", "delete", "dynamic_cast", "explicit", "export", "false", "friend",
    "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr", "operator",
    "or", "or_eq", "private", "protected", "public", "reinterpret_cast", "requires",
    "static_assert", "static_cast", "template", "this", "thread_local", "throw", "true",
    "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
    /* macros of the C library and of gcc in GNU modes */
    "NULL", "errno", "assert", "offsetof", "EOF", "stdin", "stdout", "stderr",
    "complex", "imaginary", "noreturn", "unix", "linux", "i386",
    /* types the generated code names */
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "size_t",
};

int
name_is_reserved(const char *s)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(reserved[i], s) == 0)
            return 1;
    return 0;
}

size_t
name_endpoint_suffixes(const decl *d, const char **sfx, size_t cap)
{
    static const char *const fn[] = {"", "_impl", "_invoke", "_run", "_run_result",
                                     "_endpoint"};
    static const char *const gen[] = {"", "_open", "_recv", "_close", "_base", "_impl",
                                      "_invoke", "_call", "_call_yield", "_call_base",
                                      "_endpoint", "_subscribe", "_sub", "_sub_recv",
                                      "_sub_close", "_sub_base"};
    static const char *const ctx[] = {"", "_open", "_result", "_cancel", "_close", "_base",
                                      "_impl", "_invoke", "_call", "_call_started",
                                      "_call_base", "_endpoint", "_start_service",
                                      "_request_service", "_gather", "_group_get"};
    static const char *const stream[] = {"_send", "_recv", "_done", "_call_send",
                                         "_call_recv", "_call_done", "_subscribe", "_sub",
                                         "_sub_recv", "_sub_send", "_sub_close", "_sub_base"};
    const char *const *v = d->kind == D_FN ? fn : d->kind == D_GEN ? gen : ctx;
    size_t nv = d->kind == D_FN ? sizeof fn / sizeof fn[0]
              : d->kind == D_GEN ? sizeof gen / sizeof gen[0] : sizeof ctx / sizeof ctx[0];
    size_t n = 0;
    for (size_t i = 0; i < nv; i++, n++)
        if (n < cap)
            sfx[n] = v[i];
    if (d->kind == D_CONTEXT && d->stream_out != NULL)
        for (size_t i = 0; i < sizeof stream / sizeof stream[0]; i++, n++)
            if (n < cap)
                sfx[n] = stream[i];
    return n;
}
