/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_utf8.h
 * @brief UTF-8 validation (RFC 3629): what request bodies must be and
 * what database text must be before it goes into a JSON reply.
 *
 * Valid means no overlong forms, no surrogates (U+D800..U+DFFF) and
 * nothing above U+10FFFF.  A NUL is a valid (ASCII) character here;
 * callers that cannot hold one refuse it themselves.
 */
#ifndef KD_UTF8_H
#define KD_UTF8_H

#include <stddef.h>

/** @return 1 if the n bytes at s are valid UTF-8, else 0. */
int kd_utf8_valid(const char *s, size_t n);

/** @return strlen(s) when the NUL-terminated s is valid UTF-8, else -1. */
long kd_utf8_len(const char *s);

#endif /* KD_UTF8_H */
