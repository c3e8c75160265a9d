/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * kd_passwd.c: the password hashes WHMCS has stored over the years.
 *
 * bcrypt (PHP password_hash) is verified with libxcrypt; the legacy
 * formats are recomputed with libcrypto and compared as lowercase hex in
 * constant time.  Every refusal is "no match": callers only learn 0/1.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "kd_passwd.h"

/* "$2y$" "10" "$" + 22 salt + 31 hash characters. */
#define BCRYPT_LEN 60

/* Hex digest lengths of the legacy formats. */
#define MD5_HEX 32
#define SHA256_HEX 64

/*
 * A fixed salt for kd_pw_dummy_verify.  Its last character encodes
 * zero unused bits, so every bcrypt implementation takes it as is.
 */
static const char dummy_salt[] = "abcdefghijklmnopqrstuu";

/* n characters of [a-f0-9], as WHMCS's patterns (lowercase only). */
static int is_lower_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static int is_bcrypt_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

/* $2a$ / $2b$ / $2x$ / $2y$, two cost digits, 53 salt and hash chars. */
static int is_bcrypt(const char *s, size_t n)
{
    size_t i;

    if (n != BCRYPT_LEN || s[0] != '$' || s[1] != '2'
        || (s[2] != 'a' && s[2] != 'b' && s[2] != 'x' && s[2] != 'y')
        || s[3] != '$'
        || s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9'
        || s[6] != '$') {
        return 0;
    }
    for (i = 7; i < n; i++) {
        if (!is_bcrypt_char(s[i])) {
            return 0;
        }
    }
    return 1;
}

/*
 * The "(.+)" of WHMCS's patterns: one or more characters, none a
 * newline (PCRE's '.').  A salt is never empty.
 */
static int is_salt(const char *s)
{
    return s[0] != '\0' && strchr(s, '\n') == NULL;
}

kd_pw_format kd_pw_format_of(const char *stored)
{
    size_t n;

    if (stored == NULL) {
        return KD_PW_UNKNOWN;
    }
    n = strlen(stored);
    if (is_bcrypt(stored, n)) {
        return KD_PW_BCRYPT;
    }
    if (n > SHA256_HEX + 1 && stored[SHA256_HEX] == ':'
        && is_lower_hex(stored, SHA256_HEX)
        && is_salt(stored + SHA256_HEX + 1)) {
        return KD_PW_HMAC_SHA256;
    }
    if (n > MD5_HEX + 1 && stored[MD5_HEX] == ':'
        && is_lower_hex(stored, MD5_HEX) && is_salt(stored + MD5_HEX + 1)) {
        return KD_PW_MD5_SALT;
    }
    if (n == MD5_HEX && is_lower_hex(stored, MD5_HEX)) {
        return KD_PW_MD5;
    }
    return KD_PW_UNKNOWN;
}

/* The same refusals for verify, dummy verify and hashing. */
static int pw_acceptable(const char *password, size_t pwlen)
{
    return password != NULL && pwlen <= KD_PW_MAX_LEN
           && memchr(password, '\0', pwlen) == NULL;
}

static void to_hex(char *out, const unsigned char *md, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 0x0f];
    }
}

/*
 * The digest md (mdlen bytes, in a buffer of EVP_MAX_MD_SIZE) as
 * lowercase hex against the first hexlen characters of stored, in
 * constant time; a digest of another length never matches.  md is
 * wiped once compared.
 * @return 1 on a match, 0 otherwise.
 */
static int hex_matches(const char *stored, size_t hexlen,
                       unsigned char *md, unsigned int mdlen)
{
    char hex[2 * EVP_MAX_MD_SIZE];
    int match;

    if ((size_t)mdlen * 2 != hexlen) {
        return 0;
    }
    to_hex(hex, md, mdlen);
    match = CRYPTO_memcmp(hex, stored, hexlen) == 0;
    OPENSSL_cleanse(md, EVP_MAX_MD_SIZE);
    return match;
}

/*
 * crypt_rn(password, setting), compared with expect (when not NULL) in
 * constant time.  The 32 KiB struct crypt_data goes on the heap: httpd
 * worker threads have stacks we do not size.
 * @return 1 on a match, 0 otherwise.
 */
static int bcrypt_run(const char *password, size_t pwlen,
                      const char *setting, const char *expect)
{
    struct crypt_data *cd;
    char pw[KD_PW_MAX_LEN + 1];
    const char *h;
    int match = 0;

    cd = calloc(1, sizeof(*cd));
    if (cd == NULL) {
        return 0;
    }
    memcpy(pw, password, pwlen);
    pw[pwlen] = '\0';
    /* NULL on failure (unsupported prefix, bad cost): no match. */
    h = crypt_rn(pw, setting, cd, (int)sizeof(*cd));
    if (h != NULL && expect != NULL && strlen(h) == BCRYPT_LEN
        && CRYPTO_memcmp(h, expect, BCRYPT_LEN) == 0) {
        match = 1;
    }
    OPENSSL_cleanse(pw, sizeof(pw));
    OPENSSL_cleanse(cd, sizeof(*cd));
    free(cd);
    return match;
}

