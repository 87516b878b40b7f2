/* workers: a job farm with flow control (S27). The root actor spawns
 * NWORKERS workers (this program in child mode), opens one `count`
 * context on each, and feeds them the lines of a text, line i to worker
 * i % NWORKERS, as fast as it can. The workers stream back what they
 * counted per line. The IDL's `window 64` holds every sender back when
 * its receiver is 64 messages behind, so nothing is ever dropped, on
 * every run, without a line of credit code here. The root checks the
 * workers' totals against its own count of the same text.
 *
 * usage: workers [FILE]   (default: a generated text of NLINES lines) */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/actr.h>

#include "workers.actor.h"

#define NWORKERS 3
#define NLINES 20000

/* ================================================= worker (callee side) */

static workers_counts
count_line(uint64_t no, const char *s)
{
    workers_counts c = {.line = no};
    int in_word = 0;
    for (; *s; s++) {
        int letter = isalpha((unsigned char)*s);
        c.letters += letter != 0;
        if (!isspace((unsigned char)*s) && !in_word)
            c.words++;
        in_word = !isspace((unsigned char)*s);
    }
    return c;
}

int
workers_count_impl(workers_count_call *call, uint64_t *out)
{
    int rc = workers_count_call_started(call);
    actr_str line;
    uint64_t no = 0;
    /* Each line arrives as "<number> <text>". */
    while (rc == 0 && (rc = workers_count_call_recv(call, &line)) == 0) {
        char *text = strchr(line.ptr, ' ');
        no = strtoull(line.ptr, NULL, 10);
        workers_counts c = count_line(no, text ? text + 1 : "");
        rc = workers_count_call_send(call, &c);
        actr_str_free(&line);
        /* A real worker is slower than its feeder now and then (a disk, a
         * lock): the feeder runs ahead, and only the window stops it. */
        if (rc == 0 && ++*out % 1000 == 0)
            rc = actr_sleep(2);
    }
    return rc == ACTR_EPIPE ? 0 : rc;
}

/* ================================================= the text */

struct text {
    char **lines;
    size_t n;
};

/* A deterministic text: NLINES lines of pseudo-random words. */
static int
make_text(struct text *t)
{
    static const char *const words[] = {"actor", "stream", "window", "credit", "cancel",
                                        "nursery", "portal", "context", "fiber", "loop"};
    t->n = NLINES;
    if (!(t->lines = calloc(t->n, sizeof *t->lines)))
        return ACTR_ENOMEM;
    uint32_t x = 12345;
    for (size_t i = 0; i < t->n; i++) {
        char buf[256] = "";
        size_t len = 0;
        int k = 1 + (int)(i % 9);
        for (int w = 0; w < k; w++) {
            x = x * 1103515245u + 12345u;
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", w ? " " : "",
                                    words[(x >> 16) % 10]);
        }
        if (!(t->lines[i] = strdup(buf)))
            return ACTR_ENOMEM;
    }
    return 0;
}

static int
read_text(struct text *t, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return actr_error_set(ACTR_ENOTFOUND, "cannot open %s", path);
    char buf[4096];
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        if (t->n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **v = realloc(t->lines, cap * sizeof *v);
            if (!v) {
                rc = ACTR_ENOMEM;
                break;
            }
            t->lines = v;
        }
        if (!(t->lines[t->n] = strdup(buf)))
            rc = ACTR_ENOMEM;
        else
            t->n++;
    }
    fclose(f);
    return rc;
}

static void
free_text(struct text *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->lines[i]);
    free(t->lines);
}

/* ================================================= root: the farm */

struct farm {
    const struct text *text;
    actr_portal *worker;
    int index;
    workers_count *c;
    uint64_t words, letters, results;   /* what came back */
    uint64_t lines;                     /* the worker's own count */
};

/* Reads the worker's results until its stream ends. */
static int
collect(void *arg)
{
    struct farm *f = arg;
    workers_counts r;
    int rc;
    while ((rc = workers_count_recv(f->c, &r)) == 0) {
        if (r.line % NWORKERS != (uint64_t)f->index)
            return actr_error_set(ACTR_EPROTO, "worker-%d counted line %llu", f->index,
                                  (unsigned long long)r.line);
        f->words += r.words;
        f->letters += r.letters;
        f->results++;
    }
    return rc == ACTR_EPIPE ? 0 : rc;
}

