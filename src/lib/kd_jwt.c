/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * kd_jwt.c: strict base64url and HS256 JSON Web Tokens (RFC 7515/7519).
 *
 * Only the one algorithm we issue is accepted, and the MAC over the
 * received bytes is checked before any JSON is parsed, so a forged token
 * never reaches the JSON parser and no header field can choose how the
 * token is verified ("alg":"none", key confusion, kid/jku lookups).
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "kd_jwt.h"

/* HMAC-SHA256 output size, and its unpadded base64url length. */
#define JWT_MAC_LEN 32
#define JWT_MAC_B64LEN 43

/*
 * Largest integer claim accepted: 2^53 - 1, the I-JSON (RFC 7493) limit,
 * so an id or a time means the same to a JavaScript or PHP peer.  Bounding
 * the times also keeps exp + leeway and nbf - leeway far from overflow.
 */
#define JWT_INT_MAX 9007199254740991LL

/*
 * The only header we issue.  Verification does not require these exact
 * bytes (other issuers may order or space members differently); it is
 * the MAC that binds them.
 */
static const char jwt_header[] = "{\"typ\":\"JWT\",\"alg\":\"HS256\"}";

/* Unpadded base64url length of n bytes. */
#define B64URL_LEN(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t kd_b64url_encode(char *dst, const unsigned char *src, size_t n)
{
    size_t i = 0, o = 0;
    unsigned long v;

    while (n - i >= 3) {
        v = ((unsigned long)src[i] << 16) | ((unsigned long)src[i + 1] << 8)
            | src[i + 2];
        dst[o++] = b64url_alphabet[(v >> 18) & 0x3f];
        dst[o++] = b64url_alphabet[(v >> 12) & 0x3f];
        dst[o++] = b64url_alphabet[(v >> 6) & 0x3f];
        dst[o++] = b64url_alphabet[v & 0x3f];
        i += 3;
    }
    if (n - i == 1) {
        v = (unsigned long)src[i] << 16;
        dst[o++] = b64url_alphabet[(v >> 18) & 0x3f];
        dst[o++] = b64url_alphabet[(v >> 12) & 0x3f];
    }
    else if (n - i == 2) {
        v = ((unsigned long)src[i] << 16) | ((unsigned long)src[i + 1] << 8);
        dst[o++] = b64url_alphabet[(v >> 18) & 0x3f];
        dst[o++] = b64url_alphabet[(v >> 12) & 0x3f];
        dst[o++] = b64url_alphabet[(v >> 6) & 0x3f];
    }
    dst[o] = '\0';
    return o;
}

/* The 6-bit value of a base64url character, or -1 for anything else. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

int kd_b64url_decode(unsigned char *dst, size_t *dstlen,
                     const char *src, size_t n)
{
    unsigned long acc = 0;
    unsigned int bits = 0;
    size_t i, o = 0;

    /* One leftover character carries 6 bits: not even one byte. */
    if (n % 4 == 1) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)src[i]);

        if (v < 0) {
            return -1;
        }
        /* At most 6 bits are pending here, so 12 bits of acc suffice. */
        acc = ((acc << 6) | (unsigned long)v) & 0xfff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    /*
     * Nonzero unused bits would give one value several spellings; a
     * token must have exactly one, so that its bytes are what was signed.
     */
    if (acc & ((1UL << bits) - 1)) {
        return -1;
    }
    *dstlen = o;
    return 0;
}

struct kd_jwt_key {
    EVP_MAC_CTX *ctx;           /* HMAC-SHA256, keyed, never updated */
};

kd_jwt_key *kd_jwt_key_new(const unsigned char *key, size_t keylen)
{
    OSSL_PARAM params[2];
    EVP_MAC *mac;
    kd_jwt_key *k;

    if (key == NULL || keylen < KD_JWT_MIN_KEY
        || (k = calloc(1, sizeof(*k))) == NULL) {
        return NULL;
    }
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac != NULL) {
        k->ctx = EVP_MAC_CTX_new(mac);
        EVP_MAC_free(mac);          /* the context holds its own reference */
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (k->ctx == NULL || EVP_MAC_init(k->ctx, key, keylen, params) != 1) {
        kd_jwt_key_free(k);
        return NULL;
    }
    return k;
}

void kd_jwt_key_free(kd_jwt_key *k)
{
    if (k != NULL) {
        EVP_MAC_CTX_free(k->ctx);
        free(k);
    }
}

