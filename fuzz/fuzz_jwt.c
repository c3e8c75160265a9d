/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * libFuzzer target: kd_jwt_verify and kd_jwt_sign.
 *
 * Each input is used three ways:
 *  1. as a token, verified under a fixed key (shape, base64url, MAC);
 *  2. as "header\npayload" JSON, made into a token with a valid MAC, so
 *     that the header and claim checks behind the MAC are reached;
 *  3. as the source of claims (uid and pwf included), which are signed
 *     and must verify back to the same claims (the round trip invariant).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kd_jwt.h"

/* The calls as the tests were written: a key made for each call. */
static kd_jwt_status kv_verify(const char *token, size_t len,
                               const unsigned char *key, size_t keylen,
                               const char *issuer, long long now,
                               long long leeway, kd_jwt_claims *claims)
{
    kd_jwt_key *k = kd_jwt_key_new(key, keylen);
    kd_jwt_status st = kd_jwt_verify(token, len, k, issuer, now, leeway,
                                     claims);

    kd_jwt_key_free(k);
    return st;
}

static size_t kv_sign(char *out, size_t outsz, const unsigned char *key,
                      size_t keylen, const kd_jwt_claims *claims)
{
    kd_jwt_key *k = kd_jwt_key_new(key, keylen);
    size_t n = kd_jwt_sign(out, outsz, k, claims);

    kd_jwt_key_free(k);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[] = "fuzz-key-0123456789abcdef0123456789";
#define KEYLEN (sizeof(key) - 1)
#define ISSUER "kd"
#define NOW 1700000000LL
#define INT_MAX53 9007199254740991LL

/* Claims are only ever filled on success, and then within the rules. */
static void check_claims(kd_jwt_status st, const kd_jwt_claims *c)
{
    if (st < KD_JWT_OK || st > KD_JWT_NOT_YET_VALID) {
        abort();
    }
    if (st != KD_JWT_OK) {
        if (c->sub != 0 || c->iss[0] != '\0' || c->jti[0] != '\0'
            || c->uid != 0 || c->pwf[0] != '\0') {
            abort();
        }
        return;
    }
    if (c->sub < 1 || c->sub > INT_MAX53 || strcmp(c->iss, ISSUER) != 0
        || c->jti[0] == '\0'
        || memchr(c->jti, '\0', KD_JWT_MAX_STR) == NULL
        || c->uid < 0 || c->uid > INT_MAX53
        || memchr(c->pwf, '\0', sizeof(c->pwf)) == NULL
        || NOW >= c->exp || c->nbf > NOW || c->iat > NOW) {
        abort();
    }
}

static void as_token(const uint8_t *data, size_t size)
{
    char *tok = malloc(size > 0 ? size : 1);
    kd_jwt_claims c;
    kd_jwt_status st;

    if (tok == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(tok, data, size);
    }
    st = kv_verify(tok, size, key, KEYLEN, ISSUER, NOW, 0, &c);
    check_claims(st, &c);
    free(tok);
}

static void as_json(const uint8_t *data, size_t size)
{
    static const char std_pl[] = "{\"sub\":7,\"iss\":\"kd\",\"iat\":1,"
                                 "\"nbf\":1,\"exp\":9999999999,\"jti\":\"j\"}";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    const uint8_t *nl, *pl;
    size_t hlen, plen, n;
    kd_jwt_claims c;
    kd_jwt_status st;
    char *tok;

    if (size > KD_JWT_MAX_LEN) {
        return;
    }
    nl = memchr(data, '\n', size);
    if (nl != NULL) {
        hlen = (size_t)(nl - data);
        pl = nl + 1;
        plen = size - hlen - 1;
    }
    else {
        hlen = size;
        pl = (const uint8_t *)std_pl;
        plen = sizeof(std_pl) - 1;
    }
    tok = malloc(KD_B64URL_ENCLEN(hlen) + KD_B64URL_ENCLEN(plen)
                 + KD_B64URL_ENCLEN(sizeof(mac)));
    if (tok == NULL) {
        abort();
    }
    n = kd_b64url_encode(tok, data, hlen);
    tok[n++] = '.';
    n += kd_b64url_encode(tok + n, pl, plen);
    if (HMAC(EVP_sha256(), key, (int)KEYLEN, (const unsigned char *)tok, n,
             mac, &maclen) == NULL) {
        abort();
    }
    tok[n++] = '.';
    n += kd_b64url_encode(tok + n, mac, maclen);

    st = kv_verify(tok, n, key, KEYLEN, ISSUER, NOW, 0, &c);
    check_claims(st, &c);
    /* The MAC is right: nothing may be blamed on it. */
    if (st == KD_JWT_BAD_SIGNATURE) {
        abort();
    }
    free(tok);
}

static long long take(const uint8_t **p, const uint8_t *end)
{
    unsigned long long v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | (*p < end ? *(*p)++ : 0);
    }
    return (long long)(v >> 11);        /* 0 .. 2^53 - 1 */
}

