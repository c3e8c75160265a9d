/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/* Unit tests for kd_form.c: urlencoded and JSON bodies, UTF-8. */

#include <stdio.h>
#include <string.h>

#include "kd_form.h"
#include "kd_utf8.h"
#include "tap.h"

#define MAXF 64

static kd_form_limits lim = { 8, 16, 32 };
static kd_field f[MAXF];
static size_t nf;
/* The decoded fields point into these, so they outlive each call. */
static char body[4096];
static char arena[2 * sizeof(body) + 16];

/* Decode a copy of n bytes; body[n] is made non-NUL to prove it is set. */
static kd_form_status urln(const char *in, size_t n)
{
    memcpy(body, in, n);
    body[n] = 'Z';
    nf = 12345;
    return kd_form_parse_urlencoded(body, n, &lim, f, &nf);
}

static kd_form_status url(const char *in)
{
    return urln(in, strlen(in));
}

static kd_form_status jsonn(const char *in, size_t n)
{
    memcpy(body, in, n);
    nf = 12345;
    return kd_form_parse_json(body, n, &lim, arena, 2 * n + 16, f, &nf);
}

static kd_form_status json(const char *in)
{
    return jsonn(in, strlen(in));
}

static void url_is(const char *in, kd_form_status want, const char *name)
{
    kd_form_status st = url(in);

    is_int(st, want, name);
    if (want != KD_FORM_OK) {
        is_int(nf, 0, "  no fields reported");
    }
}

static void json_is(const char *in, kd_form_status want, const char *name)
{
    kd_form_status st = json(in);

    is_int(st, want, name);
    if (want != KD_FORM_OK) {
        is_int(nf, 0, "  no fields reported");
    }
}

/* Field i is key = val (vlen bytes, NUL-terminated). */
static void field_is(size_t i, const char *key, const char *val,
                     size_t vlen, const char *name)
{
    ok(i < nf && strcmp(f[i].key, key) == 0 && f[i].vlen == vlen
       && memcmp(f[i].val, val, vlen) == 0 && f[i].val[vlen] == '\0',
       name);
    if (i < nf && strcmp(f[i].key, key) != 0) {
        diag("key: got '%s', expected '%s'", f[i].key, key);
    }
}

/* Both readings of kd_utf8.c: counted bytes, and (where the case is a
 * whole NUL-terminated string) the length-or-minus-one one that JSON
 * replies use. */
static void utf8(const char *s, size_t n, int want, const char *name)
{
    is_int(kd_utf8_valid(s, n), want, name);
    if (strlen(s) == n) {
        is_int(kd_utf8_len(s), want ? (long)n : -1L, name);
    }
}