int kd_jwt_hmac(const kd_jwt_key *k, const void *data, size_t n,
                unsigned char *mac)
{
    EVP_MAC_CTX *c;
    size_t maclen = 0;
    int ok;

    if (k == NULL) {
        return -1;
    }
    /* A copy of the keyed state: the shared one is never written, so
     * threads need no lock. */
    if ((c = EVP_MAC_CTX_dup(k->ctx)) == NULL) {
        return -1;
    }
    ok = EVP_MAC_update(c, data, n) == 1
         && EVP_MAC_final(c, mac, &maclen, JWT_MAC_LEN) == 1
         && maclen == JWT_MAC_LEN;
    EVP_MAC_CTX_free(c);
    return ok ? 0 : -1;
}

/* A NUL-terminated claim string of the struct, or -1 if unterminated. */
static int jwt_set_str(json_t *obj, const char *name, const char *s)
{
    const char *end = memchr(s, '\0', KD_JWT_MAX_STR);
    json_t *v;

    if (end == NULL) {
        return -1;
    }
    /* NULL for invalid UTF-8: such a claim could not be read back. */
    v = json_stringn(s, (size_t)(end - s));
    if (v == NULL) {
        return -1;
    }
    return json_object_set_new(obj, name, v);
}

static int jwt_set_int(json_t *obj, const char *name, long long n)
{
    json_t *v = json_integer((json_int_t)n);

    if (v == NULL) {
        return -1;
    }
    return json_object_set_new(obj, name, v);
}

/*
 * The claim values themselves are not validated here: tests need tokens
 * that verification refuses (expired, future), and verification is what
 * enforces the rules.
 */
