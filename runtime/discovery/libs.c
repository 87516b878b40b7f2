/* libcurl and libcrypto, opened on first use (discovery/libs.h). */
#define _GNU_SOURCE
#include "discovery/libs.h"

#include <dlfcn.h>
#include <stddef.h>

#include <actr/actr.h>

#ifndef DISC_LIBCURL
#define DISC_LIBCURL "libcurl.so.4"
#endif
#ifndef DISC_LIBCRYPTO
#define DISC_LIBCRYPTO "libcrypto.so.3"
#endif

static struct disc_libs L;
static int loaded;

/* (dlsym hands back an object pointer; POSIX guarantees it converts) */
#define SYM(h, field, name)                                                  \
    do {                                                                     \
        void *p_ = dlsym(h, name);                                           \
        if (!p_)                                                             \
            return missing(name);                                            \
        *(void **)&L.field = p_;                                             \
    } while (0)

static int
missing(const char *what)
{
    const char *why = dlerror();
    return actr_error_set(ACTR_ENOTSUP, "discovery on etcd needs %s (%s, %s): %s", what,
                          DISC_LIBCURL, DISC_LIBCRYPTO, why ? why : "not found");
}

static int
load(void)
{
    void *curl = dlopen(DISC_LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (!curl)
        return missing(DISC_LIBCURL);
    SYM(curl, global_init, "curl_global_init");
    SYM(curl, easy_init, "curl_easy_init");
    SYM(curl, easy_setopt, "curl_easy_setopt");
    SYM(curl, easy_getinfo, "curl_easy_getinfo");
    SYM(curl, easy_cleanup, "curl_easy_cleanup");
    SYM(curl, easy_strerror, "curl_easy_strerror");
    SYM(curl, slist_append, "curl_slist_append");
    SYM(curl, slist_free_all, "curl_slist_free_all");
    SYM(curl, multi_init, "curl_multi_init");
    SYM(curl, multi_setopt, "curl_multi_setopt");
    SYM(curl, multi_add_handle, "curl_multi_add_handle");
    SYM(curl, multi_remove_handle, "curl_multi_remove_handle");
    SYM(curl, multi_socket_action, "curl_multi_socket_action");
    SYM(curl, multi_assign, "curl_multi_assign");
    SYM(curl, multi_info_read, "curl_multi_info_read");
    SYM(curl, multi_cleanup, "curl_multi_cleanup");
    SYM(curl, multi_strerror, "curl_multi_strerror");
    void *crypto = dlopen(DISC_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);
    if (!crypto)
        return missing(DISC_LIBCRYPTO);
    SYM(crypto, EVP_EncodeBlock, "EVP_EncodeBlock");
    SYM(crypto, EVP_DecodeBlock, "EVP_DecodeBlock");
    if (L.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return actr_error_set(ACTR_ENOTSUP, "discovery on etcd: libcurl did not initialise");
    return 0;
}

int
disc_libs(const struct disc_libs **out)
{
    if (!loaded) {
        int rc = load();
        if (rc < 0)
            return rc;
        loaded = 1;
    }
    *out = &L;
    return 0;
}