static void test_utf8(void)
{
    utf8("", 0, 1, "utf8: empty");
    utf8("abc", 3, 1, "utf8: ASCII");
    utf8("\0", 1, 1, "utf8: U+0000 is UTF-8 (NUL is checked apart)");
    utf8("\x7f", 1, 1, "utf8: U+007F");
    utf8("\xc2\x80", 2, 1, "utf8: U+0080");
    utf8("\xdf\xbf", 2, 1, "utf8: U+07FF");
    utf8("\xe0\xa0\x80", 3, 1, "utf8: U+0800");
    utf8("\xed\x9f\xbf", 3, 1, "utf8: U+D7FF");
    utf8("\xee\x80\x80", 3, 1, "utf8: U+E000");
    utf8("\xef\xbf\xbf", 3, 1, "utf8: U+FFFF");
    utf8("\xf0\x90\x80\x80", 4, 1, "utf8: U+10000");
    utf8("\xf4\x8f\xbf\xbf", 4, 1, "utf8: U+10FFFF");
    utf8("VI\xe1\xbb\x86T", 6, 1, "utf8: VI\xe1\xbb\x86T");

    utf8("\x80", 1, 0, "utf8: lone continuation byte");
    utf8("\xbf", 1, 0, "utf8: lone continuation byte BF");
    utf8("\xc0\x80", 2, 0, "utf8: overlong NUL C0 80");
    utf8("\xc0\xaf", 2, 0, "utf8: overlong '/' C0 AF");
    utf8("\xc1\xbf", 2, 0, "utf8: overlong C1 BF");
    utf8("\xe0\x9f\xbf", 3, 0, "utf8: overlong E0 9F BF");
    utf8("\xe0\x80\xaf", 3, 0, "utf8: overlong '/' E0 80 AF");
    utf8("\xf0\x8f\xbf\xbf", 4, 0, "utf8: overlong F0 8F BF BF");
    utf8("\xed\xa0\x80", 3, 0, "utf8: surrogate U+D800");
    utf8("\xed\xbf\xbf", 3, 0, "utf8: surrogate U+DFFF");
    utf8("\xed\xa0\xbd\xed\xb8\x80", 6, 0, "utf8: CESU-8 surrogate pair");
    utf8("\xf4\x90\x80\x80", 4, 0, "utf8: U+110000");
    utf8("\xf5\x80\x80\x80", 4, 0, "utf8: F5 lead byte");
    utf8("\xf8\x88\x80\x80\x80", 5, 0, "utf8: 5-byte form");
    utf8("\xfe", 1, 0, "utf8: FE");
    utf8("\xff", 1, 0, "utf8: FF");
    utf8("\xe2\x82", 2, 0, "utf8: truncated 3-byte sequence");
    utf8("\xe2\x82\xac", 2, 0, "utf8: length cuts a sequence");
    utf8("\xe2\x82\x41", 3, 0, "utf8: bad continuation byte");
    utf8("\xc3", 1, 0, "utf8: truncated 2-byte sequence");
    utf8("\xf0\x9f\x98", 3, 0, "utf8: truncated 4-byte sequence");
    utf8("a\xc3\xa9z", 4, 1, "utf8: mixed");
}

