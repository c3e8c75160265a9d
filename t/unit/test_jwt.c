/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Unit tests for kd_jwt_sign / kd_jwt_verify.
 *
 * Tokens under test are assembled here from literal JSON with OpenSSL's
 * HMAC directly, so each case controls the exact bytes that were signed.
 */

#include <stdio.h>
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
#include "tap.h"

static const unsigned char key[] = "kd-unit-test-key-0123456789abcdef";
#define KEYLEN (sizeof(key) - 1)

/* Verification time for the standard payload: inside iat/nbf..exp. */
#define NOW 1500

#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define REST "\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,\"exp\":2000," \
             "\"jti\":\"j1\""
#define PL "{\"sub\":7," REST "}"

static char tok[4 * KD_JWT_MAX_LEN];

/*
 * b64url(hdr) "." b64url(pl) "." b64url(HMAC-md(key, first two parts)),
 * with an empty third segment when md is NULL.
 */
static size_t mk(const char *hdr, const char *pl, const EVP_MD *md,
                 const unsigned char *k, size_t klen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t n;

    n = kd_b64url_encode(tok, (const unsigned char *)hdr, strlen(hdr));
    tok[n++] = '.';
    n += kd_b64url_encode(tok + n, (const unsigned char *)pl, strlen(pl));
    tok[n++] = '.';
    tok[n] = '\0';
    if (md != NULL) {
        HMAC(md, k, (int)klen, (const unsigned char *)tok, n - 1, mac,
             &maclen);
        n += kd_b64url_encode(tok + n, mac, maclen);
    }
    return n;
}

static kd_jwt_status verify_tok(size_t n, kd_jwt_claims *c)
{
    return kv_verify(tok, n, key, KEYLEN, "kd", NOW, 0, c);
}

/* A correctly HS256-signed token with this header and payload. */
static void expect(const char *hdr, const char *pl, kd_jwt_status want,
                   const char *name)
{
    kd_jwt_claims c;

    is_int(verify_tok(mk(hdr, pl, EVP_sha256(), key, KEYLEN), &c), want,
           name);
}

/* The standard header with this payload. */
static void claims_case(const char *pl, kd_jwt_status want, const char *name)
{
    expect(HDR, pl, want, name);
}

/* The standard header and a payload with these times. */
static kd_jwt_status at_time(long long iat, long long nbf, long long exp,
                             long long now, long long leeway)
{
    char pl[256];
    kd_jwt_claims c;
    size_t n;

    snprintf(pl, sizeof(pl), "{\"sub\":7,\"iss\":\"kd\",\"iat\":%lld,"
             "\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"}", iat, nbf, exp);
    n = mk(HDR, pl, EVP_sha256(), key, KEYLEN);
    return kv_verify(tok, n, key, KEYLEN, "kd", now, leeway, &c);
}

static kd_jwt_status raw(const char *t)
{
    kd_jwt_claims c;

    return kv_verify(t, strlen(t), key, KEYLEN, "kd", NOW, 0, &c);
}

static void test_known_token(void)
{
    /*
     * Computed with the command line tools, independently of this code:
     *   h=$(printf '%s' "$H" | base64 -w0 | tr '+/' '-_' | tr -d =)
     *   ... and the MAC with: openssl dgst -sha256 -hmac "$KEY" -binary
     */
    static const char expected[] =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9"
        ".eyJzdWIiOjQyLCJpc3MiOiJodHRwczovL2tkLmV4YW1wbGUiLCJpYXQiOjE3MD"
        "AwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwibmJmIjoxNzAwMDAwMDAwLCJqdGkiOiJ"
        "qLTAwMDEifQ"
        ".4P8p8FNcvTcCvKpACOzfPIN4I1sYya1RmFrF_UTG8mA";
    kd_jwt_claims c, out;
    char buf[KD_JWT_MAX_LEN + 1];
    size_t n;

    memset(&c, 0, sizeof(c));
    c.sub = 42;
    strcpy(c.iss, "https://kd.example");
    c.iat = 1700000000;
    c.exp = 1700003600;
    c.nbf = 1700000000;
    strcpy(c.jti, "j-0001");

    n = kv_sign(buf, sizeof(buf), key, KEYLEN, &c);
    is_int(n, strlen(expected), "sign: length of the known token");
    is_str(buf, expected, "sign: byte-for-byte the token openssl made");

    is_int(kv_verify(expected, strlen(expected), key, KEYLEN,
                         "https://kd.example", 1700000001, 0, &out),
           KD_JWT_OK, "verify: the known token");
    is_int(out.sub, 42, "  sub");
    is_str(out.iss, "https://kd.example", "  iss");
    is_int(out.iat, 1700000000, "  iat");
    is_int(out.nbf, 1700000000, "  nbf");
    is_int(out.exp, 1700003600, "  exp");
    is_str(out.jti, "j-0001", "  jti");

    /* Exact buffer sizes: the NUL needs one byte more than the length. */
    is_int(kv_sign(buf, strlen(expected) + 1, key, KEYLEN, &c),
           strlen(expected), "sign: fits a buffer of length + 1");
    is_int(kv_sign(buf, strlen(expected), key, KEYLEN, &c), 0,
           "sign: refuses a buffer of exactly the length");
    is_int(kv_sign(buf, 10, key, KEYLEN, &c), 0,
           "sign: refuses a small buffer");
}

