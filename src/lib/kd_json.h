/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_json.h
 * @brief JSON values made from database text and exact amounts.
 *
 * No httpd or APR types cross this API (the JSON-output fuzzer links it
 * alone).
 */
#ifndef KD_JSON_H
#define KD_JSON_H

#include <jansson.h>

#include "kd_money.h"

/**
 * A JSON string from bytes that may be NULL or not UTF-8: "" then, so
 * a reply keeps its shape instead of silently losing the key.
 */
json_t *kd_json_str(const char *s);

/** An amount as an exact JSON number text: 450000, 12.5; buf >= 32. */
char *kd_json_amount(char *buf, kd_cents v);

#endif /* KD_JSON_H */
