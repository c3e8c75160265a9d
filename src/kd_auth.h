/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_auth.h
 * @brief The bearer guard: tokens, the caller's client and user, their
 * WHMCS permissions, token issue and revocation.
 */
#ifndef KD_AUTH_H
#define KD_AUTH_H

#include "mod_kdata.h"
#include "kd_db.h"

extern const kd_stmt kd_stmts_auth[];

/* The caller's columns, first in every statement that checks the caller
 * in the same round trip as it reads: whether the token was revoked
 * (mod_kdata_revoked: /logout, /refresh), the client's status, the
 * credential's password hash, and (WHMCS 8) the user's link to the
 * client.  Their arguments come first, as kd_auth_bind writes them: the
 * token id, then (the _FROM8 joins) the user id.  Both end with the
 * client as "c", whose id the statement's WHERE names.  Statements
 * built with them name mod_kdata's own table: KD_STMT_OWN. */
#define KD_CALLER_NCOLS 5
#define KD_CALLER_REVOKED \
    "EXISTS (SELECT 1 FROM mod_kdata_revoked WHERE jti = %s), "
#define KD_CALLER_COLS7 \
    KD_CALLER_REVOKED "c.status, " KD_TXT("c.password", 255) ", 1, NULL"
#define KD_CALLER_FROM7 "tblclients c"
#define KD_CALLER_COLS8 KD_CALLER_REVOKED \
    "c.status, u.password, uc.owner, " KD_TXT("uc.permissions", 1024)
#define KD_CALLER_FROM8 \
    "tblclients c LEFT JOIN tblusers_clients uc ON uc.client_id = c.id " \
    "AND uc.auth_user_id = %d LEFT JOIN tblusers u ON u.id = uc.auth_user_id"
/* The caller's columns in a statement that locks the client "c" (FOR
 * UPDATE) and reads no other table in its FROM: everything else is a
 * scalar subquery that names c, which MariaDB reads without locking (the
 * WHMCS 8 user and link: a login writes them; they are not in kd_db.h's
 * lock order) and only once it holds c's row.  A subquery that does not
 * name the outer row is run while the statement is optimized, before
 * the lock is granted, and the transaction's snapshot is taken then
 * (measured on MariaDB 10.11): reads after a wait for the lock would
 * miss what the holder committed.  Hence the revocation check's
 * "c.id IS NOT NULL".  ep_order.c counts orders on that snapshot;
 * t/54-order-limit.t pins it.  Arguments: kd_auth_bind_locked. */
#define KD_CALLER_REVOKED_LOCKED \
    "EXISTS (SELECT 1 FROM mod_kdata_revoked WHERE jti = %s " \
    "AND c.id IS NOT NULL), "
#define KD_CALLER_LINK8(col) \
    "(SELECT " col " FROM tblusers_clients uc WHERE uc.client_id = c.id " \
    "AND uc.auth_user_id = %d LIMIT 1)"
#define KD_CALLER_LOCKED7 KD_CALLER_REVOKED_LOCKED \
    "c.status, " KD_TXT("c.password", 255) ", 1, NULL"
#define KD_CALLER_LOCKED8 KD_CALLER_REVOKED_LOCKED "c.status, " \
    "(SELECT u.password FROM tblusers_clients uc JOIN tblusers u " \
    "ON u.id = uc.auth_user_id WHERE uc.client_id = c.id " \
    "AND uc.auth_user_id = %d LIMIT 1), " KD_CALLER_LINK8("uc.owner") ", " \
    KD_CALLER_LINK8(KD_TXT("uc.permissions", 1024))
/* The caller's columns' place in a UNION's other branches. */
#define KD_CALLER_NULLS "NULL, NULL, NULL, NULL, NULL"

/** The caller columns' arguments into args (the token id, and the user
 * id when v8); @return how many. */
int kd_auth_bind(const kd_req *kr, int v8, const char **args);
/** kd_auth_bind for KD_CALLER_LOCKED*: the token id, and the user id
 * three times when v8; @return how many. */
int kd_auth_bind_locked(const kd_req *kr, int v8, const char **args);
/** Verify the bearer token (no database); 401 on failure. */
int kd_auth_token(kd_req *kr);
/** Load the caller's client (and user link); 401 when gone. */
int kd_auth_client(kd_req *kr);
/**
 * Which caller columns to use: *v8 is 1 for KD_CALLER_*8 (a WHMCS 8
 * user), 0 for KD_CALLER_*7.
 * @return KD_NEXT, or a reply (503/500) already sent.
 */
int kd_auth_v8(kd_req *kr, int *v8);
/**
 * Check the caller from the KD_CALLER_NCOLS columns from col on, in row
 * 0 of a statement built with KD_CALLER_*; 401 when the client is gone
 * (no row), the user's link is, or the password changed.
 */
int kd_auth_from_rows(kd_req *kr, const kd_rows *rows, int col);
/** 1 when the caller may use the route's WHMCS permission (always, as
 * the client's owner or on a route that names none). */
int kd_auth_allowed(const kd_req *kr);
/** The pwf claim for a password hash (out: 32 bytes). */
void kd_auth_fingerprint(const kd_req *kr, const char *hash, char *out);
/** Sign a fresh token for client (and WHMCS 8 user); 0 or -1. */
int kd_auth_issue(kd_req *kr, long long client, long long user,
                  const char *hash, char *out, apr_size_t outsz);
/**
 * Revoke the caller's token until it expires (mod_kdata_revoked, shared
 * by every host): KD_NEXT when revoked now; a token revoked already (two
 * requests racing to refresh or log out one token: one wins) is 401.
 */
int kd_auth_revoke(kd_req *kr);

#endif /* KD_AUTH_H */
