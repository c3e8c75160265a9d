/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/* Unit tests for kd_b64url_encode / kd_b64url_decode (kd_jwt.c). */

#include <stdio.h>
#include <string.h>

#include "kd_jwt.h"
#include "tap.h"

/* Encode and decode one RFC 4648 section 10 vector (padding removed). */
static void vector(const char *plain, const char *enc)
{
    char out[64], name[128];
    unsigned char dec[64];
    size_t n = strlen(plain), dlen = 99;

    memset(out, 'x', sizeof(out));
    snprintf(name, sizeof(name), "encode \"%s\" -> \"%s\"", plain, enc);
    is_int(kd_b64url_encode(out, (const unsigned char *)plain, n),
           strlen(enc), name);
    is_str(out, enc, name);
    snprintf(name, sizeof(name), "decode \"%s\" -> \"%s\"", enc, plain);
    is_int(kd_b64url_decode(dec, &dlen, enc, strlen(enc)), 0, name);
    is_mem(dec, dlen, plain, n, name);
}

/* kd_b64url_decode refuses src (n bytes). */
static void refuse(const char *src, size_t n, const char *name)
{
    unsigned char dec[64];
    size_t dlen = 12345;

    ok(kd_b64url_decode(dec, &dlen, src, n) == -1 && dlen == 12345, name);
}

int main(void)
{
    unsigned char all[256], dec[KD_B64URL_ENCLEN(256)];
    char enc[KD_B64URL_ENCLEN(256)];
    size_t i, n, dlen;
    int good;

    vector("", "");
    vector("f", "Zg");
    vector("fo", "Zm8");
    vector("foo", "Zm9v");
    vector("foob", "Zm9vYg");
    vector("fooba", "Zm9vYmE");
    vector("foobar", "Zm9vYmFy");

    /* The two characters that differ from base64: 62 '-' and 63 '_'. */
    {
        const unsigned char raw[] = { 0xfb, 0xff, 0xbf };

        n = kd_b64url_encode(enc, raw, 2);
        is_str(enc, "-_8", "0xfb 0xff encodes as -_8 (not +/8=)");
        is_int(n, 3, "  length 3");
        n = kd_b64url_encode(enc, raw, 3);
        is_str(enc, "-_-_", "0xfb 0xff 0xbf encodes as -_-_");
        ok(kd_b64url_decode(dec, &dlen, "-_-_", 4) == 0 && dlen == 3
           && memcmp(dec, raw, 3) == 0, "-_-_ decodes to 0xfb 0xff 0xbf");
    }

    /* Every byte value, every length 0..256: round trip, exact sizes. */
    for (i = 0; i < sizeof(all); i++) {
        all[i] = (unsigned char)(255 - i);
    }
    good = 1;
    for (n = 0; n <= sizeof(all); n++) {
        size_t elen = kd_b64url_encode(enc, all, n);

        if (elen != (n * 4 + 2) / 3 || strlen(enc) != elen
            || elen + 1 > KD_B64URL_ENCLEN(n)
            || kd_b64url_decode(dec, &dlen, enc, elen) != 0
            || dlen != n || memcmp(dec, all, n) != 0
            || strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                      "qrstuvwxyz0123456789-_") != elen) {
            good = 0;
            diag("round trip failed at length %zu", n);
            break;
        }
    }
    ok(good, "round trip of all byte values at lengths 0..256");

    /* Decoding writes at most (n / 4) * 3 + 2 bytes. */
    memset(dec, 0xaa, sizeof(dec));
    ok(kd_b64url_decode(dec, &dlen, "Zm9vYmE", 7) == 0 && dlen == 5
       && dec[5] == 0xaa && dec[6] == 0xaa, "decode writes no extra bytes");

    /* Alphabet: base64's own characters, padding and whitespace. */
    refuse("Zg==", 4, "padding '==' refused");
    refuse("Zm8=", 4, "padding '=' refused");
    refuse("Zm9v+A", 6, "'+' refused");
    refuse("Zm9v/A", 6, "'/' refused");
    refuse("Zm9v YmFy", 9, "space refused");
    refuse("Zm9v\nYmFy", 9, "LF refused");
    refuse("Zm9v\rYmFy", 9, "CR refused");
    refuse("Zm9vYmFy\r\n", 10, "trailing CRLF refused");
    refuse("Zm9v\tYmFy", 9, "tab refused");
    refuse(" Zm9v", 5, "leading space refused");
    refuse("Zm9v.mFy", 8, "'.' refused");
    refuse("Zm9v\0mFy", 8, "embedded NUL refused");
    refuse("Zm9v\xc3\xa9", 6, "non-ASCII refused");

    /* Lengths: a lone final character carries no whole byte. */
    refuse("Z", 1, "length 1 refused");
    refuse("Zm9vY", 5, "length 5 (n % 4 == 1) refused");
    refuse("Zm9vYmFyY", 9, "length 9 (n % 4 == 1) refused");
    /* 'A' is six zero bits: refused for the length, not for the bits. */
    refuse("A", 1, "\"A\" (length 1, all bits zero) refused");
    refuse("Zm9vA", 5, "\"Zm9vA\" (length 5, all bits zero) refused");

    /* Canonical form: unused trailing bits must be zero. */
    refuse("Zh", 2, "Zh (trailing bits 0001) refused");
    refuse("Zm9", 3, "Zm9 (trailing bits 01) refused");
    refuse("Zm9vYmF", 7, "Zm9vYmF (trailing bits 01) refused");
    refuse("Zm_", 3, "Zm_ (trailing bits 11) refused");
    ok(kd_b64url_decode(dec, &dlen, "Zm8", 3) == 0 && dlen == 2,
       "Zm8 (canonical spelling of \"fo\") accepted");
    ok(kd_b64url_decode(dec, &dlen, "Zg", 2) == 0 && dlen == 1
       && dec[0] == 'f', "Zg (canonical spelling of \"f\") accepted");
    ok(kd_b64url_decode(dec, &dlen, "_w", 2) == 0 && dlen == 1
       && dec[0] == 0xff, "_w decodes to 0xff");
    refuse("_x", 2, "_x (0xff with trailing bits 0001) refused");

    /* Length is explicit: a NUL-terminated prefix is all that is read. */
    ok(kd_b64url_decode(dec, &dlen, "Zm9vYmFy", 4) == 0 && dlen == 3
       && memcmp(dec, "foo", 3) == 0, "only n bytes of src are read");

    return done_testing();
}