static void test_url(void)
{
    is_int(url("a=1&b=2"), KD_FORM_OK, "url: a=1&b=2");
    is_int(nf, 2, "  two fields");
    field_is(0, "a", "1", 1, "  a = 1");
    field_is(1, "b", "2", 1, "  b = 2");
    ok(body[7] == '\0', "  terminator written at buf[len]");

    is_int(url("a=1&&b=2&"), KD_FORM_OK, "url: a=1&&b=2&");
    is_int(nf, 2, "  empty pairs skipped");
    field_is(1, "b", "2", 1, "  b = 2");
    is_int(url(""), KD_FORM_OK, "url: empty body");
    is_int(nf, 0, "  no fields");
    is_int(url("&&&"), KD_FORM_OK, "url: only separators");
    is_int(nf, 0, "  no fields");

    is_int(url("a"), KD_FORM_OK, "url: key without '='");
    field_is(0, "a", "", 0, "  empty value");
    is_int(url("a=&b"), KD_FORM_OK, "url: a=&b");
    field_is(0, "a", "", 0, "  a empty");
    field_is(1, "b", "", 0, "  b empty");
    is_int(url("a=b=c"), KD_FORM_OK, "url: a=b=c");
    field_is(0, "a", "b=c", 3, "  value keeps the second '='");
    is_int(url("a=b+c&d+e=f"), KD_FORM_OK, "url: '+' is a space");
    field_is(0, "a", "b c", 3, "  in values");
    field_is(1, "d e", "f", 1, "  in keys");
    is_int(url("a=%2B%20%26%3D%25"), KD_FORM_OK, "url: escapes");
    field_is(0, "a", "+ &=%", 5, "  %2B %20 %26 %3D %25");
    is_int(url("%41%62=%7e%7E"), KD_FORM_OK, "url: hex digits any case");
    field_is(0, "Ab", "~~", 2, "  decoded");
    is_int(url("name=VI%E1%BB%86T"), KD_FORM_OK, "url: VI%E1%BB%86T");
    field_is(0, "name", "VI\xe1\xbb\x86T", 6, "  VI\xe1\xbb\x86T");
    is_int(url("e=%F0%9F%98%80&r=\xc3\xa9"), KD_FORM_OK,
           "url: 4-byte escape, raw UTF-8");
    field_is(0, "e", "\xf0\x9f\x98\x80", 4, "  U+1F600");
    field_is(1, "r", "\xc3\xa9", 2, "  raw e-acute");

    url_is("=x", KD_FORM_SYNTAX, "url: =x (empty key)");
    url_is("=", KD_FORM_SYNTAX, "url: = (empty key)");
    url_is("a=1&=x", KD_FORM_SYNTAX, "url: empty key after a field");
    url_is("%zz", KD_FORM_SYNTAX, "url: %zz");
    url_is("a=%zz", KD_FORM_SYNTAX, "url: a=%zz");
    url_is("a=%4", KD_FORM_SYNTAX, "url: a=%4");
    url_is("a=%4&b=1", KD_FORM_SYNTAX, "url: a=%4&b=1");
    url_is("a=%", KD_FORM_SYNTAX, "url: a=%");
    url_is("%", KD_FORM_SYNTAX, "url: %");
    url_is("a=%4g", KD_FORM_SYNTAX, "url: a=%4g");
    url_is("a=%%41", KD_FORM_SYNTAX, "url: a=%%41");
    url_is("a=% 1", KD_FORM_SYNTAX, "url: a=% 1");
    url_is("a%=1", KD_FORM_SYNTAX, "url: a%=1");
    url_is("a=%+1", KD_FORM_SYNTAX, "url: a=%+1");

    url_is("a=%00", KD_FORM_NUL, "url: a=%00");
    url_is("%00=1", KD_FORM_NUL, "url: %00=1");
    url_is("a=x%00y", KD_FORM_NUL, "url: a=x%00y");
    is_int(urln("a=x\0y", 5), KD_FORM_NUL, "url: raw NUL in value");
    is_int(urln("a\0=1", 4), KD_FORM_NUL, "url: raw NUL in key");

    url_is("a=%C0%AF", KD_FORM_UTF8, "url: overlong %C0%AF");
    url_is("a=%ED%A0%80", KD_FORM_UTF8, "url: surrogate %ED%A0%80");
    url_is("a=%F4%90%80%80", KD_FORM_UTF8, "url: U+110000");
    url_is("a=%FF", KD_FORM_UTF8, "url: %FF");
    url_is("a=%E1%BB", KD_FORM_UTF8, "url: truncated sequence");
    url_is("%C3=1", KD_FORM_UTF8, "url: invalid UTF-8 key");
    url_is("a=\xff", KD_FORM_UTF8, "url: raw 0xFF");
    url_is("a=%C3+%A9", KD_FORM_UTF8, "url: sequence split by '+'");

    url_is("a=1&a=2", KD_FORM_DUPLICATE, "url: a=1&a=2");
    url_is("a=1&b=2&a", KD_FORM_DUPLICATE, "url: a again with no value");
    url_is("a=1&%61=2", KD_FORM_DUPLICATE, "url: a and %61");
    url_is("a+b=1&a%20b=2", KD_FORM_DUPLICATE, "url: a+b and a%20b");
    url_is("a=&a=", KD_FORM_DUPLICATE, "url: a=&a=");
    is_int(url("a=1&A=2"), KD_FORM_OK, "url: keys are case-sensitive");
    is_int(url("a=1&ab=2&b=3"), KD_FORM_OK, "url: prefixes are not dups");
    is_int(nf, 3, "  three fields");
}