/* Sends this worker its lines as fast as the window allows, while
 * collect() reads what comes back. */
static int
feed(void *arg)
{
    struct farm *f = arg;
    int rc = workers_count_open(f->worker, NULL, &f->c);
    if (rc < 0)
        return rc;
    actr_nursery *n;
    if ((rc = actr_nursery_open(&n)) == 0) {
        rc = actr_nursery_spawn(n, collect, f);
        char buf[4200];
        for (size_t i = (size_t)f->index; rc == 0 && i < f->text->n; i += NWORKERS) {
            snprintf(buf, sizeof buf, "%zu %s", i, f->text->lines[i]);
            rc = workers_count_send(f->c, actr_str_from(buf));
        }
        if (rc == 0)
            rc = workers_count_done(f->c);
        int crc = actr_nursery_close(n, ACTR_FOREVER);
        rc = rc < 0 ? rc : crc;
    }
    if (rc == 0)
        rc = workers_count_result(f->c, &f->lines);
    int crc = workers_count_close(f->c);
    return rc < 0 ? rc : crc;
}

static int
farm_out(const struct text *t, actr_portal *const *workers)
{
    struct farm f[NWORKERS];
    actr_nursery *n;
    int rc = actr_nursery_open(&n);
    if (rc < 0)
        return rc;
    for (int i = 0; i < NWORKERS && rc == 0; i++) {
        f[i] = (struct farm){t, workers[i], i, NULL, 0, 0, 0, 0};
        rc = actr_nursery_spawn(n, feed, &f[i]);
    }
    int crc = actr_nursery_close(n, ACTR_FOREVER);
    if (rc < 0 || crc < 0)
        return rc < 0 ? rc : crc;
    /* The same count, here: the farm must agree with it exactly. */
    uint64_t words = 0, letters = 0, got_words = 0, got_letters = 0, results = 0;
    for (size_t i = 0; i < t->n; i++) {
        workers_counts c = count_line(i, t->lines[i]);
        words += c.words;
        letters += c.letters;
    }
    for (int i = 0; i < NWORKERS; i++) {
        printf("worker-%d counted %llu lines\n", i, (unsigned long long)f[i].lines);
        got_words += f[i].words;
        got_letters += f[i].letters;
        results += f[i].results;
    }
    printf("%llu lines, %llu words, %llu letters\n", (unsigned long long)results,
           (unsigned long long)got_words, (unsigned long long)got_letters);
    if (results != t->n || got_words != words || got_letters != letters)
        return actr_error_set(ACTR_EPROTO, "the farm counted %llu words, the root %llu",
                              (unsigned long long)got_words, (unsigned long long)words);
    printf("matches the root's own count\n");
    return 0;
}

static int
root(actr_actor *self, void *arg)
{
    (void)self;
    const char *path = arg;
    struct text t = {0};
    int rc = path ? read_text(&t, path) : make_text(&t);
    const char *enable[] = {"workers"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_actor_nursery *an = NULL;
    actr_portal *workers[NWORKERS];
    if (rc == 0)
        rc = actr_actor_nursery_open(&an);
    for (int i = 0; i < NWORKERS && rc == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "worker-%d", i);
        rc = actr_actor_nursery_start(an, name, &so, &workers[i]);
    }
    if (rc == 0)
        rc = farm_out(&t, workers);
    if (rc < 0)
        fprintf(stderr, "workers: %s (%s)\n", actr_strerror(rc), actr_last_error()->message);
    int crc = an ? actr_actor_nursery_close(an) : 0;
    free_text(&t);
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    const actr_module *mods[] = {&workers_module};
    actr_actor_opts o = {.name = "farm", .modules = mods, .nmodules = 1};
    const char *path = argc == 2 && !actr_is_child(argc, argv) ? argv[1] : NULL;
    return actr_main(argc, argv, &o, root, (void *)path) < 0;
}
