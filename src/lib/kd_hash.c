/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * kd_hash.c: the module's two naming hashes, one home each (the cache
 * filter, the verified-token tables, throttle and idempotency keys).
 */

#include <string.h>

#include <openssl/evp.h>

#include "kd_hash.h"

uint32_t kd_fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u;

    while (n--) {
        h = (h ^ *p++) * 16777619u;
    }
    return h;
}

char *kd_sha256_hex(const void *data, size_t n, size_t nbytes, char *out)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t i;

    if (nbytes > 32) {
        nbytes = 32;
    }
    /* EVP_Digest fails only without memory; a zero digest then still
     * names an entry, just a shared one. */
    if (!EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL)) {
        memset(md, 0, sizeof(md));
    }
    for (i = 0; i < nbytes; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return out;
}