static void test_url_limits(void)
{
    kd_form_limits save = lim;

    lim.max_fields = 3;
    lim.max_key = 4;
    lim.max_value = 5;

    is_int(url("a=1&b=2&c=3"), KD_FORM_OK, "limits: 3 of 3 fields");
    url_is("a=1&b=2&c=3&d=4", KD_FORM_TOO_MANY, "limits: 4 of 3 fields");
    url_is("a=1&b=2&c=3&d", KD_FORM_TOO_MANY, "limits: 4th without '='");
    is_int(url("a&&b&&c&&&"), KD_FORM_OK, "limits: empty pairs not counted");
    is_int(nf, 3, "  three fields");
    url_is("a=1&a=2&a=3&a=4", KD_FORM_DUPLICATE,
           "limits: duplicate reported before too many");
    is_int(url("abcd=12345"), KD_FORM_OK, "limits: key 4, value 5");
    url_is("abcde=1", KD_FORM_TOO_LONG, "limits: key 5");
    url_is("a=123456", KD_FORM_TOO_LONG, "limits: value 6");
    is_int(url("k=%41%41%41%41%41"), KD_FORM_OK,
           "limits: 15 bytes decoding to 5 fit");
    field_is(0, "k", "AAAAA", 5, "  AAAAA");
    url_is("k=%41%41%41%41%41%41", KD_FORM_TOO_LONG,
           "limits: decoding to 6 does not");
    is_int(url("%41%41%41%41=1"), KD_FORM_OK, "limits: decoded key of 4");
    url_is("k=1&abcdef", KD_FORM_TOO_LONG, "limits: long key, no '='");
    is_int(url("a=\xe2\x82\xac\xc3\xa9"), KD_FORM_OK,
           "limits: bytes, not characters (5 bytes)");
    url_is("a=\xe2\x82\xac\xe2\x82\xac", KD_FORM_TOO_LONG,
           "limits: 2 characters of 6 bytes");

    lim.max_fields = 0;
    is_int(url(""), KD_FORM_OK, "limits: 0 fields allowed, empty body");
    url_is("a", KD_FORM_TOO_MANY, "limits: 0 fields allowed, one given");
    lim.max_fields = 1;
    lim.max_value = 0;
    is_int(url("a="), KD_FORM_OK, "limits: value 0 allowed, empty value");
    url_is("a=b", KD_FORM_TOO_LONG, "limits: value 0 allowed, one byte");

    lim = save;
}