static void test_round_trip(void)
{
    kd_jwt_claims c, out;
    char buf[KD_JWT_MAX_LEN + 1];
    size_t n;

    memset(&c, 0, sizeof(c));
    c.sub = 9007199254740991LL;
    strcpy(c.iss, "kd \"quoted\" \\ / \xc3\xa9\xe2\x82\xac\t");
    c.iat = 1000;
    c.nbf = 1001;
    c.exp = 5000;
    strcpy(c.jti, "0123456789abcdef0123456789abcdef");

    n = kv_sign(buf, sizeof(buf), key, KEYLEN, &c);
    ok(n > 0 && n == strlen(buf), "round trip: sign");
    ok(memchr(buf, '=', n) == NULL && memchr(buf, '+', n) == NULL
       && memchr(buf, '/', n) == NULL, "  no '=', '+' or '/' in token");
    memset(&out, 0x55, sizeof(out));
    is_int(kv_verify(buf, n, key, KEYLEN, c.iss, 2000, 0, &out),
           KD_JWT_OK, "  verify");
    ok(out.sub == c.sub && out.iat == c.iat && out.nbf == c.nbf
       && out.exp == c.exp, "  integer claims survive");
    is_str(out.iss, c.iss, "  iss with quotes, backslash, UTF-8 survives");
    is_str(out.jti, c.jti, "  jti survives");
    is_int(kv_verify(buf, n, key, KEYLEN, NULL, 2000, 0, &out),
           KD_JWT_OK, "  verify with no issuer check");
    is_int(kv_verify(buf, n, key, KEYLEN, "kd", 2000, 0, &out),
           KD_JWT_BAD_CLAIMS, "  other issuer refused");
    ok(out.sub == 0 && out.iss[0] == '\0' && out.jti[0] == '\0',
       "  claims zeroed on failure");

    /* Signing refuses what could not be read back. */
    strcpy(c.iss, "bad \xff utf-8");
    is_int(kv_sign(buf, sizeof(buf), key, KEYLEN, &c), 0,
           "sign: invalid UTF-8 iss refused");
    memset(c.iss, 'a', sizeof(c.iss));
    is_int(kv_sign(buf, sizeof(buf), key, KEYLEN, &c), 0,
           "sign: unterminated iss refused");
    strcpy(c.iss, "kd");
    is_int(kv_sign(buf, sizeof(buf), key, KD_JWT_MIN_KEY - 1, &c), 0,
           "sign: key of KD_JWT_MIN_KEY - 1 bytes refused");
    is_int(kv_sign(buf, sizeof(buf), key, 0, &c), 0,
           "sign: empty key refused");
    ok(kv_sign(buf, sizeof(buf), key, KD_JWT_MIN_KEY, &c) > 0,
       "sign: key of KD_JWT_MIN_KEY bytes accepted");
}

/* uid: ours, optional, a positive integer when present. */
static void test_uid(void)
{
    kd_jwt_claims c, out;
    char buf[KD_JWT_MAX_LEN + 1];
    size_t n;

    memset(&c, 0, sizeof(c));
    c.sub = 1;
    strcpy(c.iss, "kd");
    c.iat = c.nbf = 1000;
    c.exp = 5000;
    strcpy(c.jti, "j1");
    n = kv_sign(buf, sizeof(buf), key, KEYLEN, &c);
    ok(n > 0 && strstr(buf, ".eyJzdWIiOjEsImlzcyI6ImtkIiwiaWF0IjoxMDAwLCJleHAi"
                       "OjUwMDAsIm5iZiI6MTAwMCwianRpIjoiajEifQ.") != NULL,
       "uid 0: not in the payload");
    memset(&out, 0x55, sizeof(out));
    is_int(kv_verify(buf, n, key, KEYLEN, "kd", 2000, 0, &out),
           KD_JWT_OK, "uid 0: verifies");
    ok(out.uid == 0, "uid absent: 0");
    c.uid = 7;
    n = kv_sign(buf, sizeof(buf), key, KEYLEN, &c);
    is_int(kv_verify(buf, n, key, KEYLEN, "kd", 2000, 0, &out),
           KD_JWT_OK, "uid 7: verifies");
    ok(out.uid == 7 && out.sub == 1, "uid 7: read back");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1,\"nbf\":1,"
                "\"exp\":9999999999,\"jti\":\"j\",\"uid\":0}",
                KD_JWT_BAD_CLAIMS, "uid 0 written out: refused");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1,\"nbf\":1,"
                "\"exp\":9999999999,\"jti\":\"j\",\"uid\":\"7\"}",
                KD_JWT_BAD_CLAIMS, "uid as a string: refused");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1,\"nbf\":1,"
                "\"exp\":9999999999,\"jti\":\"j\",\"uid\":-3}",
                KD_JWT_BAD_CLAIMS, "uid negative: refused");

    /* pwf: ours, optional, a short string when present. */
    strcpy(c.pwf, "abcDEF012_-xyz");
    n = kv_sign(buf, sizeof(buf), key, KEYLEN, &c);
    memset(&out, 0x55, sizeof(out));
    is_int(kv_verify(buf, n, key, KEYLEN, "kd", 2000, 0, &out),
           KD_JWT_OK, "pwf: verifies");
    is_str(out.pwf, "abcDEF012_-xyz", "pwf: read back");
    c.pwf[0] = '\0';
    n = kv_sign(buf, sizeof(buf), key, KEYLEN, &c);
    is_int(kv_verify(buf, n, key, KEYLEN, "kd", 2000, 0, &out),
           KD_JWT_OK, "pwf empty: not sent");
    is_str(out.pwf, "", "pwf absent: empty");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1,\"nbf\":1,"
                "\"exp\":9999999999,\"jti\":\"j\",\"pwf\":7}",
                KD_JWT_BAD_CLAIMS, "pwf a number: refused");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1,\"nbf\":1,"
                "\"exp\":9999999999,\"jti\":\"j\",\"pwf\":\"\"}",
                KD_JWT_BAD_CLAIMS, "pwf empty string: refused");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1,\"nbf\":1,"
                "\"exp\":9999999999,\"jti\":\"j\",\"pwf\":"
                "\"0123456789012345678901234567890123\"}",
                KD_JWT_BAD_CLAIMS, "pwf too long: refused");
}

