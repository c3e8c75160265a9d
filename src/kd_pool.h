/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_pool.h
 * @brief The database pools against the server's limit on prepared
 * statements: each process checks each pool once, on its first
 * connection, and warns when the worst case is over the limit.
 */
#ifndef KD_POOL_H
#define KD_POOL_H

#include "mod_kdata.h"

/** mod_dbd's post_connect hook (register_hooks time). */
void kd_pool_register_hooks(void);

#endif /* KD_POOL_H */
