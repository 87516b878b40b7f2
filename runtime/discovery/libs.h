/* discovery/libs.h: libcurl and libcrypto, loaded on first use. Private.
 *
 * Linked normally, libcurl's tree of dependencies (TLS, Kerberos, LDAP,
 * ssh, ...) costs every actor process about 4 ms at exec, etcd or not
 * (spawn to first call went from 1.5 to 5.6 ms). So the etcd backend
 * opens them with dlopen the first time it needs them, by the sonames
 * the build found (DISC_LIBCURL, DISC_LIBCRYPTO), and calls them through
 * this table. */
#ifndef ACTR_DISCOVERY_LIBS_H
#define ACTR_DISCOVERY_LIBS_H

#include <curl/curl.h>

struct disc_libs {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
    CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *e);
    const char *(*easy_strerror)(CURLcode c);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev, int *running);
    CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_cleanup)(CURLM *m);
    const char *(*multi_strerror)(CURLMcode c);
    /* OpenSSL's base64 */
    int (*EVP_EncodeBlock)(unsigned char *t, const unsigned char *f, int n);
    int (*EVP_DecodeBlock)(unsigned char *t, const unsigned char *f, int n);
};

/* The libraries, loaded (once per process) and initialised: 0 and *out,
 * or ACTR_ENOTSUP naming the library that is missing. Does not block
 * beyond loading them. */
int disc_libs(const struct disc_libs **out);

#endif