static void test_alg(void)
{
    static const char *const nones[] = { "none", "None", "NONE", "nOnE" };
    char hdr[128], name[128];
    size_t i, n;

    claims_case(PL, KD_JWT_OK, "baseline: standard token");
    expect("{\"alg\":\"HS256\"}", PL, KD_JWT_OK, "typ absent accepted");
    expect("{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"other\","
           "\"jku\":\"https://evil.example/jwks\"}", PL, KD_JWT_OK,
           "kid and jku ignored");
    expect(" {\n \"alg\" : \"HS256\" }\n", PL, KD_JWT_OK,
           "header whitespace accepted (the MAC binds the bytes)");

    for (i = 0; i < sizeof(nones) / sizeof(nones[0]); i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
                 nones[i]);
        n = mk(hdr, PL, NULL, NULL, 0);
        snprintf(name, sizeof(name), "alg %s, empty signature: malformed",
                 nones[i]);
        is_int(verify_tok(n, NULL), KD_JWT_MALFORMED, name);
        snprintf(name, sizeof(name), "alg %s, no third segment: malformed",
                 nones[i]);
        is_int(verify_tok(n - 1, NULL), KD_JWT_MALFORMED, name);
        n = mk(hdr, PL, EVP_sha256(), (const unsigned char *)"guess", 5);
        snprintf(name, sizeof(name), "alg %s, forged signature: bad sig",
                 nones[i]);
        is_int(verify_tok(n, NULL), KD_JWT_BAD_SIGNATURE, name);
        snprintf(name, sizeof(name), "alg %s with our own MAC: bad alg",
                 nones[i]);
        expect(hdr, PL, KD_JWT_BAD_ALG, name);
    }

    /* Other algorithms, signed (impossibly for an attacker) with our MAC,
     * so that only the header check can refuse them. */
    expect("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", PL, KD_JWT_BAD_ALG,
           "alg HS512: bad alg");
    expect("{\"alg\":\"HS384\"}", PL, KD_JWT_BAD_ALG, "alg HS384: bad alg");
    expect("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", PL, KD_JWT_BAD_ALG,
           "alg RS256: bad alg");
    expect("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", PL, KD_JWT_BAD_ALG,
           "alg hs256 (case): bad alg");
    expect("{\"alg\":\"HS256 \"}", PL, KD_JWT_BAD_ALG,
           "alg \"HS256 \": bad alg");
    expect("{\"alg\":\"HS25\"}", PL, KD_JWT_BAD_ALG, "alg HS25: bad alg");
    expect("{\"alg\":\"HS256\\u0000\"}", PL, KD_JWT_MALFORMED,
           "alg with \\u0000: malformed");
    expect("{\"alg\":256,\"typ\":\"JWT\"}", PL, KD_JWT_BAD_ALG,
           "alg integer: bad alg");
    expect("{\"alg\":null}", PL, KD_JWT_BAD_ALG, "alg null: bad alg");
    expect("{\"alg\":[\"HS256\"]}", PL, KD_JWT_BAD_ALG, "alg array: bad alg");
    expect("{\"typ\":\"JWT\"}", PL, KD_JWT_BAD_ALG, "alg missing: bad alg");
    expect("{\"Alg\":\"HS256\"}", PL, KD_JWT_BAD_ALG,
           "member \"Alg\" is not alg: bad alg");

    /* A real HS512 signature is 64 bytes: never our MAC. */
    n = mk("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", PL, EVP_sha512(), key,
           KEYLEN);
    is_int(verify_tok(n, NULL), KD_JWT_BAD_SIGNATURE,
           "real HS512 token: bad signature");

    /* Duplicates: the second alg must not override the first. */
    expect("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", PL, KD_JWT_MALFORMED,
           "duplicate header member: malformed");
    expect("{\"alg\":\"none\",\"alg\":\"HS256\"}", PL, KD_JWT_MALFORMED,
           "duplicate alg none/HS256: malformed");
    expect("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", PL, KD_JWT_MALFORMED,
           "crit present: refused (malformed)");
    expect("{\"alg\":\"HS256\",\"crit\":[]}", PL, KD_JWT_MALFORMED,
           "empty crit present: refused (malformed)");
    expect("{\"alg\":\"HS256\",\"typ\":\"jwt\"}", PL, KD_JWT_MALFORMED,
           "typ jwt (case): malformed");
    expect("{\"alg\":\"HS256\",\"typ\":\"JWE\"}", PL, KD_JWT_MALFORMED,
           "typ JWE: malformed");
    expect("{\"alg\":\"HS256\",\"typ\":1}", PL, KD_JWT_MALFORMED,
           "typ integer: malformed");
    expect("not json", PL, KD_JWT_MALFORMED, "non-JSON header: malformed");
    expect("[\"HS256\"]", PL, KD_JWT_MALFORMED, "header array: malformed");
    expect("\"HS256\"", PL, KD_JWT_MALFORMED, "header string: malformed");
    expect("{\"alg\":\"HS256\"} x", PL, KD_JWT_MALFORMED,
           "trailing garbage in header: malformed");
}

