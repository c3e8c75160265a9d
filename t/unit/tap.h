/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * tap.h: a tiny Test Anything Protocol producer for the unit tests.
 *
 * Each test program includes it once.  The functions are static inline so
 * that a program using only some of them compiles without warnings.
 */
#ifndef KD_TAP_H
#define KD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failures;
static int tap_planned = -1;

/* Announce n tests up front (optional: done_testing() prints it after). */
static inline void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

/* A "# " comment line, for context on failures. */
static inline void diag(const char *fmt, ...)
{
    va_list ap;

    fputs("# ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static inline int tap_ok(int cond, const char *name, const char *file,
                         int line)
{
    tap_count++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_count,
           name != NULL ? name : "");
    if (!cond) {
        tap_failures++;
        printf("#   Failed test '%s'\n#   at %s line %d.\n",
               name != NULL ? name : "", file, line);
    }
    fflush(stdout);
    return cond;
}

static inline int tap_is_int(long long got, long long want,
                             const char *name, const char *file, int line)
{
    int cond = got == want;

    tap_ok(cond, name, file, line);
    if (!cond) {
        printf("#          got: %lld\n#     expected: %lld\n", got, want);
    }
    return cond;
}

static inline int tap_is_str(const char *got, const char *want,
                             const char *name, const char *file, int line)
{
    int cond = (got == NULL && want == NULL)
               || (got != NULL && want != NULL && strcmp(got, want) == 0);

    tap_ok(cond, name, file, line);
    if (!cond) {
        printf("#          got: %s%s%s\n#     expected: %s%s%s\n",
               got ? "'" : "", got ? got : "NULL", got ? "'" : "",
               want ? "'" : "", want ? want : "NULL", want ? "'" : "");
    }
    return cond;
}

static inline int tap_is_mem(const void *got, size_t gotlen,
                             const void *want, size_t wantlen,
                             const char *name, const char *file, int line)
{
    int cond = gotlen == wantlen
               && (gotlen == 0 || memcmp(got, want, gotlen) == 0);

    tap_ok(cond, name, file, line);
    if (!cond) {
        printf("#     lengths: got %zu, expected %zu\n", gotlen, wantlen);
    }
    return cond;
}

#define ok(cond, name) tap_ok((cond) != 0, (name), __FILE__, __LINE__)
#define is_int(got, want, name) \
    tap_is_int((long long)(got), (long long)(want), (name), __FILE__, \
               __LINE__)
#define is_str(got, want, name) \
    tap_is_str((got), (want), (name), __FILE__, __LINE__)
#define is_mem(got, gotlen, want, wantlen, name) \
    tap_is_mem((got), (gotlen), (want), (wantlen), (name), __FILE__, \
               __LINE__)

/*
 * Print the plan if none was given and return the exit status: nonzero
 * when a test failed or the count differs from the plan.
 */
static inline int done_testing(void)
{
    if (tap_planned < 0) {
        printf("1..%d\n", tap_count);
    }
    else if (tap_planned != tap_count) {
        printf("# Planned %d tests but ran %d.\n", tap_planned, tap_count);
        return 1;
    }
    if (tap_failures > 0) {
        printf("# Looks like you failed %d test%s of %d.\n", tap_failures,
               tap_failures == 1 ? "" : "s", tap_count);
        return 1;
    }
    return 0;
}

#endif /* KD_TAP_H */
