/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_hash.h
 * @brief Hashes that name things: FNV-1a to spread keys over local
 * tables, and SHA-256 in hex to name shared entries after input that
 * must not appear in them (an email, a client's Idempotency-Key).
 */
#ifndef KD_HASH_H
#define KD_HASH_H

#include <stddef.h>
#include <stdint.h>

/** FNV-1a (32 bits) of n bytes: fast and well spread, not a MAC. */
uint32_t kd_fnv1a(const void *data, size_t n);

/**
 * The first nbytes (at most 32) of SHA-256(data) as lower-case hex into
 * out, which must hold 2 * nbytes + 1.  @return out.
 */
char *kd_sha256_hex(const void *data, size_t n, size_t nbytes, char *out);

#endif /* KD_HASH_H */