static void test_tamper(void)
{
    kd_jwt_claims c;
    size_t n, i;
    char *p;

    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    is_int(verify_tok(n, &c), KD_JWT_OK, "tamper baseline ok");

    /* Payload "sub":7 -> "sub":8 under the original signature. */
    {
        char sig[64];

        mk(HDR, PL, EVP_sha256(), key, KEYLEN);
        strcpy(sig, strrchr(tok, '.'));
        n = mk(HDR, "{\"sub\":8," REST "}", NULL, NULL, 0);
        strcpy(tok + n - 1, sig);
        is_int(verify_tok(strlen(tok), &c), KD_JWT_BAD_SIGNATURE,
               "payload changed, old signature: bad signature");
    }

    /* One character of the signature changed (first: stays canonical). */
    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    p = strrchr(tok, '.') + 1;
    *p = *p == 'A' ? 'B' : 'A';
    is_int(verify_tok(n, &c), KD_JWT_BAD_SIGNATURE,
           "signature first char flipped: bad signature");

    /* The last character of a 43-char signature carries 2 unused bits. */
    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    p = tok + n - 1;
    {
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                                  "klmnopqrstuvwxyz0123456789-_";
        size_t v = (size_t)(strchr(b64, *p) - b64);

        *p = b64[v ^ 1];
    }
    is_int(verify_tok(n, &c), KD_JWT_MALFORMED,
           "signature with nonzero unused bits: malformed");

    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    tok[n - 3] = '\0';
    is_int(verify_tok(n - 3, &c), KD_JWT_BAD_SIGNATURE,
           "signature cut to 40 chars (30 bytes): bad signature");
    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    strcpy(tok + n, "AA");
    is_int(verify_tok(n + 2, &c), KD_JWT_MALFORMED,
           "signature + \"AA\" (non-canonical tail): malformed");
    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    strcpy(tok + n, "AAAA");
    is_int(verify_tok(n + 4, &c), KD_JWT_BAD_SIGNATURE,
           "signature + 3 bytes: bad signature");

    /* Keys. */
    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    is_int(kv_verify(tok, n, (const unsigned char *)
                         "kd-unit-test-key-0123456789abcdeF", KEYLEN, "kd",
                         NOW, 0, &c), KD_JWT_BAD_SIGNATURE,
           "wrong key (last byte): bad signature");
    is_int(kv_verify(tok, n, key, KEYLEN - 1, "kd", NOW, 0, &c),
           KD_JWT_BAD_SIGNATURE, "key one byte short: bad signature");
    is_int(kv_verify(tok, n, key, 0, "kd", NOW, 0, &c),
           KD_JWT_BAD_SIGNATURE, "empty key: bad signature");
    is_int(kv_verify(tok, n, NULL, 0, "kd", NOW, 0, &c),
           KD_JWT_BAD_SIGNATURE, "NULL key: bad signature");
    n = mk(HDR, PL, EVP_sha256(), key, KD_JWT_MIN_KEY - 1);
    is_int(kv_verify(tok, n, key, KD_JWT_MIN_KEY - 1, "kd", NOW, 0, &c),
           KD_JWT_BAD_SIGNATURE,
           "short key, even when it made the MAC: bad signature");
    n = mk(HDR, PL, EVP_sha256(), key, KD_JWT_MIN_KEY);
    is_int(kv_verify(tok, n, key, KD_JWT_MIN_KEY, "kd", NOW, 0, &c),
           KD_JWT_OK, "key of exactly KD_JWT_MIN_KEY bytes: ok");

    /* A valid token with the payload of another valid token. */
    {
        char a[4 * KD_JWT_MAX_LEN];
        const char *d;

        mk(HDR, "{\"sub\":1," REST "}", EVP_sha256(), key, KEYLEN);
        strcpy(a, tok);
        mk(HDR, "{\"sub\":2," REST "}", EVP_sha256(), key, KEYLEN);
        d = strrchr(a, '.');
        strcpy(strrchr(tok, '.'), d);
        is_int(verify_tok(strlen(tok), &c), KD_JWT_BAD_SIGNATURE,
               "signature of another token: bad signature");
    }

    /*
     * The same MAC spelled with base64's '+' or '/' instead of '-' or
     * '_' is refused.  Vary jti until the MAC has such a character.
     */
    for (i = 0; i < 100; i++) {
        char pl[128];

        snprintf(pl, sizeof(pl), "{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,"
                 "\"nbf\":1000,\"exp\":2000,\"jti\":\"j%zu\"}", i);
        n = mk(HDR, pl, EVP_sha256(), key, KEYLEN);
        p = strpbrk(strrchr(tok, '.'), "-_");
        if (p != NULL) {
            break;
        }
    }
    ok(p != NULL && verify_tok(n, &c) == KD_JWT_OK,
       "found a valid token whose MAC has '-' or '_'");
    if (p != NULL) {
        *p = *p == '-' ? '+' : '/';
    }
    is_int(verify_tok(n, &c), KD_JWT_MALFORMED,
           "MAC respelled with base64 '+' or '/': malformed");
}

