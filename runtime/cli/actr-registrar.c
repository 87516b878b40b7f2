/* actr-registrar: a stand-alone registrar (S19).
 *
 *   actr-registrar --listen URL [URL...] [--loglevel LEVEL] [--name NAME]
 *
 * Listens on every URL (tcp://host:port, unix:///path; port 0 takes any
 * free port), prints one "listening on URL" line per address on stdout,
 * logs every registration and removal (level info), and stops cleanly on
 * SIGTERM or SIGINT. Exits 0 after a clean stop, 1 when it cannot start
 * (an address taken, a bad URL), 2 on a usage error. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <actr/actr.h>

static void
usage(FILE *f)
{
    fprintf(f, "usage: actr-registrar --listen URL [URL...] [--loglevel LEVEL] [--name NAME]\n"
               "  URL: tcp://HOST:PORT (PORT 0: any free port) or unix:///PATH\n"
               "  Serves the registry calls; stops on SIGTERM or SIGINT.\n");
}

static int
serve(actr_actor *self, void *arg)
{
    int sfd = *(int *)arg;
    for (size_t i = 0; i < actr_actor_naddrs(self); i++) {
        char url[ACTR_ADDR_URL_MAX];
        if (actr_actor_addr(self, i, url, sizeof url) >= 0)
            printf("actr-registrar: listening on %s\n", url);
    }
    printf("actr-registrar: ready (%s.%s, pid %d)\n", actr_actor_name(self),
           actr_actor_uuid(self), (int)getpid());
    fflush(stdout);
    for (;;) {
        int rc = actr_fd_wait(sfd, ACTR_READ, ACTR_FOREVER);
        if (rc < 0)
            return rc == ACTR_ECANCELED ? 0 : rc;
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            actr_log_info("registrar", "stopping on %s", strsignal((int)si.ssi_signo));
            return 0;
        }
    }
}

int
main(int argc, char **argv)
{
    const char **listen = calloc((size_t)argc, sizeof *listen);
    size_t nlisten = 0;
    const char *name = "registrar";
    int level = 0;
    if (!listen)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                listen[nlisten++] = argv[++i];
        } else if (strcmp(argv[i], "--loglevel") == 0 && i + 1 < argc) {
            if (actr_log_parse_level(argv[++i], &level) < 0) {
                fprintf(stderr, "actr-registrar: unknown log level \"%s\"\n", argv[i]);
                free(listen);
                return 2;
            }
        } else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            free(listen);
            return 0;
        } else {
            fprintf(stderr, "actr-registrar: unexpected argument \"%s\"\n", argv[i]);
            usage(stderr);
            free(listen);
            return 2;
        }
    }
    if (nlisten == 0) {
        fprintf(stderr, "actr-registrar: --listen needs at least one address\n");
        usage(stderr);
        free(listen);
        return 2;
    }
    /* Signals arrive through a descriptor the main task waits on. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        perror("actr-registrar: signalfd");
        free(listen);
        return 1;
    }
    if (level == 0 && !actr_env_get(ACTR_ENV_LOGLEVEL))
        level = ACTR_LOG_INFO;          /* registrations are what it is for */
    actr_actor_opts o = {.name = name, .listen = listen, .nlisten = nlisten, .loglevel = level};
    char *args[] = {argv[0], NULL};
    int rc = actr_main_role(1, args, &o, ACTR_ROLE_REGISTRAR, serve, &sfd);
    close(sfd);
    free(listen);
    if (rc < 0) {
        fprintf(stderr, "actr-registrar: %s (%s)\n", actr_last_error()->message ?
                actr_last_error()->message : actr_strerror(rc), actr_strerror(rc));
        return 1;
    }
    return 0;
}