size_t kd_jwt_sign(char *out, size_t outsz, const kd_jwt_key *key,
                   const kd_jwt_claims *claims)
{
    unsigned char mac[JWT_MAC_LEN];
    json_t *obj;
    char *payload = NULL;
    size_t hlen, plen, total, o;

    if (out == NULL || key == NULL || claims == NULL) {
        return 0;
    }
    obj = json_object();
    if (obj == NULL) {
        return 0;
    }
    /* Members are emitted in insertion order: the documented order. */
    if (jwt_set_int(obj, "sub", claims->sub) == 0
        && jwt_set_str(obj, "iss", claims->iss) == 0
        && jwt_set_int(obj, "iat", claims->iat) == 0
        && jwt_set_int(obj, "exp", claims->exp) == 0
        && jwt_set_int(obj, "nbf", claims->nbf) == 0
        && jwt_set_str(obj, "jti", claims->jti) == 0
        && (claims->uid <= 0 || jwt_set_int(obj, "uid", claims->uid) == 0)
        && (claims->pwf[0] == '\0'
            || jwt_set_str(obj, "pwf", claims->pwf) == 0)) {
        payload = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(obj);
    if (payload == NULL) {
        return 0;
    }

    hlen = B64URL_LEN(sizeof(jwt_header) - 1);
    plen = strlen(payload);
    if (plen > KD_JWT_MAX_LEN) {
        free(payload);
        return 0;
    }
    total = hlen + 1 + B64URL_LEN(plen) + 1 + JWT_MAC_B64LEN;
    if (total > KD_JWT_MAX_LEN || total >= outsz) {
        free(payload);
        return 0;
    }

    o = kd_b64url_encode(out, (const unsigned char *)jwt_header,
                         sizeof(jwt_header) - 1);
    out[o++] = '.';
    o += kd_b64url_encode(out + o, (const unsigned char *)payload, plen);
    free(payload);
    if (kd_jwt_hmac(key, out, o, mac) != 0) {
        OPENSSL_cleanse(out, outsz);
        return 0;
    }
    out[o++] = '.';
    o += kd_b64url_encode(out + o, mac, sizeof(mac));
    return o;
}

/*
 * A JSON integer in [lo, hi].  Reals (7.0, 7e0) are refused: jansson
 * keeps them apart from integers, and a claim has one spelling.
 */
static int jwt_get_int(json_t *obj, const char *name,
                       long long lo, long long hi, long long *out)
{
    json_t *v = json_object_get(obj, name);
    json_int_t n;

    if (!json_is_integer(v)) {
        return -1;
    }
    n = json_integer_value(v);
    if (n < lo || n > hi) {
        return -1;
    }
    *out = (long long)n;
    return 0;
}

/*
 * sub: a positive integer, or (RFC 7519 makes sub a string, and other
 * issuers follow it) the canonical decimal text of one: digits only, no
 * sign, no leading zero, no spaces.
 */
static int jwt_get_sub(json_t *obj, long long *out)
{
    json_t *v = json_object_get(obj, "sub");
    const char *s;
    size_t i, n;
    long long acc = 0;

    if (json_is_integer(v)) {
        return jwt_get_int(obj, "sub", 1, JWT_INT_MAX, out);
    }
    if (!json_is_string(v)) {
        return -1;
    }
    s = json_string_value(v);
    n = json_string_length(v);
    if (n == 0 || s[0] == '0') {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        if (acc > (JWT_INT_MAX - (s[i] - '0')) / 10) {
            return -1;
        }
        acc = acc * 10 + (s[i] - '0');
    }
    *out = acc;
    return 0;
}

/* A string claim that fits in KD_JWT_MAX_STR with its NUL. */
static int jwt_get_str(json_t *obj, const char *name, int nonempty,
                       char *out)
{
    json_t *v = json_object_get(obj, name);
    size_t n;

    if (!json_is_string(v)) {
        return -1;
    }
    n = json_string_length(v);
    if (n >= KD_JWT_MAX_STR || (nonempty && n == 0)
        || memchr(json_string_value(v), '\0', n) != NULL) {
        return -1;
    }
    memcpy(out, json_string_value(v), n);
    out[n] = '\0';
    return 0;
}

/* The JOSE header, once the MAC has shown it is ours. */
static kd_jwt_status jwt_check_header(const unsigned char *hdr, size_t n)
{
    json_error_t err;
    json_t *h, *v;
    kd_jwt_status st = KD_JWT_OK;

    /* The header every token we issue carries: nothing to parse. */
    if (n == sizeof(jwt_header) - 1 && memcmp(hdr, jwt_header, n) == 0) {
        return KD_JWT_OK;
    }
    h = json_loadb((const char *)hdr, n, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(h)) {
        json_decref(h);
        return KD_JWT_MALFORMED;
    }
    v = json_object_get(h, "alg");
    if (!json_is_string(v) || json_string_length(v) != 5
        || memcmp(json_string_value(v), "HS256", 5) != 0) {
        st = KD_JWT_BAD_ALG;
    }
    else if ((v = json_object_get(h, "typ")) != NULL
             && (!json_is_string(v) || json_string_length(v) != 3
                 || memcmp(json_string_value(v), "JWT", 3) != 0)) {
        st = KD_JWT_MALFORMED;
    }
    else if (json_object_get(h, "crit") != NULL) {
        /*
         * crit names extensions the verifier must understand (RFC 7515
         * 4.1.11); we understand none, so any crit is refused.  The token
         * is well-formed JSON but unusable: reported as malformed.
         */
        st = KD_JWT_MALFORMED;
    }
    /* kid, jku, jwk, x5u, ...: ignored; the key is ours, not the token's. */
    json_decref(h);
    return st;
}

static kd_jwt_status jwt_check_claims(const unsigned char *pl, size_t n,
                                      const char *issuer,
                                      kd_jwt_claims *c)
{
    json_error_t err;
    json_t *p;
    int bad;

    p = json_loadb((const char *)pl, n, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(p)) {
        json_decref(p);
        return KD_JWT_MALFORMED;
    }
    bad = jwt_get_sub(p, &c->sub) != 0
          || jwt_get_str(p, "iss", 0, c->iss) != 0
          || jwt_get_int(p, "iat", 0, JWT_INT_MAX, &c->iat) != 0
          || jwt_get_int(p, "nbf", 0, JWT_INT_MAX, &c->nbf) != 0
          || jwt_get_int(p, "exp", 0, JWT_INT_MAX, &c->exp) != 0
          || jwt_get_str(p, "jti", 1, c->jti) != 0;
    /* uid (the WHMCS 8 user acting for client sub) is ours and optional;
     * present, it is a positive integer. */
    c->uid = 0;
    if (!bad && json_object_get(p, "uid") != NULL) {
        bad = jwt_get_int(p, "uid", 1, JWT_INT_MAX, &c->uid) != 0;
    }
    /* pwf (a fingerprint of the password hash the token was issued
     * against) is ours and optional too; present, a short string. */
    c->pwf[0] = '\0';
    if (!bad && json_object_get(p, "pwf") != NULL) {
        json_t *v = json_object_get(p, "pwf");

        bad = !json_is_string(v) || json_string_length(v) == 0
              || json_string_length(v) >= sizeof(c->pwf)
              || strlen(json_string_value(v)) != json_string_length(v);
        if (!bad) {
            memcpy(c->pwf, json_string_value(v), json_string_length(v) + 1);
        }
    }
    json_decref(p);
    if (bad) {
        return KD_JWT_BAD_CLAIMS;
    }
    if (issuer != NULL && strcmp(c->iss, issuer) != 0) {
        return KD_JWT_BAD_CLAIMS;
    }
    return KD_JWT_OK;
}

/*
 * A token whose third segment is empty (the "alg":"none" form) fails the
 * shape check and is KD_JWT_MALFORMED: reporting KD_JWT_BAD_ALG would
 * mean parsing an unauthenticated header, which this function never does.
 * Likewise any other alg gives KD_JWT_BAD_SIGNATURE unless the token
 * carries a valid HS256 MAC under our key, and only then KD_JWT_BAD_ALG.
 */
kd_jwt_status kd_jwt_verify(const char *token, size_t len,
                            const kd_jwt_key *key, const char *issuer,
                            long long now, long long leeway,
                            kd_jwt_claims *claims)
{
    unsigned char hdr[KD_JWT_MAX_LEN], pl[KD_JWT_MAX_LEN];
    unsigned char sig[KD_JWT_MAX_LEN], mac[JWT_MAC_LEN];
    const char *d1, *d2;
    size_t hlen, plen, slen;
    kd_jwt_claims c;
    kd_jwt_status st;
    int diff;

    if (claims != NULL) {
        memset(claims, 0, sizeof(*claims));
    }
    if (token == NULL || len == 0 || len > KD_JWT_MAX_LEN) {
        return KD_JWT_MALFORMED;
    }

    /*
     * Exactly two dots and three non-empty segments: JWS compact form,
     * not JWE's five segments, not an unsecured token's empty signature.
     */
    d1 = memchr(token, '.', len);
    if (d1 == NULL) {
        return KD_JWT_MALFORMED;
    }
    d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    if (d2 == NULL
        || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL
        || d1 == token || d2 == d1 + 1 || d2 + 1 == token + len) {
        return KD_JWT_MALFORMED;
    }
    if (kd_b64url_decode(hdr, &hlen, token, (size_t)(d1 - token)) != 0
        || kd_b64url_decode(pl, &plen, d1 + 1, (size_t)(d2 - d1 - 1)) != 0
        || kd_b64url_decode(sig, &slen, d2 + 1,
                            len - (size_t)(d2 + 1 - token)) != 0) {
        return KD_JWT_MALFORMED;
    }

    /* No key (a short one is refused by kd_jwt_key_new): nothing can
     * verify.  Signed bytes are the received ones, never a re-encoding. */
    if (kd_jwt_hmac(key, token, (size_t)(d2 - token), mac) != 0) {
        return KD_JWT_BAD_SIGNATURE;
    }
    if (slen != JWT_MAC_LEN) {
        return KD_JWT_BAD_SIGNATURE;
    }
    diff = CRYPTO_memcmp(mac, sig, JWT_MAC_LEN);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (diff != 0) {
        return KD_JWT_BAD_SIGNATURE;
    }

    st = jwt_check_header(hdr, hlen);
    if (st != KD_JWT_OK) {
        return st;
    }
    memset(&c, 0, sizeof(c));
    st = jwt_check_claims(pl, plen, issuer, &c);
    if (st != KD_JWT_OK) {
        return st;
    }

    st = kd_jwt_check_times(&c, now, leeway);
    if (st != KD_JWT_OK) {
        return st;
    }
    if (claims != NULL) {
        *claims = c;
    }
    return KD_JWT_OK;
}

kd_jwt_status kd_jwt_check_times(const kd_jwt_claims *c, long long now,
                                 long long leeway)
{
    /* Claims are <= 2^53 - 1, so these sums cannot overflow. */
    if (leeway < 0) {
        leeway = 0;
    }
    else if (leeway > JWT_INT_MAX) {
        leeway = JWT_INT_MAX;
    }
    if (now >= c->exp + leeway) {
        return KD_JWT_EXPIRED;
    }
    if (c->nbf - leeway > now || c->iat - leeway > now) {
        return KD_JWT_NOT_YET_VALID;
    }
    return KD_JWT_OK;
}

const char *kd_jwt_strerror(kd_jwt_status st)
{
    switch (st) {
    case KD_JWT_OK:
        return "ok";
    case KD_JWT_MALFORMED:
        return "malformed token";
    case KD_JWT_BAD_ALG:
        return "unsupported algorithm";
    case KD_JWT_BAD_SIGNATURE:
        return "bad signature";
    case KD_JWT_BAD_CLAIMS:
        return "missing or invalid claims";
    case KD_JWT_EXPIRED:
        return "expired";
    case KD_JWT_NOT_YET_VALID:
        return "not yet valid";
    }
    return "unknown status";
}