static void test_times(void)
{
    is_int(at_time(1000, 1000, 2000, 1999, 0), KD_JWT_OK,
           "now = exp - 1: ok");
    is_int(at_time(1000, 1000, 2000, 2000, 0), KD_JWT_EXPIRED,
           "now = exp: expired");
    is_int(at_time(1000, 1000, 2000, 2001, 0), KD_JWT_EXPIRED,
           "now = exp + 1: expired");
    is_int(at_time(1000, 1000, 2000, 2009, 10), KD_JWT_OK,
           "now = exp + 9, leeway 10: ok");
    is_int(at_time(1000, 1000, 2000, 2010, 10), KD_JWT_EXPIRED,
           "now = exp + 10, leeway 10: expired");
    is_int(at_time(1000, 1000, 2000, 1999, -50), KD_JWT_OK,
           "negative leeway acts as 0 (now = exp - 1)");
    is_int(at_time(1000, 1000, 2000, 2000, -50), KD_JWT_EXPIRED,
           "negative leeway acts as 0 (now = exp)");
    is_int(at_time(1000, 1000, 2000, 9000000000LL, 0), KD_JWT_EXPIRED,
           "long past: expired");

    is_int(at_time(1000, 1600, 2000, 1500, 0), KD_JWT_NOT_YET_VALID,
           "nbf in the future: not yet valid");
    is_int(at_time(1000, 1510, 2000, 1500, 10), KD_JWT_OK,
           "nbf = now + leeway: ok");
    is_int(at_time(1000, 1511, 2000, 1500, 10), KD_JWT_NOT_YET_VALID,
           "nbf = now + leeway + 1: not yet valid");
    is_int(at_time(1000, 1500, 2000, 1500, 0), KD_JWT_OK,
           "nbf = now: ok");
    is_int(at_time(1600, 1000, 2000, 1500, 0), KD_JWT_NOT_YET_VALID,
           "iat in the future: not yet valid");
    is_int(at_time(1510, 1000, 2000, 1500, 10), KD_JWT_OK,
           "iat = now + leeway: ok");
    is_int(at_time(1511, 1000, 2000, 1500, 10), KD_JWT_NOT_YET_VALID,
           "iat = now + leeway + 1: not yet valid");
    is_int(at_time(3000, 3000, 2000, 2500, 0), KD_JWT_EXPIRED,
           "expired and not yet valid: expired is reported");
    is_int(at_time(0, 0, 9007199254740991LL, 1500, 9007199254740991LL),
           KD_JWT_OK, "largest times and leeway: no overflow");
    is_int(at_time(0, 0, 2000, -9000000000000000000LL, 0),
           KD_JWT_NOT_YET_VALID, "very negative now: not yet valid");
}

