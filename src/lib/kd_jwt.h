/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_jwt.h
 * @brief base64url and HS256 JSON Web Tokens.
 *
 * No httpd or APR types cross this API, so unit tests and fuzzers link
 * kd_jwt.c alone (with jansson and libcrypto).
 */
#ifndef KD_JWT_H
#define KD_JWT_H

#include <stddef.h>

/** Longest token accepted or produced, in bytes. */
#define KD_JWT_MAX_LEN 2048
/** Shortest HMAC key accepted (RFC 7518 3.2: at least the hash size). */
#define KD_JWT_MIN_KEY 32
/** Longest iss / jti claim kept, including the NUL. */
#define KD_JWT_MAX_STR 128

/** Bytes needed to base64url-encode n bytes (no padding, plus NUL). */
#define KD_B64URL_ENCLEN(n) ((((n) + 2) / 3) * 4 + 1)

/**
 * Encode n bytes as unpadded base64url; dst must hold KD_B64URL_ENCLEN(n).
 * @return the length written, not counting the NUL.
 */
size_t kd_b64url_encode(char *dst, const unsigned char *src, size_t n);

/**
 * Strict base64url decode: alphabet [A-Za-z0-9_-] only, no padding, no
 * whitespace, n % 4 != 1, unused trailing bits zero (one encoding per
 * value).  dst must hold (n / 4) * 3 + 2 bytes.
 * @return 0 and *dstlen set, or -1 when src is not canonical base64url.
 */
int kd_b64url_decode(unsigned char *dst, size_t *dstlen,
                     const char *src, size_t n);

typedef struct {
    long long sub;              /* client id, > 0 */
    long long uid;              /* "uid": tblusers.id; 0 = absent */
    long long iat;
    long long nbf;
    long long exp;
    char iss[KD_JWT_MAX_STR];
    char jti[KD_JWT_MAX_STR];
    char pwf[32];               /* "pwf": password fingerprint; "" = none */
} kd_jwt_claims;

typedef enum {
    KD_JWT_OK = 0,
    KD_JWT_MALFORMED,           /* shape, base64url, JSON, size */
    KD_JWT_BAD_ALG,             /* header alg is not exactly "HS256" */
    KD_JWT_BAD_SIGNATURE,
    KD_JWT_BAD_CLAIMS,          /* missing or mistyped claim, wrong iss */
    KD_JWT_EXPIRED,
    KD_JWT_NOT_YET_VALID        /* nbf or iat in the future */
} kd_jwt_status;

/*
 * An HS256 key made ready once (at configuration time): the MAC
 * implementation fetched and keyed, so that each token costs a copy of
 * the keyed state instead of a fetch, an allocation and a key schedule.
 * Safe to use from many threads at once (it is only read).
 */
typedef struct kd_jwt_key kd_jwt_key;

/* NULL when keylen < KD_JWT_MIN_KEY or OpenSSL fails. */
kd_jwt_key *kd_jwt_key_new(const unsigned char *key, size_t keylen);
void kd_jwt_key_free(kd_jwt_key *k);

/* HMAC-SHA256 of data under k into mac (32 bytes); 0 on success. */
int kd_jwt_hmac(const kd_jwt_key *k, const void *data, size_t n,
                unsigned char *mac);

/**
 * Sign claims as {"typ":"JWT","alg":"HS256"} . payload . HMAC-SHA256.
 * Payload keys in this order: sub, iss, iat, exp, nbf, jti, then uid
 * when it is above 0 (a WHMCS 8 user acting for client sub) and pwf when
 * it is not empty.
 * @return the token length, or 0 if out (outsz bytes) is too small.
 */
size_t kd_jwt_sign(char *out, size_t outsz, const kd_jwt_key *key,
                   const kd_jwt_claims *claims);

/**
 * Verify a compact HS256 token.  The MAC is checked (constant time)
 * before any JSON is parsed.  iss must equal the given issuer when that
 * is not NULL.  Times: now < exp + leeway, nbf - leeway <= now,
 * iat - leeway <= now.  On KD_JWT_OK *claims is filled.
 */
kd_jwt_status kd_jwt_verify(const char *token, size_t len,
                            const kd_jwt_key *key, const char *issuer,
                            long long now, long long leeway,
                            kd_jwt_claims *claims);

/**
 * The time rules of kd_jwt_verify alone, for claims verified before
 * (now < exp + leeway, nbf - leeway <= now, iat - leeway <= now).
 */
kd_jwt_status kd_jwt_check_times(const kd_jwt_claims *c, long long now,
                                 long long leeway);

/** A short English name for a status, for logs ("expired", ...). */
const char *kd_jwt_strerror(kd_jwt_status st);

#endif /* KD_JWT_H */
