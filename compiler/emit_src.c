/* The C emitter, source half: the constant descriptors. */
#include "emit.h"

#include <string.h>

static void
emit_fields(strbuf *b, const decl *d)
{
    if (d->fields == NULL)
        return;
    sb_printf(b, "static const actr_field %s_fields[] = {\n", d->cname);
    for (field *f = d->fields; f != NULL; f = f->next) {
        sb_puts(b, "    {");
        emit_cstring(b, f->wire);
        sb_printf(b, ", offsetof(%s, %s), %s},\n", d->cname, f->name, f->type->cdesc);
    }
    sb_puts(b, "};\n\n");
}

static void
emit_struct_type(strbuf *b, const decl *d, const char *idl_name)
{
    emit_fields(b, d);
    sb_printf(b, "const actr_type %s_type = {\n    .kind = ACTR_KIND_STRUCT,\n", d->cname);
    if (d->array)
        sb_puts(b, "    .flags = ACTR_TYPE_ARRAY,\n");
    sb_puts(b, "    .name = ");
    emit_cstring(b, idl_name);
    sb_printf(b, ",\n    .size = sizeof(%s),\n", d->cname);
    if (d->fields != NULL)
        sb_printf(b, "    .fields = %s_fields,\n    .count = %d,\n", d->cname, d->nfields);
    sb_puts(b, "};\n");
}

static void
emit_enum_type(strbuf *b, const decl *d)
{
    sb_printf(b, "static const char *const %s_members[] = {\n", d->cname);
    for (member *m = d->members; m != NULL; m = m->next) {
        sb_puts(b, "    ");
        emit_cstring(b, m->wire);
        sb_puts(b, ",\n");
    }
    sb_printf(b, "};\n\nconst actr_type %s_type = {\n    .kind = ACTR_KIND_ENUM,\n    .name = ",
              d->cname);
    emit_cstring(b, d->name);
    sb_printf(b, ",\n    .size = sizeof(%s),\n    .members = %s_members,\n    .count = %d,\n};\n",
              d->cname, d->cname, d->nmembers);
}

static void
emit_comp_type(strbuf *b, const comp *k)
{
    static const char *const kinds[] = {[TY_LIST] = "LIST", [TY_MAP] = "MAP",
                                        [TY_OPT] = "OPTIONAL"};
    sb_printf(b, "\nconst actr_type %s_type = {\n    .kind = ACTR_KIND_%s,\n", k->cname,
              kinds[k->form]);
    if (k->boxed)
        sb_puts(b, "    .flags = ACTR_TYPE_BOXED,\n");
    sb_puts(b, "    .name = ");
    emit_cstring(b, k->key);
    if (k->boxed)
        sb_printf(b, ",\n    .size = sizeof(%s *),\n", k->elem->ctype);
    else
        sb_printf(b, ",\n    .size = sizeof(%s),\n", k->cname);
    sb_printf(b, "    .elem = %s,\n", k->elem->cdesc);
    if (k->form == TY_MAP)
        sb_printf(b, "    .entry_size = sizeof(%s_entry),\n"
                  "    .value_offset = offsetof(%s_entry, value),\n", k->cname, k->cname);
    else if (k->form == TY_OPT && !k->boxed)
        sb_printf(b, "    .value_offset = offsetof(%s, value),\n", k->cname);
    sb_puts(b, "};\n");
}

static void
emit_type_field(strbuf *b, const char *what, const typeref *t)
{
    if (t != NULL)
        sb_printf(b, "        .%s = %s,\n", what, t->cdesc);
}