static void test_claims(void)
{
    static const char *const missing[] = {
        "{" REST "}",
        "{\"sub\":7,\"iat\":1000,\"nbf\":1000,\"exp\":2000,\"jti\":\"j1\"}",
        "{\"sub\":7,\"iss\":\"kd\",\"nbf\":1000,\"exp\":2000,\"jti\":\"j1\"}",
        "{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"exp\":2000,\"jti\":\"j1\"}",
        "{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,\"jti\":\"j1\"}",
        "{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,\"exp\":2000}",
    };
    static const char *const names[] = {
        "sub", "iss", "iat", "nbf", "exp", "jti"
    };
    char pl[512], name[128], big[KD_JWT_MAX_STR + 1];
    kd_jwt_claims c;
    size_t i, n;

    for (i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "missing %s: bad claims", names[i]);
        claims_case(missing[i], KD_JWT_BAD_CLAIMS, name);
    }

    claims_case("{\"sub\":0," REST "}", KD_JWT_BAD_CLAIMS, "sub 0");
    claims_case("{\"sub\":-7," REST "}", KD_JWT_BAD_CLAIMS, "sub -7");
    claims_case("{\"sub\":-0," REST "}", KD_JWT_BAD_CLAIMS, "sub -0");
    claims_case("{\"sub\":7.0," REST "}", KD_JWT_BAD_CLAIMS, "sub 7.0");
    claims_case("{\"sub\":7e0," REST "}", KD_JWT_BAD_CLAIMS, "sub 7e0");
    claims_case("{\"sub\":9007199254740992," REST "}", KD_JWT_BAD_CLAIMS,
                "sub 2^53: too big");
    claims_case("{\"sub\":9223372036854775807," REST "}", KD_JWT_BAD_CLAIMS,
                "sub 2^63 - 1: too big");
    claims_case("{\"sub\":99999999999999999999," REST "}", KD_JWT_MALFORMED,
                "sub beyond 64 bits: JSON refused, malformed");
    claims_case("{\"sub\":true," REST "}", KD_JWT_BAD_CLAIMS, "sub true");
    claims_case("{\"sub\":null," REST "}", KD_JWT_BAD_CLAIMS, "sub null");
    claims_case("{\"sub\":[7]," REST "}", KD_JWT_BAD_CLAIMS, "sub [7]");
    claims_case("{\"sub\":\"07\"," REST "}", KD_JWT_BAD_CLAIMS,
                "sub \"07\"");
    claims_case("{\"sub\":\"0\"," REST "}", KD_JWT_BAD_CLAIMS, "sub \"0\"");
    claims_case("{\"sub\":\"\"," REST "}", KD_JWT_BAD_CLAIMS, "sub \"\"");
    claims_case("{\"sub\":\"+7\"," REST "}", KD_JWT_BAD_CLAIMS,
                "sub \"+7\"");
    claims_case("{\"sub\":\"-7\"," REST "}", KD_JWT_BAD_CLAIMS,
                "sub \"-7\"");
    claims_case("{\"sub\":\" 7\"," REST "}", KD_JWT_BAD_CLAIMS,
                "sub \" 7\"");
    claims_case("{\"sub\":\"7 \"," REST "}", KD_JWT_BAD_CLAIMS,
                "sub \"7 \"");
    claims_case("{\"sub\":\"7a\"," REST "}", KD_JWT_BAD_CLAIMS,
                "sub \"7a\"");
    claims_case("{\"sub\":\"7.0\"," REST "}", KD_JWT_BAD_CLAIMS,
                "sub \"7.0\"");
    claims_case("{\"sub\":\"9007199254740992\"," REST "}",
                KD_JWT_BAD_CLAIMS, "sub \"2^53\": too big");
    claims_case("{\"sub\":\"99999999999999999999999\"," REST "}",
                KD_JWT_BAD_CLAIMS, "sub \"10^23\": too big");

    n = mk(HDR, "{\"sub\":\"7\"," REST "}", EVP_sha256(), key, KEYLEN);
    ok(verify_tok(n, &c) == KD_JWT_OK && c.sub == 7, "sub \"7\": ok, 7");
    n = mk(HDR, "{\"sub\":\"9007199254740991\"," REST "}", EVP_sha256(),
           key, KEYLEN);
    ok(verify_tok(n, &c) == KD_JWT_OK && c.sub == 9007199254740991LL,
       "sub \"2^53 - 1\": ok");
    n = mk(HDR, "{\"sub\":9007199254740991," REST "}", EVP_sha256(),
           key, KEYLEN);
    ok(verify_tok(n, &c) == KD_JWT_OK && c.sub == 9007199254740991LL,
       "sub 2^53 - 1: ok");

    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1000.0,\"nbf\":1000,"
                "\"exp\":2000,\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "iat real");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":2e3,\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "exp real 2e3");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":\"2000\",\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "exp string");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":-1,"
                "\"exp\":2000,\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "nbf negative");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":9007199254740992,\"jti\":\"j1\"}",
                KD_JWT_BAD_CLAIMS, "exp 2^53: out of range");

    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":2000,\"jti\":\"\"}", KD_JWT_BAD_CLAIMS,
                "jti empty");
    claims_case("{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":2000,\"jti\":1}", KD_JWT_BAD_CLAIMS,
                "jti integer");
    memset(big, 'j', sizeof(big));
    big[KD_JWT_MAX_STR - 1] = '\0';
    snprintf(pl, sizeof(pl), "{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,"
             "\"nbf\":1000,\"exp\":2000,\"jti\":\"%s\"}", big);
    n = mk(HDR, pl, EVP_sha256(), key, KEYLEN);
    ok(verify_tok(n, &c) == KD_JWT_OK && strcmp(c.jti, big) == 0,
       "jti of KD_JWT_MAX_STR - 1 bytes: ok");
    big[KD_JWT_MAX_STR - 1] = 'j';
    big[KD_JWT_MAX_STR] = '\0';
    snprintf(pl, sizeof(pl), "{\"sub\":7,\"iss\":\"kd\",\"iat\":1000,"
             "\"nbf\":1000,\"exp\":2000,\"jti\":\"%s\"}", big);
    claims_case(pl, KD_JWT_BAD_CLAIMS, "jti of KD_JWT_MAX_STR bytes");
    snprintf(pl, sizeof(pl), "{\"sub\":7,\"iss\":\"%s\",\"iat\":1000,"
             "\"nbf\":1000,\"exp\":2000,\"jti\":\"j\"}", big);
    n = mk(HDR, pl, EVP_sha256(), key, KEYLEN);
    is_int(kv_verify(tok, n, key, KEYLEN, NULL, NOW, 0, &c),
           KD_JWT_BAD_CLAIMS, "iss of KD_JWT_MAX_STR bytes");

    claims_case("{\"sub\":7,\"iss\":\"kdx\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":2000,\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "iss mismatch (kdx vs kd)");
    claims_case("{\"sub\":7,\"iss\":\"k\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":2000,\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "iss mismatch (prefix k of kd)");
    claims_case("{\"sub\":7,\"iss\":\"KD\",\"iat\":1000,\"nbf\":1000,"
                "\"exp\":2000,\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "iss mismatch (case)");
    claims_case("{\"sub\":7,\"iss\":[\"kd\"],\"iat\":1000,\"nbf\":1000,"
                "\"exp\":2000,\"jti\":\"j1\"}", KD_JWT_BAD_CLAIMS,
                "iss array");
    claims_case("{\"sub\":7,\"iss\":\"kd\\u0000x\",\"iat\":1000,"
                "\"nbf\":1000,\"exp\":2000,\"jti\":\"j1\"}",
                KD_JWT_MALFORMED, "iss with \\u0000: JSON refused");

    claims_case("{\"sub\":7,\"sub\":7," REST "}", KD_JWT_MALFORMED,
                "duplicate claim: malformed");
    claims_case("{\"sub\":7," REST ",\"exp\":99999}", KD_JWT_MALFORMED,
                "duplicate exp: malformed");
    claims_case("{\"sub\":7," REST ",\"aud\":\"x\",\"extra\":{}}",
                KD_JWT_OK, "unknown claims ignored");
    claims_case("[7]", KD_JWT_MALFORMED, "payload array: malformed");
    claims_case("sub=7", KD_JWT_MALFORMED, "payload not JSON: malformed");
    claims_case("{\"sub\":7," REST "}x", KD_JWT_MALFORMED,
                "payload trailing garbage: malformed");
    claims_case("{\"sub\":7," REST ",\"x\":\"\xff\"}", KD_JWT_MALFORMED,
                "payload invalid UTF-8: malformed");
}

