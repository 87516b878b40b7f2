/* actr/api.h: export and attribute macros shared by every public header.
 * Public headers are strict C11 and compile from C++ as well. */
#ifndef ACTR_API_H
#define ACTR_API_H

/* Marks a symbol exported from libactr.so; the library is built with
 * -fvisibility=hidden, so anything without it stays internal. */
#if defined(__GNUC__) || defined(__clang__)
#define ACTR_API __attribute__((visibility("default")))
#else
#define ACTR_API
#endif

/* Marks a function whose negative return code must be checked. */
#if defined(__GNUC__) || defined(__clang__)
#define ACTR_NODISCARD __attribute__((warn_unused_result))
#else
#define ACTR_NODISCARD
#endif

/* printf-style format checking for logging helpers. */
#if defined(__GNUC__) || defined(__clang__)
#define ACTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define ACTR_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
#define ACTR_BEGIN_DECLS extern "C" {
#define ACTR_END_DECLS }
#else
#define ACTR_BEGIN_DECLS
#define ACTR_END_DECLS
#endif

/* Version of the contract between actrc's output and libactr. Generated
 * headers refuse to compile against a library with another ABI number. */
#define ACTR_GEN_ABI 1

#define ACTR_VERSION "0.1.0"

#endif