/* hex(md5(salt . password)) against the 32 hex digits of stored. */
static int md5_check(const char *stored, const char *salt,
                     const char *password, size_t pwlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    int ok;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return 0;
    }
    /* EVP_md5() fails under a FIPS provider: then nothing matches. */
    ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1
         && (salt == NULL
             || EVP_DigestUpdate(ctx, salt, strlen(salt)) == 1)
         && EVP_DigestUpdate(ctx, password, pwlen) == 1
         && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
    EVP_MD_CTX_free(ctx);
    return ok && hex_matches(stored, MD5_HEX, md, mdlen);
}

/* hex(hmac_sha256(key, password)) against the 64 hex digits of stored. */
static int hmac_check(const char *stored, const char *key,
                      const char *password, size_t pwlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t keylen = strlen(key);

    if (keylen > 0x7fffffff
        || HMAC(EVP_sha256(), key, (int)keylen,
                (const unsigned char *)password, pwlen, md, &mdlen) == NULL) {
        return 0;
    }
    return hex_matches(stored, SHA256_HEX, md, mdlen);
}

int kd_pw_verify(const char *password, size_t pwlen, const char *stored)
{
    if (!pw_acceptable(password, pwlen) || stored == NULL
        || strlen(stored) <= 16) {
        return 0;
    }
    switch (kd_pw_format_of(stored)) {
    case KD_PW_BCRYPT:
        return bcrypt_run(password, pwlen, stored, stored);
    case KD_PW_HMAC_SHA256:
        return hmac_check(stored, stored + SHA256_HEX + 1, password, pwlen);
    case KD_PW_MD5_SALT:
        return md5_check(stored, stored + MD5_HEX + 1, password, pwlen);
    case KD_PW_MD5:
        return md5_check(stored, NULL, password, pwlen);
    case KD_PW_UNKNOWN:
        break;
    }
    return 0;
}

/*
 * The bcrypt work only depends on the cost, not on the salt or on whether
 * the result matches, so hashing with a fixed salt costs what a real
 * verification does, with no hash to precompute or share between threads.
 * Passwords kd_pw_verify refuses at once are refused at once here too, so
 * the two paths take the same time for them as well.
 */
void kd_pw_dummy_verify(const char *password, size_t pwlen, int cost)
{
    char setting[8 + sizeof(dummy_salt)];

    if (!pw_acceptable(password, pwlen)) {
        return;
    }
    if (cost < 4 || cost > 31) {
        cost = 10;
    }
    snprintf(setting, sizeof(setting), "$2y$%02d$%s", cost, dummy_salt);
    (void)bcrypt_run(password, pwlen, setting, NULL);
}

int kd_pw_needs_rehash(const char *stored)
{
    switch (kd_pw_format_of(stored)) {
    case KD_PW_HMAC_SHA256:
    case KD_PW_MD5_SALT:
    case KD_PW_MD5:
        return 1;
    case KD_PW_BCRYPT:
    case KD_PW_UNKNOWN:
        break;
    }
    return 0;
}

/*
 * A bcrypt setting with a random salt.  libxcrypt draws the salt from
 * the OS when given no bytes (CRYPT_GENSALT_IMPLEMENTS_AUTO_ENTROPY);
 * older versions get OpenSSL's CSPRNG output instead.
 */
static int bcrypt_setting(char *setting, int size, const char *prefix,
                          int cost)
{
#ifdef CRYPT_GENSALT_IMPLEMENTS_AUTO_ENTROPY
    return crypt_gensalt_rn(prefix, (unsigned long)cost, NULL, 0,
                            setting, size) != NULL ? 0 : -1;
#else
    unsigned char rbytes[16];
    int rv = -1;

    if (RAND_bytes(rbytes, (int)sizeof(rbytes)) == 1
        && crypt_gensalt_rn(prefix, (unsigned long)cost,
                            (const char *)rbytes, (int)sizeof(rbytes),
                            setting, size) != NULL) {
        rv = 0;
    }
    OPENSSL_cleanse(rbytes, sizeof(rbytes));
    return rv;
#endif
}

int kd_pw_bcrypt(char *out, const char *password, size_t pwlen, int cost)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    char pw[KD_PW_MAX_LEN + 1];
    struct crypt_data *cd;
    const char *h;
    int rv = -1;

    if (out == NULL || !pw_acceptable(password, pwlen)
        || cost < 4 || cost > 31) {
        return -1;
    }
    /*
     * $2y$ is what PHP writes and WHMCS expects.  A libxcrypt without
     * $2y$ support still has $2b$, the same algorithm under another name;
     * its result is then relabelled.
     */
    if (bcrypt_setting(setting, (int)sizeof(setting), "$2y$", cost) != 0
        && bcrypt_setting(setting, (int)sizeof(setting), "$2b$", cost) != 0) {
        return -1;
    }
    cd = calloc(1, sizeof(*cd));
    if (cd == NULL) {
        return -1;
    }
    memcpy(pw, password, pwlen);
    pw[pwlen] = '\0';
    h = crypt_rn(pw, setting, cd, (int)sizeof(*cd));
    if (h != NULL && strlen(h) == BCRYPT_LEN && h[0] == '$' && h[1] == '2'
        && (h[2] == 'y' || h[2] == 'b') && h[3] == '$'
        && is_bcrypt(h, BCRYPT_LEN)) {
        memcpy(out, h, BCRYPT_LEN + 1);
        out[2] = 'y';
        rv = 0;
    }
    OPENSSL_cleanse(pw, sizeof(pw));
    OPENSSL_cleanse(cd, sizeof(*cd));
    free(cd);
    return rv;
}