static void test_json(void)
{
    json_is("{\"a\":\"x\",\"b\":1,\"c\":true,\"d\":false,\"e\":-42}",
            KD_FORM_OK, "json: string, integer, booleans");
    is_int(nf, 5, "  five fields");
    field_is(0, "a", "x", 1, "  a = x");
    field_is(1, "b", "1", 1, "  b = 1");
    field_is(2, "c", "true", 4, "  c = true");
    field_is(3, "d", "false", 5, "  d = false");
    field_is(4, "e", "-42", 3, "  e = -42");

    json_is("{}", KD_FORM_OK, "json: {}");
    is_int(nf, 0, "  no fields");
    json_is(" \n{ \"z\" : \"1\" , \"a\" : \"2\" }\r\n", KD_FORM_OK,
            "json: whitespace");
    field_is(0, "z", "1", 1, "  member order kept (z first)");
    field_is(1, "a", "2", 1, "  a second");
    json_is("{\"s\":\"q\\\"b\\\\s\\/n\\n\\u00e9\\ud83d\\ude00\"}",
            KD_FORM_OK, "json: escapes");
    field_is(0, "s", "q\"b\\s/n\n\xc3\xa9\xf0\x9f\x98\x80", 14,
             "  decoded");
    json_is("{\"\xd0\xba\":\"\xd0\xb7\"}", KD_FORM_OK, "json: UTF-8");
    field_is(0, "\xd0\xba", "\xd0\xb7", 2, "  Cyrillic key and value");
    json_is("{\"n\":9223372036854775807,\"m\":-9223372036854775808}",
            KD_FORM_OK, "json: 64-bit integer extremes");
    field_is(0, "n", "9223372036854775807", 19, "  INT64_MAX");
    field_is(1, "m", "-9223372036854775808", 20, "  INT64_MIN");
    json_is("{\"n\":-0}", KD_FORM_OK, "json: -0");
    field_is(0, "n", "0", 1, "  is 0");
    json_is("{\"n\":99999999999999999999}", KD_FORM_TYPE,
            "json: integer beyond 64 bits");

    json_is("{\"a\":1.5}", KD_FORM_TYPE, "json: real");
    json_is("{\"a\":1.0}", KD_FORM_TYPE, "json: real 1.0");
    json_is("{\"a\":1e3}", KD_FORM_TYPE, "json: real 1e3");
    json_is("{\"a\":null}", KD_FORM_TYPE, "json: null");
    json_is("{\"a\":[]}", KD_FORM_TYPE, "json: array");
    json_is("{\"a\":[\"x\"]}", KD_FORM_TYPE, "json: array of string");
    json_is("{\"a\":{}}", KD_FORM_TYPE, "json: nested empty object");
    json_is("{\"a\":{\"b\":1}}", KD_FORM_TYPE, "json: nested object");
    json_is("{\"ok\":1,\"a\":{\"b\":1}}", KD_FORM_TYPE,
            "json: nested object after a good member");

    json_is("{\"a\":1,\"a\":2}", KD_FORM_DUPLICATE, "json: duplicate");
    json_is("{\"a\":1,\"\\u0061\":2}", KD_FORM_DUPLICATE,
            "json: duplicate spelled \\u0061");
    json_is("{\"a\":{\"b\":1,\"b\":2}}", KD_FORM_DUPLICATE,
            "json: nested duplicate (refused either way)");
    json_is("{\"a\":1,\"A\":2}", KD_FORM_OK, "json: case-sensitive keys");

    json_is("{\"a\":\"\\u0000\"}", KD_FORM_NUL, "json: \\u0000");
    json_is("{\"a\":\"x\\u0000y\"}", KD_FORM_NUL, "json: x\\u0000y");
    json_is("{\"\\u0000\":\"x\"}", KD_FORM_NUL, "json: \\u0000 in key");
    is_int(jsonn("{\"a\":\"x\0\"}", 9), KD_FORM_NUL,
           "json: raw NUL in a string");
    is_int(jsonn("{\"a\":1}\0", 8), KD_FORM_NUL, "json: raw NUL after");

    json_is("{\"a\":\"\xff\"}", KD_FORM_UTF8, "json: 0xFF in string");
    json_is("{\"a\":\"\xc0\xaf\"}", KD_FORM_UTF8, "json: overlong");
    json_is("{\"a\":\"\xed\xa0\x80\"}", KD_FORM_UTF8, "json: surrogate");
    json_is("{\"\xe2\x82\":1}", KD_FORM_UTF8, "json: truncated in key");
    json_is("{\"a\":1}\xff", KD_FORM_UTF8, "json: 0xFF after");
    json_is("{\"a\":\"\\ud800\"}", KD_FORM_SYNTAX,
            "json: escaped lone surrogate (jansson: syntax)");

    json_is("[]", KD_FORM_SYNTAX, "json: top-level array");
    json_is("[{\"a\":1}]", KD_FORM_SYNTAX, "json: array of object");
    json_is("\"a\"", KD_FORM_SYNTAX, "json: top-level string");
    json_is("1", KD_FORM_SYNTAX, "json: top-level number");
    json_is("null", KD_FORM_SYNTAX, "json: top-level null");
    json_is("", KD_FORM_SYNTAX, "json: empty body");
    json_is("a=1", KD_FORM_SYNTAX, "json: urlencoded body");
    json_is("{\"a\":1}x", KD_FORM_SYNTAX, "json: trailing garbage");
    json_is("{\"a\":1}{\"b\":2}", KD_FORM_SYNTAX, "json: two objects");
    json_is("{\"a\":1,}", KD_FORM_SYNTAX, "json: trailing comma");
    json_is("{'a':1}", KD_FORM_SYNTAX, "json: single quotes");
    json_is("{\"a\":1", KD_FORM_SYNTAX, "json: unterminated");
    json_is("\xef\xbb\xbf{\"a\":1}", KD_FORM_SYNTAX, "json: BOM");
    json_is("{\"\":1}", KD_FORM_SYNTAX, "json: empty key");
    json_is("{\"a\":\"\x01\"}", KD_FORM_SYNTAX,
            "json: raw control character");
}

