/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_throttle.h
 * @brief Failed-login limits (leaky buckets).
 */
#ifndef KD_THROTTLE_H
#define KD_THROTTLE_H

#include "mod_kdata.h"

/**
 * 429 with Retry-After when the address or the account is throttled;
 * otherwise the attempt is counted as a failure until refunded.
 */
int kd_throttle_check(kd_req *kr, const char *email);
/** Give back the count of an attempt that did not fail its credentials. */
void kd_throttle_refund(kd_req *kr);

#endif /* KD_THROTTLE_H */
