/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_passwd.h
 * @brief The password formats WHMCS has stored, verified in constant time.
 *
 * No httpd or APR types cross this API (unit-tested alone).
 */
#ifndef KD_PASSWD_H
#define KD_PASSWD_H

#include <stddef.h>

/** Longest password accepted; bcrypt reads 72 bytes, we refuse more. */
#define KD_PW_MAX_LEN 72
/** Buffer size for a bcrypt hash string, NUL included. */
#define KD_PW_HASH_SIZE 64

typedef enum {
    KD_PW_UNKNOWN = 0,          /* never matches */
    KD_PW_BCRYPT,               /* $2y$ / $2a$ / $2b$ / $2x$ */
    KD_PW_HMAC_SHA256,          /* hex(hmac_sha256(key, pw)) ":" key */
    KD_PW_MD5_SALT,             /* hex(md5(salt . pw)) ":" salt */
    KD_PW_MD5                   /* hex(md5(pw)) */
} kd_pw_format;

/** Which format a stored value has (WHMCS's own classification). */
kd_pw_format kd_pw_format_of(const char *stored);

/**
 * @return 1 when password (pwlen bytes, no NUL inside) matches stored,
 * else 0.  Stored values of 16 bytes or less never match.  Comparisons
 * are constant time.
 */
int kd_pw_verify(const char *password, size_t pwlen, const char *stored);

/**
 * Burn about the time of one bcrypt verification at the given cost, for
 * unknown accounts, so timing does not tell them from wrong passwords.
 */
void kd_pw_dummy_verify(const char *password, size_t pwlen, int cost);

/**
 * @return 1 when stored should be replaced by a fresh bcrypt hash (any
 * legacy format), else 0.
 */
int kd_pw_needs_rehash(const char *stored);

/**
 * Hash password with bcrypt ($2y$, as PHP's password_hash) at the cost
 * given (4..31) into out (KD_PW_HASH_SIZE bytes).
 * @return 0, or -1 on failure (no randomness, bad cost).
 */
int kd_pw_bcrypt(char *out, const char *password, size_t pwlen, int cost);

#endif /* KD_PASSWD_H */
