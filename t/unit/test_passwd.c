/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Unit tests for kd_passwd.c.
 *
 * Expected hashes were made outside this code: bcrypt with
 * "htpasswd -nbB -C 4" (APR's own bcrypt) and the crypt_blowfish test
 * vectors, MD5 with md5sum, HMAC with "openssl dgst -sha256 -hmac".
 */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kd_passwd.h"
#include "tap.h"

/* htpasswd -nbB -C 4 u 'correct horse' */
#define BC_HORSE "$2y$04$pAZbjCGOLqD9rM15l5Qom.8DDqlQb8dDDcgDE03DyIYgJDASK4frC"
/* htpasswd -nbB -C 4 u "$P72" (the 72-byte password below) */
#define BC_P72 "$2y$04$Q8fxgEhDRgPz116nvMIRoOqkBpdfG7fSu.lv.beG17lpg.7Vd9RsW"
#define P72 "0123456789abcdefghijklmnopqrstuvwxyz" \
            "0123456789abcdefghijklmnopqrstuvwxyz"
/* crypt_blowfish vectors: "U*U" and "\xa3" */
#define BC_UU_A "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
#define BC_UU_B "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
#define BC_UUU_A "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"
#define BC_A3_X "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"
#define BC_A3_Y "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"

/* printf '%s' 'Xy9!secret' | md5sum */
#define MD5_SALTED "5dc2412eb49498af5db0cddc80e03ec7:Xy9!"
/* printf '%s' 'a:bsecret' | md5sum (the salt holds a colon) */
#define MD5_SALTED_COLON "c893b6b16dfd99ea41baa11da3ccbbc3:a:b"
/* printf '%s' secret | openssl dgst -sha256 -hmac 'k3y:with:colons' */
#define HMAC_HEX "c70bab0cd6258336ac0484ebbe6aaf4f" \
                 "4eb800abb375ee5f9bb038b564fe29a8"
#define HMAC_STORED HMAC_HEX ":k3y:with:colons"
/* printf '%s' secret | md5sum */
#define MD5_SECRET "5ebe2294ecd0e0f08eab7690d2a6ee69"
/* printf 'sec\0ret' | md5sum */
#define MD5_SEC_NUL_RET "4e60a1390bac7d69eabbeaefc90d4044"
/* printf '%s' 'pässwörd' | md5sum (UTF-8) */
#define MD5_UTF8 "12841e4ba5e37d2fbfc78458c6714ade"

static int v(const char *pw, const char *stored)
{
    return kd_pw_verify(pw, strlen(pw), stored);
}

static double seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_format(void)
{
    is_int(kd_pw_format_of(BC_HORSE), KD_PW_BCRYPT, "format: $2y$");
    is_int(kd_pw_format_of(BC_UU_A), KD_PW_BCRYPT, "format: $2a$");
    is_int(kd_pw_format_of(BC_UU_B), KD_PW_BCRYPT, "format: $2b$");
    is_int(kd_pw_format_of(BC_A3_X), KD_PW_BCRYPT, "format: $2x$");
    is_int(kd_pw_format_of(HMAC_STORED), KD_PW_HMAC_SHA256, "format: hmac");
    is_int(kd_pw_format_of(MD5_SALTED), KD_PW_MD5_SALT,
           "format: salted md5");
    is_int(kd_pw_format_of(MD5_SALTED_COLON), KD_PW_MD5_SALT,
           "format: salted md5, colon in salt");
    is_int(kd_pw_format_of(MD5_SECRET), KD_PW_MD5, "format: md5");

    is_int(kd_pw_format_of(NULL), KD_PW_UNKNOWN, "format: NULL");
    is_int(kd_pw_format_of(""), KD_PW_UNKNOWN, "format: empty");
    is_int(kd_pw_format_of("secret"), KD_PW_UNKNOWN, "format: plain text");
    is_int(kd_pw_format_of("5EBE2294ECD0E0F08EAB7690D2A6EE69"),
           KD_PW_UNKNOWN, "format: uppercase md5 hex (patterns are a-f)");
    is_int(kd_pw_format_of(MD5_SECRET "0"), KD_PW_UNKNOWN,
           "format: 33 hex digits");
    is_int(kd_pw_format_of("5ebe2294ecd0e0f08eab7690d2a6ee6"),
           KD_PW_UNKNOWN, "format: 31 hex digits");
    is_int(kd_pw_format_of("5ebe2294ecd0e0f08eab7690d2a6ee6g"),
           KD_PW_UNKNOWN, "format: a non-hex digit");
    is_int(kd_pw_format_of(MD5_SECRET ":"), KD_PW_UNKNOWN,
           "format: md5 + ':' and no salt");
    is_int(kd_pw_format_of(MD5_SECRET ":ab\ncd"), KD_PW_UNKNOWN,
           "format: salt with a newline");
    is_int(kd_pw_format_of(HMAC_HEX), KD_PW_UNKNOWN,
           "format: 64 hex digits, no key");
    is_int(kd_pw_format_of(HMAC_HEX ":"), KD_PW_UNKNOWN,
           "format: 64 hex digits + ':' and no key");
    is_int(kd_pw_format_of("$2z$04$pAZbjCGOLqD9rM15l5Qom.8DDqlQb8dDDcgDE03Dy"
                           "IYgJDASK4frC"), KD_PW_UNKNOWN,
           "format: $2z$");
    is_int(kd_pw_format_of("$2y$04$pAZbjCGOLqD9rM15l5Qom.8DDqlQb8dDDcgDE03Dy"
                           "IYgJDASK4fr"), KD_PW_UNKNOWN,
           "format: bcrypt one char short");
    is_int(kd_pw_format_of(BC_HORSE "x"), KD_PW_UNKNOWN,
           "format: bcrypt one char long");
    is_int(kd_pw_format_of("$2y$04$pAZbjCGOLqD9rM15l5Qom.8DDqlQb8dDDcgDE03Dy"
                           "IYgJDASK4fr!"), KD_PW_UNKNOWN,
           "format: bcrypt with '!'");
    is_int(kd_pw_format_of("$1$abcdefgh$abcdefghijklmnopqrstuv"),
           KD_PW_UNKNOWN, "format: md5-crypt $1$");
    is_int(kd_pw_format_of("$argon2id$v=19$m=65536,t=4,p=1$c2FsdHNhbHQ$"
                           "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"),
           KD_PW_UNKNOWN, "format: argon2id");
}

static void test_verify(void)
{
    char p73[80];

    ok(v("correct horse", BC_HORSE), "$2y$: right password");
    ok(!v("correct horsE", BC_HORSE), "$2y$: wrong password");
    ok(!v("correct horse ", BC_HORSE), "$2y$: trailing space");
    ok(!v("", BC_HORSE), "$2y$: empty password");
    ok(v("U*U", BC_UU_A), "$2a$: right password");
    ok(!v("U*U*", BC_UU_A), "$2a$: wrong password");
    ok(v("U*U*", BC_UUU_A), "$2a$: second vector");
    ok(v("U*U", BC_UU_B), "$2b$: right password");
    ok(!v("U*u", BC_UU_B), "$2b$: wrong password");
    ok(v("\xa3", BC_A3_Y), "$2y$: 8-bit password");
    ok(v("\xa3", BC_A3_X), "$2x$: 8-bit password (old buggy variant)");
    ok(!v("\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19Ruk"
               "zXSM3e"), "$2x$ hash relabelled $2y$ does not match");
    ok(!v("correct horse", "$2y$04$pAZbjCGOLqD9rM15l5Qom.8DDqlQb8dDDcgDE03"
          "DyIYgJDASK4frD"), "$2y$: last hash character changed");
    ok(!v("correct horse", "$2y$03$pAZbjCGOLqD9rM15l5Qom.8DDqlQb8dDDcgDE03"
          "DyIYgJDASK4frC"), "$2y$: cost 03 (invalid) never matches");

    ok(v(P72, BC_P72), "72-byte password: matches");
    memcpy(p73, P72, 72);
    p73[72] = 'X';
    p73[73] = '\0';
    ok(!kd_pw_verify(p73, 73, BC_P72),
       "73-byte password refused (bcrypt alone would ignore byte 73)");
    ok(!kd_pw_verify(P72, 71, BC_P72), "71-byte prefix: no match");

    ok(v("secret", MD5_SALTED), "salted md5: right password");
    ok(!v("Secret", MD5_SALTED), "salted md5: wrong password");
    ok(!v("Xy9!secret", MD5_SALTED), "salted md5: salt typed in too");
    ok(!v("secret", "5dc2412eb49498af5db0cddc80e03ec7:Xy9?"),
       "salted md5: other salt");
    ok(v("secret", MD5_SALTED_COLON), "salted md5: colon in salt");
    ok(!v("secret", "5DC2412EB49498AF5DB0CDDC80E03EC7:Xy9!"),
       "salted md5: uppercase hex never matches");

    ok(v("secret", HMAC_STORED), "hmac-sha256: right password");
    ok(!v("secreT", HMAC_STORED), "hmac-sha256: wrong password");
    ok(!v("secret", HMAC_HEX ":k3y:with:colonz"), "hmac-sha256: other key");
    ok(!v("secret", HMAC_HEX ":k3y"), "hmac-sha256: key cut at a colon");
    ok(!v("secret", "C70BAB0CD6258336AC0484EBBE6AAF4F4EB800ABB375EE5F9BB0"
          "38B564FE29A8:k3y:with:colons"),
       "hmac-sha256: uppercase hex never matches");

    ok(v("secret", MD5_SECRET), "md5: right password");
    ok(!v("secret2", MD5_SECRET), "md5: wrong password");
    ok(!v("secret", "5EBE2294ECD0E0F08EAB7690D2A6EE69"),
       "md5: uppercase hex never matches");
    ok(v("p\xc3\xa4ssw\xc3\xb6rd", MD5_UTF8), "md5: UTF-8 password");

    /*
     * A NUL would end the password early in C; it is refused even when
     * the stored hash is of exactly those bytes.
     */
    ok(!kd_pw_verify("sec\0ret", 7, MD5_SEC_NUL_RET),
       "NUL in password: no match, even against its own md5");
    ok(!kd_pw_verify("secret\0", 7, MD5_SECRET),
       "trailing NUL in password: no match");
    ok(!kd_pw_verify("correct horse\0", 14, BC_HORSE),
       "trailing NUL in password: no bcrypt match");
    ok(!kd_pw_verify(NULL, 0, MD5_SECRET), "NULL password");

    ok(!v("secret", NULL), "NULL stored");
    ok(!v("", ""), "empty stored, empty password");
    ok(!v("secret", "secret"), "plain text stored never matches");
    ok(!v("0123456789abcdef", "0123456789abcdef"),
       "16-byte stored never matches");
    ok(!v("secret", "$1$abcdefgh$abcdefghijklmnopqrstuv"),
       "unknown format ($1$) never matches");
    ok(!v("secret", MD5_SECRET ":"), "md5 + ':' never matches");
}

static void test_rehash(void)
{
    is_int(kd_pw_needs_rehash(BC_HORSE), 0, "rehash: $2y$ no");
    is_int(kd_pw_needs_rehash(BC_UU_A), 0, "rehash: $2a$ no");
    is_int(kd_pw_needs_rehash(BC_A3_X), 0, "rehash: $2x$ no");
    is_int(kd_pw_needs_rehash(HMAC_STORED), 1, "rehash: hmac yes");
    is_int(kd_pw_needs_rehash(MD5_SALTED), 1, "rehash: salted md5 yes");
    is_int(kd_pw_needs_rehash(MD5_SECRET), 1, "rehash: md5 yes");
    is_int(kd_pw_needs_rehash("secret"), 0, "rehash: unknown no");
    is_int(kd_pw_needs_rehash(NULL), 0, "rehash: NULL no");
}

static void test_bcrypt(void)
{
    char h1[KD_PW_HASH_SIZE], h2[KD_PW_HASH_SIZE];

    is_int(kd_pw_bcrypt(h1, "correct horse", 13, 10), 0, "bcrypt: cost 10");
    is_int(strlen(h1), 60, "  60 characters");
    ok(strncmp(h1, "$2y$10$", 7) == 0, "  starts with $2y$10$");
    is_int(kd_pw_format_of(h1), KD_PW_BCRYPT, "  recognised as bcrypt");
    ok(v("correct horse", h1), "  verifies");
    ok(!v("correct horsf", h1), "  wrong password refused");
    is_int(kd_pw_needs_rehash(h1), 0, "  needs no rehash");

    is_int(kd_pw_bcrypt(h2, "correct horse", 13, 10), 0, "bcrypt: again");
    ok(strcmp(h1, h2) != 0 && memcmp(h1 + 7, h2 + 7, 22) != 0,
       "  different hash and salt each call");
    ok(v("correct horse", h2), "  verifies");

    is_int(kd_pw_bcrypt(h1, "x", 1, 4), 0, "bcrypt: cost 4");
    ok(strncmp(h1, "$2y$04$", 7) == 0 && v("x", h1), "  $2y$04$, verifies");
    is_int(kd_pw_bcrypt(h1, "", 0, 4), 0, "bcrypt: empty password");
    ok(v("", h1) && !v("x", h1), "  verifies");
    is_int(kd_pw_bcrypt(h1, P72, 72, 4), 0, "bcrypt: 72-byte password");
    ok(v(P72, h1), "  verifies");

    is_int(kd_pw_bcrypt(h1, P72 "X", 73, 4), -1, "bcrypt: 73 bytes refused");
    is_int(kd_pw_bcrypt(h1, "a\0b", 3, 4), -1, "bcrypt: NUL refused");
    is_int(kd_pw_bcrypt(h1, "x", 1, 3), -1, "bcrypt: cost 3 refused");
    is_int(kd_pw_bcrypt(h1, "x", 1, 32), -1, "bcrypt: cost 32 refused");
    is_int(kd_pw_bcrypt(h1, NULL, 0, 4), -1, "bcrypt: NULL refused");
    is_int(kd_pw_bcrypt(NULL, "x", 1, 4), -1, "bcrypt: NULL out refused");
}

static void test_dummy(void)
{
    char h[KD_PW_HASH_SIZE];
    double t0, real, dummy;
    int i;

    /*
     * A dummy verification must cost about what a real one does.  The
     * bound is loose (timing on shared machines varies: 10x either
     * way): a dummy that skipped the bcrypt work would take well under
     * 1% of it.
     */
    if (kd_pw_bcrypt(h, "pw", 2, 8) != 0) {
        ok(0, "dummy: reference hash");
        return;
    }
    t0 = seconds();
    for (i = 0; i < 3; i++) {
        (void)v("wrong", h);
    }
    real = seconds() - t0;
    t0 = seconds();
    for (i = 0; i < 3; i++) {
        kd_pw_dummy_verify("wrong", 5, 8);
    }
    dummy = seconds() - t0;
    diag("3 verifications at cost 8: real %.4fs, dummy %.4fs", real, dummy);
    ok(dummy > real * 0.1 && dummy < real * 10,
       "dummy: takes about as long as a real verification");

    t0 = seconds();
    kd_pw_dummy_verify("wrong", 5, 4);
    kd_pw_dummy_verify("wrong", 5, 99);
    kd_pw_dummy_verify("a\0b", 3, 8);
    kd_pw_dummy_verify(NULL, 0, 8);
    ok(seconds() - t0 < 60, "dummy: odd arguments return");
}

int main(void)
{
    test_format();
    test_verify();
    test_rehash();
    test_bcrypt();
    test_dummy();
    return done_testing();
}