static void
emit_endpoint(strbuf *b, const module *m, const decl *d, arena *a)
{
    static const char *const kinds[] = {[D_FN] = "FN", [D_GEN] = "GEN",
                                        [D_CONTEXT] = "CONTEXT"};
    sb_puts(b, "    {\n        .name = ");
    emit_cstring(b, d->name);
    sb_puts(b, ",\n        .func = ");
    emit_cstring(b, d->wire);
    sb_puts(b, ",\n        .wire_name = ");
    strbuf w = {0};
    sb_printf(&w, "%s:%s", m->ns, d->wire);
    emit_cstring(b, w.ptr);
    sb_free(&w);
    sb_printf(b, ",\n        .kind = ACTR_ENDPOINT_%s,\n", kinds[d->kind]);
    if (d->fields != NULL)
        sb_printf(b, "        .params = %.*s_params,\n        .nparams = %d,\n",
                  (int)(strlen(d->cname) - 5), d->cname, d->nfields);
    sb_printf(b, "        .args = &%s_type,\n", d->cname);
    emit_type_field(b, "result", d->result);
    emit_type_field(b, "yield", d->yield);
    emit_type_field(b, "started", d->started);
    emit_type_field(b, "stream_out", d->stream_out);
    emit_type_field(b, "stream_in", d->stream_in);
    sb_printf(b, "        .invoke = %s,\n", emit_invoke_name(m, d, a));
    if (d->window > 0)
        sb_printf(b, "        .window = %u,\n", (unsigned)d->window);
    sb_puts(b, "    },\n");
}

char *
emit_source(module *m, arena *a, size_t *len)
{
    strbuf b = {0};
    int ntypes = 0, neps = 0;

    emit_banner(&b, m);
    if (m->runtime)     /* actr's own module: this file is part of libactr */
        sb_puts(&b, "#ifndef ACTR_BUILDING_LIB\n#define ACTR_BUILDING_LIB\n#endif\n");
    sb_printf(&b, "#include \"%s.actor.h\"\n", m->name);
    for (decl *d = m->decls; d != NULL; d = d->next) {
        sb_puts(&b, "\n/* ------------------------------------------------------------ ");
        if (d->kind >= D_FN) {
            sb_printf(&b, "%s arguments */\n\n", d->name);
            if (d->fields != NULL) {
                sb_printf(&b, "static const char *const %.*s_params[] = {",
                          (int)(strlen(d->cname) - 5), d->cname);
                for (field *f = d->fields; f != NULL; f = f->next) {
                    sb_puts(&b, f == d->fields ? "" : ", ");
                    emit_cstring(&b, f->wire);
                }
                sb_puts(&b, "};\n\n");
            }
            emit_struct_type(&b, d, d->name);
            neps++;
        } else {
            emit_comment_text(&b, d->name);
            sb_puts(&b, " */\n\n");
            if (d->kind == D_ENUM)
                emit_enum_type(&b, d);
            else
                emit_struct_type(&b, d, d->name);
            ntypes++;
        }
    }
    if (m->comps != NULL)
        sb_puts(&b, "\n/* ------------------------------------------------------------ "
                    "composite types */\n");
    for (comp *k = m->comps; k != NULL; k = k->next)
        emit_comp_type(&b, k);

    if (neps > 0)
        emit_stub_source(&b, m, a);

    sb_puts(&b, "\n/* ------------------------------------------------------------ module */\n");
    if (neps > 0) {
        sb_printf(&b, "\nstatic const actr_endpoint %s_endpoints[] = {\n", m->name);
        for (decl *d = m->decls; d != NULL; d = d->next)
            if (d->kind >= D_FN)
                emit_endpoint(&b, m, d, a);
        sb_puts(&b, "};\n");
    }
    if (ntypes > 0) {
        sb_printf(&b, "\nstatic const actr_type *const %s_types[] = {\n", m->name);
        for (decl *d = m->decls; d != NULL; d = d->next)
            if (d->kind == D_STRUCT || d->kind == D_ENUM)
                sb_printf(&b, "    &%s_type,\n", d->cname);
        sb_puts(&b, "};\n");
    }
    sb_printf(&b, "\nconst actr_module %s_module = {\n    .name = ", m->name);
    emit_cstring(&b, m->name);
    sb_puts(&b, ",\n    .ns = ");
    emit_cstring(&b, m->ns);
    sb_puts(&b, ",\n    .source = ");
    emit_cstring(&b, m->file->path);
    sb_puts(&b, ",\n");
    if (neps > 0)
        sb_printf(&b, "    .endpoints = %s_endpoints,\n    .nendpoints = %d,\n", m->name, neps);
    if (ntypes > 0)
        sb_printf(&b, "    .types = %s_types,\n    .ntypes = %d,\n", m->name, ntypes);
    sb_puts(&b, "};\n");
    return sb_take(&b, len);
}
