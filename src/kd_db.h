/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_db.h
 * @brief Database access through mod_dbd: statements by label, rows
 * copied into request memory, transactions.
 */
#ifndef KD_DB_H
#define KD_DB_H

#include "mod_kdata.h"

typedef struct kd_rows kd_rows;

/* A statement the module runs, by label.  Each is prepared on a pooled
 * connection the first time that connection runs it (kd_db.c says why). */
typedef struct {
    const char *label;
    const char *sql;
    int flags;                  /* KD_STMT_*: prepared on first use */
} kd_stmt;

/* A statement naming WHMCS 8 tables (tblusers...). */
#define KD_STMT_WHMCS8 1
/* A statement on mod_kdata's own tables (conf/mod_kdata.sql): prepared
 * on first use too, so that a table not installed yet makes what needs
 * it answer 503 with a log line that says so (KD00307), not every
 * connection fail. */
#define KD_STMT_OWN 2

/* This unit's own statements.  Each unit that runs statements exports
 * its NULL-terminated table (kd_stmts_<unit>) in its header, and
 * mod_kdata.c lists them all for kd_db_statements. */
extern const kd_stmt kd_stmts_db[];

/** The statements of every unit (NULL-terminated list of tables), at
 * configuration time. */
void kd_db_statements(const kd_stmt *const *lists);
/** How many statements that is: the most one connection can prepare. */
int kd_db_statement_count(void);
/** Acquire the request's pooled connection; 503 when there is none. */
int kd_db_acquire(kd_req *kr);
/**
 * Run a SELECT by label with nargs string arguments; all rows are read
 * (and the result drained) before this returns.  *rows is NULL-safe.
 * @return KD_NEXT, or a reply (503/500) already sent.
 */
int kd_db_select(kd_req *kr, const char *label, kd_rows **rows,
                 int nargs, const char **args);
/**
 * kd_db_select for a statement whose first ncommon columns hold the
 * same values in every row (the caller and the parent object, joined
 * one to one ahead of the rows they own): those are read from the first
 * row only and every row shares them.
 */
int kd_db_select_common(kd_req *kr, const char *label, kd_rows **rows,
                        int nargs, const char **args, int ncommon);
/** Run an INSERT/UPDATE/DELETE by label; *affected may be NULL. */
int kd_db_exec(kd_req *kr, const char *label, int *affected,
               int nargs, const char **args);
/**
 * kd_db_exec for an INSERT that may break a unique key: *dup is 1 (and
 * nothing is answered) when it did, 0 when the row went in.
 */
int kd_db_exec_unique(kd_req *kr, const char *label, int nargs,
                      const char **args, int *dup);
/**
 * Run an INSERT/UPDATE/DELETE on the connection the request holds, for
 * the reply path: a failure is logged, never answered.  0 or the
 * driver's error.
 */
int kd_db_run(kd_req *kr, const char *label, int nargs, const char **args);
/** Roll back the open transaction, if any (never answers). */
void kd_db_rollback(kd_req *kr);
/*
 * Lock order.  Every write takes the rows that decide it in one order,
 * so two writes never wait on each other in a circle (a deadlock, which
 * InnoDB breaks by failing one: a spurious 503):
 *   1. the client (tblclients ... FOR UPDATE), always first: two writes
 *      of one client then run one after the other, and whatever else of
 *      that client a write locks (its invoices, its services: rows no
 *      other client's write touches) cannot close a circle;
 *   2. the product an order is for, when WHMCS counts its stock
 *      (tblproducts ... FOR UPDATE, addorder's load): shared by every
 *      client, so right after the client and before the order's
 *      invoice and service (rows it creates, which nothing else can be
 *      holding); one product per write, and no other write locks one;
 *   3. tblconfiguration's sequential invoice number, shared by every
 *      client, always last (kd_invoice_apply_credit).
 * An Idempotency-Key is claimed before the write begins, in a
 * transaction of its own, and so holds no lock during it.
 */
/** Begin a transaction (START TRANSACTION: one round trip), rolled
 * back by a cleanup unless committed; within one already open, nothing.
 * Writes begin through kd_whmcs_begin_write, which first checks that
 * the tables they use can roll back. */
int kd_db_begin(kd_req *kr);
/** Commit the open transaction (COMMIT: one round trip). */
int kd_db_commit(kd_req *kr);
/** The id the last INSERT on this connection created: the driver's,
 * without a round trip, where it can tell (kd_db.c). */
int kd_db_insert_id(kd_req *kr, long long *id);

int kd_rows_count(const kd_rows *rows);
/** Column value (NULL for SQL NULL) of row i (0-based). */
const char *kd_rows_get(const kd_rows *rows, int i, int col);
/** Move row i to the front, keeping the others' order. */
void kd_rows_move_first(kd_rows *rows, int i);
/** Keep only the first n rows. */
void kd_rows_truncate(kd_rows *rows, int n);

/* A text column read at a bounded width.  The MySQL driver of apr_dbd
 * gives every result column a buffer as wide as the column can be (up
 * to DBDParams fldsz, 1 MB by default): a TEXT column read through a
 * utf8mb4 connection costs 256 KB per column per query.  Reading it as
 * CHAR(n) sizes the buffer for the values WHMCS really keeps there. */
#define KD_TXT(col, n) "CAST(" col " AS CHAR(" #n "))"

/* A column read as text of at most n characters, as KD_TXT and KD_DATE
 * read it (the same bytes), for less: MariaDB computes LEFT() without
 * the copy and checks CAST makes of every cell (getproduct's statement:
 * 391k -> 367k instructions per execution), and a wide one is described
 * as a VARCHAR where CAST(... AS CHAR(16383)) is a BLOB 262,128 bytes
 * wide, the size of the bind buffer apr_dbd_mysql then takes from the
 * request pool (65,533 with LEFT).  Used by the statements measured
 * with it; the others keep KD_TXT until theirs are. */
#define KD_STR(col, n) "LEFT(" col ", " #n ")"

/* A DATE or DATETIME column read as text.  Sent in binary, each one
 * costs a formatted print in libmariadb, twice (apr_dbd_mysql fetches
 * the row, then each column again); as text it is a copy. */
#define KD_DATE(col) KD_TXT(col, 19)

#endif /* KD_DB_H */