static void test_json_limits(void)
{
    kd_form_limits save = lim;
    size_t n;

    lim.max_fields = 3;
    lim.max_key = 4;
    lim.max_value = 5;

    json_is("{\"a\":1,\"b\":2,\"c\":3}", KD_FORM_OK, "json limits: 3 of 3");
    json_is("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", KD_FORM_TOO_MANY,
            "json limits: 4 of 3");
    json_is("{\"abcd\":\"12345\"}", KD_FORM_OK,
            "json limits: key 4, value 5");
    json_is("{\"abcde\":1}", KD_FORM_TOO_LONG, "json limits: key 5");
    json_is("{\"a\":\"123456\"}", KD_FORM_TOO_LONG, "json limits: value 6");
    json_is("{\"a\":12345}", KD_FORM_OK, "json limits: integer text 5");
    json_is("{\"a\":123456}", KD_FORM_TOO_LONG,
            "json limits: integer text 6");
    json_is("{\"a\":-1234}", KD_FORM_OK, "json limits: -1234 is 5");
    json_is("{\"a\":false}", KD_FORM_OK, "json limits: false is 5");
    json_is("{\"a\":\"\\u0041\\u0041\\u0041\\u0041\\u0041\"}", KD_FORM_OK,
            "json limits: decoded length counts (5)");
    json_is("{\"a\":\"\\u00e9\\u00e9\\u00e9\"}", KD_FORM_TOO_LONG,
            "json limits: UTF-8 bytes count (6)");
    lim.max_value = 4;
    json_is("{\"a\":false}", KD_FORM_TOO_LONG, "json limits: false is 5");
    json_is("{\"a\":true}", KD_FORM_OK, "json limits: true is 4");

    /* The arena size is the caller's: less than needed is refused. */
    lim = save;
    memcpy(body, "{\"a\":\"xyz\"}", 11);
    n = 12345;
    is_int(kd_form_parse_json(body, 11, &lim, arena, 5, f, &n),
           KD_FORM_TOO_LONG, "json: arena too small");
    is_int(kd_form_parse_json(body, 11, &lim, arena, 6, f, &n),
           KD_FORM_OK, "json: arena just big enough");

    /* Many one-character members: the documented arena size suffices. */
    {
        char big[1024];
        size_t i, o = 0;

        lim.max_fields = MAXF;
        big[o++] = '{';
        for (i = 0; i < MAXF; i++) {
            o += (size_t)snprintf(big + o, sizeof(big) - o, "%s\"%c%c\":%s",
                                  i ? "," : "", 'A' + (int)(i / 26),
                                  'a' + (int)(i % 26), "true");
        }
        big[o++] = '}';
        big[o] = '\0';
        is_int(json(big), KD_FORM_OK, "json: 64 members, arena 2n + 16");
        is_int(nf, MAXF, "  64 fields");
        field_is(MAXF - 1, "Cl", "true", 4, "  last member");
    }
    lim = save;
}

static void test_strerror(void)
{
    int i, j, distinct = 1;

    for (i = KD_FORM_OK; i <= KD_FORM_TYPE; i++) {
        for (j = i + 1; j <= KD_FORM_TYPE; j++) {
            if (strcmp(kd_form_strerror((kd_form_status)i),
                       kd_form_strerror((kd_form_status)j)) == 0) {
                distinct = 0;
            }
        }
    }
    ok(distinct, "strerror: a distinct text per status");
    ok(kd_form_strerror((kd_form_status)99) != NULL,
       "strerror: unknown status has a text");
}

int main(void)
{
    test_utf8();
    test_url();
    test_url_limits();
    test_json();
    test_json_limits();
    test_strerror();
    return done_testing();
}