/* Bytes to a claim string of cap bytes, as they come (maybe not UTF-8). */
static void take_str(char *out, size_t cap, const uint8_t **p,
                     const uint8_t *end, int nonempty)
{
    size_t n = 0, want = *p < end ? *(*p)++ % cap : 0;

    while (n < want && *p < end) {
        out[n] = (char)*(*p)++;
        if (out[n] == '\0') {
            out[n] = '0';
        }
        n++;
    }
    if (n == 0 && nonempty) {
        out[n++] = 'j';
    }
    out[n] = '\0';
}

static void round_trip(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char buf[KD_JWT_MAX_LEN + 1];
    kd_jwt_claims in, out;
    kd_jwt_status st;
    long long now;
    size_t n;

    memset(&in, 0, sizeof(in));
    in.sub = take(&p, end);
    if (in.sub == 0) {
        in.sub = 1;
    }
    in.iat = take(&p, end);
    in.nbf = take(&p, end);
    in.exp = take(&p, end);
    take_str(in.iss, sizeof(in.iss), &p, end, 0);
    take_str(in.jti, sizeof(in.jti), &p, end, 1);
    /* Optional claims last, so that shorter inputs leave them out. */
    in.uid = take(&p, end);
    take_str(in.pwf, sizeof(in.pwf), &p, end, 0);

    n = kv_sign(buf, sizeof(buf), key, KEYLEN, &in);
    if (n == 0) {
        /* Strings that are not UTF-8, or escape to too long a token. */
        return;
    }
    if (n != strlen(buf) || n > KD_JWT_MAX_LEN) {
        abort();
    }
    /* A moment inside the validity window, when there is one. */
    now = in.iat > in.nbf ? in.iat : in.nbf;
    st = kv_verify(buf, n, key, KEYLEN, in.iss, now, 0, &out);
    if (now < in.exp) {
        if (st != KD_JWT_OK || out.sub != in.sub || out.iat != in.iat
            || out.nbf != in.nbf || out.exp != in.exp
            || out.uid != in.uid || strcmp(out.iss, in.iss) != 0
            || strcmp(out.jti, in.jti) != 0
            || strcmp(out.pwf, in.pwf) != 0) {
            abort();
        }
    }
    else if (st != KD_JWT_EXPIRED) {
        abort();
    }
    /* Any other key must fail, and so must any cut-down token. */
    if (kv_verify(buf, n, (const unsigned char *)
                      "fuzz-key-0123456789abcdef0123456788", KEYLEN,
                      in.iss, now, 0, &out) != KD_JWT_BAD_SIGNATURE) {
        abort();
    }
    if (size > 0 && (st = kv_verify(buf, n - 1 - data[0] % 8, key,
                                        KEYLEN, in.iss, now, 0, &out))
        == KD_JWT_OK) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t none[1] = { 0 };

    if (size == 0) {
        data = none;
    }
    as_token(data, size);
    as_json(data, size);
    round_trip(data, size);
    return 0;
}