static void test_shape(void)
{
    char buf[KD_JWT_MAX_LEN + 1], pl[KD_JWT_MAX_LEN * 2], pad[3000];
    char *d1, *d2;
    size_t n, padlen, at_max = 0, over = 0;
    kd_jwt_claims c;

    n = mk(HDR, PL, EVP_sha256(), key, KEYLEN);
    strcpy(buf, tok);
    d1 = strchr(buf, '.');
    d2 = strchr(d1 + 1, '.');

    is_int(raw(""), KD_JWT_MALFORMED, "empty token");
    is_int(kv_verify(NULL, 0, key, KEYLEN, NULL, NOW, 0, &c),
           KD_JWT_MALFORMED, "NULL token");
    is_int(raw("abc"), KD_JWT_MALFORMED, "no dot");
    is_int(raw("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjd9"), KD_JWT_MALFORMED,
           "one dot");
    is_int(raw("."), KD_JWT_MALFORMED, "\".\"");
    is_int(raw(".."), KD_JWT_MALFORMED, "\"..\"");
    is_int(raw("..."), KD_JWT_MALFORMED, "\"...\"");

    snprintf(tok, sizeof(tok), "%s.", buf);
    is_int(raw(tok), KD_JWT_MALFORMED, "valid token + '.': three dots");
    snprintf(tok, sizeof(tok), "%s.AAAA", buf);
    is_int(raw(tok), KD_JWT_MALFORMED, "valid token + \".AAAA\"");
    snprintf(tok, sizeof(tok), "%s.AAAA.AAAA", buf);
    is_int(raw(tok), KD_JWT_MALFORMED, "five segments (JWE form)");
    snprintf(tok, sizeof(tok), "%.*s%s", (int)(d1 - buf), buf, d2);
    is_int(raw(tok), KD_JWT_MALFORMED, "payload dropped: one dot");
    snprintf(tok, sizeof(tok), "%.*s.%s", (int)(d1 - buf), buf, d2);
    is_int(raw(tok), KD_JWT_MALFORMED, "empty payload segment");
    snprintf(tok, sizeof(tok), "%s", d1);
    is_int(raw(tok), KD_JWT_MALFORMED, "empty header segment");
    snprintf(tok, sizeof(tok), "%.*s", (int)(d2 + 1 - buf), buf);
    is_int(raw(tok), KD_JWT_MALFORMED, "empty signature segment");
    snprintf(tok, sizeof(tok), " %s", buf);
    is_int(raw(tok), KD_JWT_MALFORMED, "leading space");
    snprintf(tok, sizeof(tok), "%s\n", buf);
    is_int(raw(tok), KD_JWT_MALFORMED, "trailing newline");
    snprintf(tok, sizeof(tok), "Bearer %s", buf);
    is_int(raw(tok), KD_JWT_MALFORMED, "\"Bearer \" prefix");
    snprintf(tok, sizeof(tok), "%.*s=%s", (int)(d1 - buf), buf, d1);
    is_int(raw(tok), KD_JWT_MALFORMED, "'=' padding in header");

    memcpy(tok, buf, n);
    tok[n] = '\0';
    tok[n + 1] = 'A';
    is_int(kv_verify(tok, n + 1, key, KEYLEN, "kd", NOW, 0, &c),
           KD_JWT_MALFORMED, "trailing NUL counted in length");
    memcpy(tok, buf, n + 1);
    tok[5] = '\0';
    is_int(kv_verify(tok, n, key, KEYLEN, "kd", NOW, 0, &c),
           KD_JWT_MALFORMED, "NUL inside the header segment");

    /* Token length: KD_JWT_MAX_LEN accepted, one more refused. */
    memset(pad, 'p', sizeof(pad));
    for (padlen = 1000; padlen < 2000 && (!at_max || !over); padlen++) {
        pad[padlen] = '\0';
        snprintf(pl, sizeof(pl), "{\"sub\":7," REST ",\"pad\":\"%s\"}",
                 pad);
        pad[padlen] = 'p';
        n = mk(HDR, pl, EVP_sha256(), key, KEYLEN);
        if (n == KD_JWT_MAX_LEN && !at_max) {
            at_max = 1;
            is_int(verify_tok(n, &c), KD_JWT_OK,
                   "token of exactly KD_JWT_MAX_LEN bytes: ok");
        }
        if (n == KD_JWT_MAX_LEN + 1 && !over) {
            over = 1;
            is_int(verify_tok(n, &c), KD_JWT_MALFORMED,
                   "token of KD_JWT_MAX_LEN + 1 bytes: malformed");
        }
    }
    ok(at_max && over, "both length boundaries were reached");
    n = mk(HDR, pl, EVP_sha256(), key, KEYLEN);
    is_int(verify_tok(n, &c), KD_JWT_MALFORMED, "longer token: malformed");
}

