/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * libFuzzer target: kd_b64url_decode / kd_b64url_encode.
 *
 * Invariants: a decode that succeeds re-encodes to exactly its input (one
 * spelling per value) and writes no more than documented; any bytes
 * encode to the documented length and decode back to themselves.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kd_jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *dec;
    char *src, *enc;
    size_t dlen = 0, elen;

    if (size > 4 * KD_JWT_MAX_LEN) {
        return 0;
    }
    /* Exact-size heap copies, so any overread or overwrite is caught. */
    src = malloc(size + 1);
    dec = malloc((size / 4) * 3 + 2);
    enc = malloc(KD_B64URL_ENCLEN((size / 4) * 3 + 2));
    if (src == NULL || dec == NULL || enc == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(src, data, size);
    }

    if (kd_b64url_decode(dec, &dlen, src, size) == 0) {
        if (dlen != size * 3 / 4) {
            abort();
        }
        elen = kd_b64url_encode(enc, dec, dlen);
        if (elen != size || memcmp(enc, src, size) != 0) {
            abort();
        }
    }
    free(enc);

    enc = malloc(KD_B64URL_ENCLEN(size));
    if (enc == NULL) {
        abort();
    }
    elen = kd_b64url_encode(enc, (const unsigned char *)src, size);
    if (elen != (size * 4 + 2) / 3 || enc[elen] != '\0'
        || strlen(enc) != elen) {
        abort();
    }
    free(dec);
    dec = malloc((elen / 4) * 3 + 2);
    if (dec == NULL || kd_b64url_decode(dec, &dlen, enc, elen) != 0
        || dlen != size || memcmp(dec, src, size) != 0) {
        abort();
    }
    free(dec);
    free(enc);
    free(src);
    return 0;
}