static void test_strerror(void)
{
    int i, j, distinct = 1;

    for (i = KD_JWT_OK; i <= KD_JWT_NOT_YET_VALID; i++) {
        for (j = i + 1; j <= KD_JWT_NOT_YET_VALID; j++) {
            if (strcmp(kd_jwt_strerror((kd_jwt_status)i),
                       kd_jwt_strerror((kd_jwt_status)j)) == 0) {
                distinct = 0;
            }
        }
    }
    ok(distinct, "strerror: a distinct text per status");
    is_str(kd_jwt_strerror(KD_JWT_EXPIRED), "expired", "strerror(EXPIRED)");
    ok(kd_jwt_strerror((kd_jwt_status)99) != NULL,
       "strerror: unknown status has a text");
}

/* The prepared key: RFC 4231 test case 6 (a key longer than a block),
 * OpenSSL's one-shot HMAC on other data, refusals, and reuse. */
static void test_key(void)
{
    static const unsigned char want6[32] = {
        0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26,
        0xaa, 0xcb, 0xf5, 0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28,
        0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f, 0x0e, 0xe3, 0x7f, 0x54
    };
    static const char msg6[] =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    unsigned char k6[131], mac[32], ref[32], data[300];
    unsigned int reflen = 0;
    kd_jwt_key *k;
    size_t i;
    int same = 1;

    memset(k6, 0xaa, sizeof(k6));
    k = kd_jwt_key_new(k6, sizeof(k6));
    ok(k != NULL, "key: a 131-byte key is accepted");
    is_int(kd_jwt_hmac(k, msg6, strlen(msg6), mac), 0, "key: hmac works");
    is_mem(mac, 32, want6, 32, "key: RFC 4231 test case 6");
    /* The keyed state is copied per call, never consumed. */
    is_int(kd_jwt_hmac(k, msg6, strlen(msg6), mac), 0, "key: used again");
    is_mem(mac, 32, want6, 32, "key: same MAC the second time");
    kd_jwt_key_free(k);

    k = kd_jwt_key_new(key, KEYLEN);
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (unsigned char)(i * 7 + 3);
    }
    for (i = 0; i <= sizeof(data); i += 13) {
        HMAC(EVP_sha256(), key, (int)KEYLEN, data, i, ref, &reflen);
        if (kd_jwt_hmac(k, data, i, mac) != 0 || memcmp(mac, ref, 32)) {
            same = 0;
        }
    }
    ok(same, "key: same MAC as HMAC() for 0..300 bytes");
    kd_jwt_key_free(k);

    ok(kd_jwt_key_new(key, KD_JWT_MIN_KEY - 1) == NULL,
       "key: shorter than KD_JWT_MIN_KEY refused");
    ok(kd_jwt_key_new(NULL, KEYLEN) == NULL, "key: NULL refused");
    is_int(kd_jwt_hmac(NULL, "x", 1, mac), -1, "key: hmac without a key");
    kd_jwt_key_free(NULL);
}

int main(void)
{
    test_key();
    test_known_token();
    test_round_trip();
    test_uid();
    test_alg();
    test_tamper();
    test_times();
    test_claims();
    test_shape();
    test_strerror();
    return done_testing();
}
