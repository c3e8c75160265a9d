/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * POST /api/v1/addorder: an order for one VPS, leaving exactly the rows
 * WHMCS's own AddOrder leaves: tblorders, tblhosting,
 * tblhostingconfigoptions, tblcustomfieldsvalues, the invoice and its
 * Hosting line (in WHMCS's words, dates and currency format), the
 * activity log, and credit applied when the installation does that.
 * All in one transaction that starts by locking the client's row, so
 * two orders of one client run one after the other and nothing is left
 * half written.  Every input is checked before the first write.
 * A product whose stock WHMCS counts (tblproducts.stockcontrol) is sold
 * only while its qty is above zero, and each order takes one unit, under
 * the product's row lock: parallel orders never sell more than there is.
 * kd_ep_addorder runs as steps over one kd_order: parse, admit, load,
 * price, write, settle, reply.
 * Round trips are most of what an order costs (issue 16): everything it
 * reads comes in two statements after BEGIN (the client, locked; the
 * product with the rest), the ids it creates come from the driver, and
 * the options go in one INSERT, so a plain order is 11 round trips
 * (t/61-round-trips.t lists them).
 */

#include "apr_strings.h"
#include "apr_lib.h"

#include <openssl/rand.h>

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_billing.h"
#include "kd_body.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_idem.h"
#include "kd_money.h"
#include "kd_outbox.h"
#include "kd_reply.h"
#include "kd_whmcs.h"

/* Price columns, as every pricing query below selects them: the six
 * setup fees, then the six recurring prices, cycle by cycle. */
#define KD_PRICE_COLS(t) \
    t ".msetupfee, " t ".qsetupfee, " t ".ssetupfee, " t ".asetupfee, " \
    t ".bsetupfee, " t ".tsetupfee, " t ".monthly, " t ".quarterly, " \
    t ".semiannually, " t ".annually, " t ".biennially, " t ".triennially"
/* The recurring prices follow the six setup fees. */
#define KD_RECURRING 6

enum {                          /* kd_order_client columns */
    KD_OC_CALLER = 0,           /* KD_CALLER_NCOLS of them */
    KD_OC_CURRENCY = KD_CALLER_NCOLS, KD_OC_GATEWAY, KD_OC_TAXEXEMPT,
    KD_OC_CREDIT, KD_OC_STATE, KD_OC_COUNTRY
};
enum {                          /* kd_order_product columns: the product */
    KD_OP_SETTINGS = 0,         /* KD_SETTINGS_NCOLS of them */
    KD_OP_ORDERS = KD_SETTINGS_NCOLS, KD_OP_OLDEST, KD_OP_NUMBER_USED,
    KD_OP_FIELDS, KD_OP_GATEWAY, KD_OP_RATE1, KD_OP_RATE2, KD_OP_ID,
    KD_OP_NAME, KD_OP_PAYTYPE, KD_OP_TAX, KD_OP_CURID, KD_OP_PREFIX,
    KD_OP_SUFFIX, KD_OP_FORMAT, KD_OP_STOCK, KD_OP_AUTOSETUP, KD_OP_PRICES,
    KD_OP_NCOLS = KD_OP_PRICES + 12
};
enum {                          /* then one option's sub-option a row */
    KD_OO_ID = KD_OP_NCOLS, KD_OO_NAME, KD_OO_TYPE, KD_OO_QMIN, KD_OO_QMAX,
    KD_OO_HIDDEN, KD_OO_SUBID, KD_OO_SUBNAME, KD_OO_SUBHIDDEN, KD_OO_PRICES
};

/* The client's row, locked, with the caller checked in the same round
 * trip (kd_auth.h, KD_CALLER_LOCKED*): its first statement. */
#define KD_ORDER_CLIENT(caller) \
    "SELECT " caller ", c.currency, " KD_TXT("c.defaultgateway", 255) \
    ", c.taxexempt, c.credit, " KD_TXT("c.state", 255) ", " \
    KD_TXT("c.country", 64) " FROM tblclients c WHERE c.id = %d FOR UPDATE"

/* The most specific tax rule of a level for the client's location. */
#define KD_ORDER_RATE(level) \
    "(SELECT taxrate FROM tbltax WHERE level = " level " " \
    "AND (country = %s OR country = '') AND (state = %s OR state = '') " \
    "ORDER BY country = '', state = '', id LIMIT 1) AS rate" level ", "

/* One row of tblhostingconfigoptions, and 2, 4 of them. */
#define KD_OPT_ROW "(%d, %d, %d, %d)"
#define KD_OPT_ROW2 KD_OPT_ROW ", " KD_OPT_ROW
#define KD_OPT_ROW4 KD_OPT_ROW2 ", " KD_OPT_ROW2
#define KD_OPT_INSERT \
    "INSERT INTO tblhostingconfigoptions (relid, configid, optionid, qty) " \
    "VALUES "
/* The most rows one statement writes (kd_order_service_options). */
#define KD_OPT_MAX 8

const kd_stmt kd_stmts_order[] = {
    {"kd_order_client7", KD_ORDER_CLIENT(KD_CALLER_LOCKED7), KD_STMT_OWN},
    {"kd_order_client8", KD_ORDER_CLIENT(KD_CALLER_LOCKED8),
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    /* Everything else the order reads, in the second statement after the
     * client's lock (the first plain read: kd_auth.h): the settings; the
     * client's orders in the order limit's window (how many, and how
     * far into the window the oldest is), counted here so that the count
     * includes every order of the client that committed before (one
     * order at a time per client, on any number of hosts, and nothing
     * outside the database to flush); whether the order number drawn is
     * taken; whether the product has custom fields; the payment gateway
     * (the client's default when it is one, else the first); the
     * client's tax rates; the product in the client's currency, or the
     * installation's default one.  All of it once, in the derived
     * table p; then each of the product's configurable options' sub-
     * options, a row each (none: one row of NULLs), after p's columns
     * (kd_db_select_common). */
    {"kd_order_product",
     "SELECT p.*, o.id, " KD_TXT("o.optionname", 255) ", "
     KD_TXT("o.optiontype", 8) ", o.qtyminimum, o.qtymaximum, o.hidden, "
     "s.id, " KD_TXT("s.optionname", 255) ", s.hidden, "
     KD_PRICE_COLS("opr") " FROM (SELECT " KD_SETTINGS_COLS
     "(SELECT COUNT(*) FROM tblorders WHERE userid = %d "
     "AND date > %s) AS orders, (SELECT TIMESTAMPDIFF(SECOND, %s, "
     "MIN(date)) FROM tblorders WHERE userid = %d AND date > %s) AS oldest, "
     "(SELECT COUNT(*) FROM tblorders WHERE ordernum = %s) AS taken, "
     "(SELECT COUNT(*) FROM tblcustomfields WHERE type = 'product' "
     "AND relid = p.id) AS `fields`, "
     "(SELECT " KD_TXT("gateway", 255) " FROM tblpaymentgateways "
     "WHERE setting = 'name' ORDER BY gateway = %s DESC, `order`, id "
     "LIMIT 1) AS gateway, " KD_ORDER_RATE("1") KD_ORDER_RATE("2")
     "p.id, " KD_TXT("p.name", 255) ", " KD_TXT("p.paytype", 16) ", p.tax, "
     "cur.id AS curid, " KD_TXT("cur.prefix", 64) ", "
     KD_TXT("cur.suffix", 64) ", cur.format, p.stockcontrol, "
     KD_TXT("p.autosetup", 16) ", " KD_PRICE_COLS("pr") " "
     "FROM tblproducts p JOIN tblcurrencies cur ON cur.id = COALESCE("
     "(SELECT id FROM tblcurrencies WHERE id = %d), "
     "(SELECT id FROM tblcurrencies ORDER BY `default` DESC, id LIMIT 1)) "
     "LEFT JOIN tblpricing pr ON pr.type = 'product' "
     "AND pr.currency = cur.id AND pr.relid = p.id "
     "WHERE p.name = %s AND p.hidden = 0 AND p.retired = 0 "
     "ORDER BY p.id, pr.id LIMIT 1) p "
     "LEFT JOIN (tblproductconfiglinks l "
     "JOIN tblproductconfigoptions o ON o.gid = l.gid "
     "JOIN tblproductconfigoptionssub s ON s.configid = o.id) "
     "ON l.pid = p.id "
     "LEFT JOIN tblpricing opr ON opr.type = 'configoptions' "
     "AND opr.currency = p.curid AND opr.relid = s.id "
     "ORDER BY o.`order`, o.id, s.sortorder, s.id", 0},
    /* The stock of a product whose stock WHMCS counts, locked until the
     * transaction ends (kd_db.h: the client first, then this). */
    {"kd_order_stock",
     "SELECT stockcontrol, qty FROM tblproducts WHERE id = %d FOR UPDATE",
     0},
    {"kd_order_stock_take",
     "UPDATE tblproducts SET qty = qty - 1 WHERE id = %d", 0},
    /* Another order number, when the one drawn was taken. */
    {"kd_order_ordernum",
     "SELECT COUNT(*) FROM tblorders WHERE ordernum = %s", 0},
    {"kd_order_invoice",
     "INSERT INTO tblinvoices (userid, invoicenum, date, duedate, "
     "subtotal, credit, tax, tax2, total, taxrate, taxrate2, status, "
     "paymentmethod, notes, created_at, updated_at) VALUES (%d, '', %s, "
     "%s, %s, 0, %s, %s, %s, %s, %s, 'Unpaid', %s, '', %s, %s)", 0},
    {"kd_order_insert8",
     "INSERT INTO tblorders (ordernum, userid, contactid, requestor_id, "
     "admin_requestor_id, date, nameservers, transfersecret, renewals, "
     "promocode, promotype, promovalue, orderdata, amount, paymentmethod, "
     "invoiceid, status, ipaddress, fraudmodule, fraudoutput, notes) "
     "VALUES (%s, %d, 0, %d, 0, %s, '', '', '', '', '', '', '', %s, %s, "
     "%d, 'Pending', %s, '', '', '')", 1},
    {"kd_order_insert7",
     "INSERT INTO tblorders (ordernum, userid, contactid, date, "
     "nameservers, transfersecret, renewals, promocode, promotype, "
     "promovalue, orderdata, amount, paymentmethod, invoiceid, status, "
     "ipaddress, fraudmodule, fraudoutput, notes) "
     "VALUES (%s, %d, 0, %s, '', '', '', '', '', '', '', %s, %s, %d, "
     "'Pending', %s, '', '', '')", 0},
    {"kd_order_hosting",
     "INSERT INTO tblhosting (userid, orderid, packageid, server, regdate, "
     "domain, paymentmethod, firstpaymentamount, amount, billingcycle, "
     "nextduedate, nextinvoicedate, domainstatus, username, password, "
     "notes, subscriptionid, promoid, suspendreason, overideautosuspend, "
     "overidesuspenduntil, dedicatedip, assignedips, ns1, ns2, created_at, "
     "updated_at) VALUES (%d, %d, %d, 0, %s, %s, %s, %s, %s, %s, %s, %s, "
     "'Pending', '', '', '', '', 0, '', 0, '0000-00-00', '', '', %s, %s, "
     "%s, %s)", 0},
    /* The service's options, up to KD_OPT_MAX rows a statement: one
     * statement for most products (a fixed number of arguments each, so
     * one for each count of rows, prepared on a connection when it first
     * writes that many). */
    {"kd_order_options1", KD_OPT_INSERT KD_OPT_ROW, 0},
    {"kd_order_options2", KD_OPT_INSERT KD_OPT_ROW2, 0},
    {"kd_order_options3", KD_OPT_INSERT KD_OPT_ROW2 ", " KD_OPT_ROW, 0},
    {"kd_order_options4", KD_OPT_INSERT KD_OPT_ROW4, 0},
    {"kd_order_options5", KD_OPT_INSERT KD_OPT_ROW4 ", " KD_OPT_ROW, 0},
    {"kd_order_options6", KD_OPT_INSERT KD_OPT_ROW4 ", " KD_OPT_ROW2, 0},
    {"kd_order_options7",
     KD_OPT_INSERT KD_OPT_ROW4 ", " KD_OPT_ROW2 ", " KD_OPT_ROW, 0},
    {"kd_order_options8", KD_OPT_INSERT KD_OPT_ROW4 ", " KD_OPT_ROW4, 0},
    {"kd_order_customfields",
     "INSERT INTO tblcustomfieldsvalues (fieldid, relid, value, created_at, "
     "updated_at) SELECT id, %d, '', %s, %s FROM tblcustomfields "
     "WHERE type = 'product' AND relid = %d", 0},
    {"kd_order_item",
     "INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid, "
     "description, amount, taxed, duedate, paymentmethod, notes) "
     "VALUES (%d, %d, 'Hosting', %d, %s, %s, %d, %s, %s, '')", 0},
    {NULL, NULL, 0}
};

/* One configurable option of the product, and what the order chose. */
typedef struct {
    const char *id;
    const char *name;           /* display name */
    int type;                   /* 1 dropdown, 2 radio, 3 yes/no, 4 qty */
    long qmin, qmax;
    int hidden;
    int first;                  /* first row of its sub-options */
    int nsubs;
    int chosen;                 /* row of the chosen sub-option */
    long qty;
} kd_option;

/* An order as kd_ep_addorder's steps fill it in, each step from what the
 * ones before it left. */
typedef struct {
    kd_req *kr;
    apr_pool_t *p;
    /* parse */
    const char *product_name;
    const kd_cycle *cycle;
    const char *hostname, *ns1, *ns2;
    /* admit, load */
    int v8;
    kd_settings s;
    kd_rows *client, *product, *opts;
    kd_option *options;
    int noptions;
    const char *gateway;
    int stock;                  /* one unit of the product to take */
    /* price */
    kd_cents first, recurring;
    int taxed;
    long long rate1, rate2;     /* the client's, thousandths of a percent */
    kd_tax tax;                 /* on first: net is the invoice subtotal */
    kd_cents total;
    /* write, settle */
    kd_date today;
    char today_s[11];
    const char *now, *ordernum;
    long long invoiceid, orderid, serviceid;
    int paid;
} kd_order;

static int kd_bad(kd_req *kr, const char *msg)
{
    return kd_error(kr, HTTP_BAD_REQUEST, "message", msg);
}

static kd_cents kd_price_at(const kd_rows *rows, int row, int col)
{
    const char *v = kd_rows_get(rows, row, col);
    kd_cents c;

    /* -1.00 marks a disabled cycle; a missing row costs nothing. */
    if (!v || kd_money_parse(v, &c) || c < 0) {
        return 0;
    }
    return c;
}

/* A recurring cycle the product has a price for (-1.00: disabled). */
static int kd_cycle_offered(const kd_rows *product, const kd_cycle *c)
{
    const char *v;

    if (c->months <= 0) {
        return 0;
    }
    v = kd_rows_get(product, 0, KD_OP_PRICES + KD_RECURRING + c->price_col);
    return v && v[0] != '-';
}

/* The cycles' system names, all of them or (product given) the ones the
 * product offers, as the error messages list them. */
static const char *kd_cycle_names(apr_pool_t *p, const kd_rows *product)
{
    apr_array_header_t *names = apr_array_make(p, KD_NCYCLES,
                                               sizeof(char *));
    int i;

    for (i = 0; i < KD_NCYCLES; i++) {
        if (!product || kd_cycle_offered(product, &kd_cycles[i])) {
            APR_ARRAY_PUSH(names, const char *) = kd_cycles[i].sys;
        }
    }
    return apr_array_pstrcat(p, names, ',');
}

/* Machine value and display name are both accepted (WHMCS's
 * "value|Display name" convention), case-insensitively and exactly. */
static int kd_sub_matches(apr_pool_t *p, const char *sub, const char *want)
{
    const char *bar = strchr(sub, '|');

    if (!strcasecmp(kd_display_name(p, sub), want)) {
        return 1;
    }
    return bar && strlen(want) == (apr_size_t)(bar - sub)
           && !strncasecmp(sub, want, (apr_size_t)(bar - sub));
}

static const char *kd_valid_subs(kd_order *o, const kd_option *opt)
{
    apr_array_header_t *names = apr_array_make(o->p, opt->nsubs,
                                               sizeof(char *));
    int i;

    for (i = opt->first; i < opt->first + opt->nsubs; i++) {
        if (strcmp(kd_rows_get(o->opts, i, KD_OO_SUBHIDDEN), "0")) {
            continue;
        }
        APR_ARRAY_PUSH(names, const char *) =
            kd_display_name(o->p, kd_rows_get(o->opts, i, KD_OO_SUBNAME));
    }
    return apr_array_pstrcat(o->p, names, ',');
}

/* Group the option rows, each option taking its first sub-option (and
 * for quantities, its minimum) unless the order says otherwise. */
static void kd_group_options(kd_order *o)
{
    int i, n = kd_rows_count(o->opts);

    /* A product without options: its one row has none. */
    if (n == 1 && !kd_rows_get(o->opts, 0, KD_OO_ID)) {
        n = 0;
    }
    o->options = apr_pcalloc(o->p, sizeof(kd_option) * (n + 1));
    for (i = 0; i < n; i++) {
        const char *id = kd_rows_get(o->opts, i, KD_OO_ID);
        kd_option *opt;

        if (o->noptions && !strcmp(o->options[o->noptions - 1].id, id)) {
            o->options[o->noptions - 1].nsubs++;
            continue;
        }
        opt = &o->options[o->noptions++];
        opt->id = id;
        opt->name = kd_display_name(o->p, kd_rows_get(o->opts, i,
                                                      KD_OO_NAME));
        opt->type = atoi(kd_rows_get(o->opts, i, KD_OO_TYPE));
        opt->qmin = atol(kd_rows_get(o->opts, i, KD_OO_QMIN));
        opt->qmax = atol(kd_rows_get(o->opts, i, KD_OO_QMAX));
        opt->hidden = strcmp(kd_rows_get(o->opts, i, KD_OO_HIDDEN), "0");
        opt->first = i;
        opt->nsubs = 1;
        opt->chosen = i;
        opt->qty = opt->type == 4 ? (opt->qmin > 0 ? opt->qmin : 0) : 0;
    }
}

/* A quantity option: the API's own 1..5, within the option's bounds
 * (0 = none). */
static int kd_choose_qty(kd_order *o, kd_option *opt, const char *fname,
                         const char *want)
{
    long lo = 1, hi = 5, q;
    char *end;

    if (opt->qmin > lo) {
        lo = opt->qmin;
    }
    if (opt->qmax > 0 && opt->qmax < hi) {
        hi = opt->qmax;
    }
    errno = 0;
    q = strtol(want, &end, 10);
    if (!apr_isdigit(*want) || *end || errno || q < lo || q > hi) {
        return kd_bad(o->kr, apr_psprintf(o->p, "Invalid %s: a whole number"
                                          " from %ld to %ld", fname, lo,
                                          hi));
    }
    opt->qty = q;
    return KD_NEXT;
}

static int kd_choose_yesno(kd_order *o, kd_option *opt, const char *fname,
                           const char *want)
{
    if (!strcasecmp(want, "yes") || !strcmp(want, "1")
        || !strcasecmp(want, "on")) {
        opt->qty = 1;
        return KD_NEXT;
    }
    if (!strcasecmp(want, "no") || !strcmp(want, "0")
        || !strcasecmp(want, "off")) {
        opt->qty = 0;
        return KD_NEXT;
    }
    return kd_bad(o->kr, apr_psprintf(o->p, "Invalid %s: valid values are "
                                      "Yes,No", fname));
}

/* The order's choice for one of the kd_opt options. */
static int kd_choose(kd_order *o, int field, const char *want)
{
    kd_req *kr = o->kr;
    const char *fname = kd_opts[field].field;
    kd_option *opt = NULL;
    int i;

    for (i = 0; i < o->noptions; i++) {
        if (!strcasecmp(o->options[i].name, kr->sconf->opt_name[field])) {
            opt = &o->options[i];
            break;
        }
    }
    if (!opt) {
        return kd_bad(kr, apr_psprintf(o->p, "Invalid %s: this product has "
                                       "no %s option", fname,
                                       kr->sconf->opt_name[field]));
    }
    if (opt->type == 4) {
        return kd_choose_qty(o, opt, fname, want);
    }
    if (opt->type == 3) {
        return kd_choose_yesno(o, opt, fname, want);
    }
    for (i = opt->first; i < opt->first + opt->nsubs; i++) {
        if (!strcmp(kd_rows_get(o->opts, i, KD_OO_SUBHIDDEN), "0")
            && kd_sub_matches(o->p, kd_rows_get(o->opts, i, KD_OO_SUBNAME),
                              want)) {
            opt->chosen = i;
            return KD_NEXT;
        }
    }
    return kd_bad(kr, apr_psprintf(o->p, "Invalid %s: valid values are %s",
                                   fname, kd_valid_subs(o, opt)));
}

/* What the option adds: recurring per cycle, and the setup fee. */
static void kd_option_price(const kd_order *o, const kd_option *opt,
                            kd_cents *rec, kd_cents *setup)
{
    int col = o->cycle->price_col;
    kd_cents r, s;
    long n = 1;

    *rec = *setup = 0;
    if (col < 0) {
        return;
    }
    r = kd_price_at(o->opts, opt->chosen, KD_OO_PRICES + KD_RECURRING + col);
    s = kd_price_at(o->opts, opt->chosen, KD_OO_PRICES + col);
    if (opt->type == 3 || opt->type == 4) {
        n = opt->qty;
    }
    *rec = r * n;
    *setup = s * n;
}

/* WHMCS's invoice line: "Product[ - domain] (from - to)" and then one
 * line per visible option: "Name: value", a quantity as
 * "3 x IP VND50,000VND" (unit price in the client's currency). */
static const char *kd_describe(kd_order *o)
{
    apr_pool_t *p = o->p;
    const char *d = kd_rows_get(o->product, 0, KD_OP_NAME);
    int months = o->cycle->months;
    char a[11], b[11], money[96];
    int i;

    if (*o->hostname) {
        d = apr_pstrcat(p, d, " - ", o->hostname, NULL);
    }
    if (months > 0) {
        kd_date end = kd_date_add(&o->today, months, -1);

        d = apr_pstrcat(p, d, " (", kd_date_format(a, &o->today,
                        o->s.date_format), " - ", kd_date_format(b, &end,
                        o->s.date_format), ")", NULL);
    }
    for (i = 0; i < o->noptions; i++) {
        const kd_option *opt = &o->options[i];
        const char *sub = kd_rows_get(o->opts, opt->chosen, KD_OO_SUBNAME);
        const char *v;

        if (opt->hidden
            || strcmp(kd_rows_get(o->opts, opt->chosen, KD_OO_SUBHIDDEN),
                      "0")) {
            continue;
        }
        if (opt->type == 3) {
            v = opt->qty ? "Yes" : "No";
        }
        else if (opt->type == 4) {
            kd_cents unit = o->cycle->price_col < 0 ? 0 :
                kd_price_at(o->opts, opt->chosen, KD_OO_PRICES
                            + KD_RECURRING + o->cycle->price_col);

            if (!kd_money_format(money, sizeof(money), unit,
                     atoi(kd_rows_get(o->product, 0, KD_OP_FORMAT)),
                     kd_rows_get(o->product, 0, KD_OP_PREFIX),
                     kd_rows_get(o->product, 0, KD_OP_SUFFIX))) {
                money[0] = '\0';
            }
            v = apr_psprintf(p, "%ld x %s %s", opt->qty,
                             kd_display_name(p, sub), money);
        }
        else {
            v = kd_display_name(p, sub);
        }
        d = apr_pstrcat(p, d, "\n", opt->name, ": ", v, NULL);
    }
    return d;
}

static int kd_check_name(const char *v, apr_size_t max, int dots)
{
    apr_size_t n = strlen(v);
    const char *c;

    if (n > max) {
        return 0;
    }
    for (c = v; *c; c++) {
        if (!apr_isalnum(*c) && *c != '-' && !(dots && *c == '.')) {
            return 0;
        }
    }
    return 1;
}

/* A random ten-digit order number (WHMCS's ordernum). */
static int kd_ordernum_draw(kd_req *kr, const char **out)
{
    unsigned char rnd[8];
    unsigned long long v;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return kd_internal(kr);
    }
    memcpy(&v, rnd, sizeof(v));
    *out = apr_psprintf(kr->r->pool, "%" APR_UINT64_T_FMT,
                        (apr_uint64_t)(1000000000ULL + v % 9000000000ULL));
    return KD_NEXT;
}

/* An order number not used yet: the one drawn in load, checked there
 * (kd_order_product), or, one time in billions, others drawn and
 * checked one by one. */
static int kd_ordernum(kd_order *o)
{
    kd_req *kr = o->kr;
    kd_rows *rows;
    int rc, tries;

    if (!strcmp(kd_rows_get(o->product, 0, KD_OP_NUMBER_USED), "0")) {
        return KD_NEXT;
    }
    for (tries = 0; tries < 5; tries++) {
        if ((rc = kd_ordernum_draw(kr, &o->ordernum)) != KD_NEXT
            || (rc = kd_db_select(kr, "kd_order_ordernum", &rows, 1,
                                  &o->ordernum)) != KD_NEXT) {
            return rc;
        }
        if (!strcmp(kd_rows_get(rows, 0, 0), "0")) {
            return KD_NEXT;
        }
    }
    return kd_internal(kr);
}

/*
 * The steps of addorder, in order, over one kd_order.  Each returns
 * KD_NEXT, or the return code of the reply it sent.  parse needs no
 * database; admit is the first to ask it, about the caller; load opens
 * the transaction; nothing is written before write, when every input has
 * been checked and priced.
 */

/* parse: what can be checked without the database. */
static int kd_order_parse(kd_order *o)
{
    kd_req *kr = o->kr;
    const char *cycle = kd_arg(kr, "billingcycle");
    const char *rootpw = kd_arg(kr, "rootpw");

    o->product_name = kd_arg(kr, "product");
    if (!o->product_name || !*o->product_name) {
        return kd_bad(kr, "The product field is required.");
    }
    if (!cycle || !*cycle) {
        return kd_bad(kr, "The billingcycle field is required.");
    }
    if (!(o->cycle = kd_cycle_by_sys(cycle))) {
        return kd_bad(kr, apr_pstrcat(o->p, "Invalid billingcycle: valid "
                                      "values are ",
                                      kd_cycle_names(o->p, NULL), NULL));
    }
    o->hostname = kd_arg(kr, "hostname");
    o->ns1 = kd_arg(kr, "ns1prefix");
    o->ns2 = kd_arg(kr, "ns2prefix");
    o->hostname = o->hostname ? o->hostname : "";
    o->ns1 = o->ns1 ? o->ns1 : "";
    o->ns2 = o->ns2 ? o->ns2 : "";
    if (!kd_check_name(o->hostname, 253, 1)) {
        return kd_bad(kr, "Invalid hostname");
    }
    if (!kd_check_name(o->ns1, 63, 0) || !kd_check_name(o->ns2, 63, 0)) {
        return kd_bad(kr, "Invalid ns1prefix or ns2prefix");
    }
    /* tblhosting.password must hold WHMCS's own reversible encryption,
     * keyed by a secret in WHMCS's configuration.php that this module
     * does not have: storing anything else would show garbage in WHMCS
     * and break provisioning, so a root password is refused. */
    if (rootpw && *rootpw) {
        return kd_bad(kr, "rootpw is not supported: WHMCS encrypts it with "
                      "a key only WHMCS has; set it in the client area");
    }
    return KD_NEXT;
}

/* admit: with an Idempotency-Key, the caller, checked before the key is
 * claimed (kd_idem.h); without one, the caller is checked only with the
 * client's lock (kd_order_client).  The order limit is counted in load,
 * under that lock. */
static int kd_order_admit(kd_order *o)
{
    kd_req *kr = o->kr;
    int rc;

    o->v8 = kr->caller.user_id > 0;
    if (!apr_table_get(kr->r->headers_in, "Idempotency-Key")) {
        return KD_NEXT;
    }
    if ((rc = kd_auth_client(kr)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)) {
        return kd_denied(kr);
    }
    return kd_idem_begin(kr, "addorder");
}

/* The client's row, locked until the transaction ends (two orders of one
 * client run one after the other), and the caller checked with it (401
 * as kd_auth_client, 403 as kd_auth_allowed): the first statement of the
 * transaction. */
static int kd_order_client(kd_order *o)
{
    kd_req *kr = o->kr;
    const char *args[5];
    int rc, v8, n;

    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind_locked(kr, v8, args);
    args[n++] = kd_id(o->p, kr->caller.client_id);
    rc = kd_db_select(kr, v8 ? "kd_order_client8" : "kd_order_client7",
                      &o->client, n, args);
    if (rc != KD_NEXT
        || (rc = kd_auth_from_rows(kr, o->client, KD_OC_CALLER)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)) {
        return kd_denied(kr);
    }
    if (kr->caller.status && !strcmp(kr->caller.status, "Closed")) {
        return kd_error(kr, HTTP_CONFLICT, "message",
                        "Unable to add order when client status is Closed");
    }
    return KD_NEXT;
}

/* The product with its prices in the client's currency, and the cycle it
 * is billed on. */
static int kd_order_limit(kd_order *o)
{
    kd_req *kr = o->kr;
    const kd_dir_conf *c = kr->dconf;
    const char *oldest = kd_rows_get(o->product, 0, KD_OP_OLDEST);
    long long n = apr_atoi64(kd_rows_get(o->product, 0, KD_OP_ORDERS));
    long long wait;

    if (c->order_limit <= 0 || n < c->order_limit) {
        return KD_NEXT;
    }
    /* The next order fits once the oldest in the window has left it:
     * oldest is how far into the window it was placed. */
    wait = (oldest ? apr_atoi64(oldest) : c->order_window) + 1;
    if (wait < 1) {
        wait = 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, kr->r, KDLOGNO(00703)
                  "orders throttled for client " KD_I64 ", retry in "
                  KD_I64 " s", (apr_int64_t)kr->caller.client_id,
                  (apr_int64_t)wait);
    apr_table_setn(kr->r->headers_out, "Retry-After", kd_id(o->p, wait));
    return kd_error(kr, HTTP_TOO_MANY_REQUESTS, "message",
                    "Too many orders, try again later");
}

static int kd_order_product(kd_order *o)
{
    kd_req *kr = o->kr;
    const char *args[13], *paytype, *since;
    int rc;

    since = kd_local_time(kr, kr->r->request_time
                              - apr_time_from_sec(kr->dconf->order_window));
    if ((rc = kd_ordernum_draw(kr, &o->ordernum)) != KD_NEXT) {
        return rc;
    }
    args[0] = args[3] = kd_id(o->p, kr->caller.client_id);
    args[1] = args[2] = args[4] = since;
    args[5] = o->ordernum;
    args[6] = kd_rows_get(o->client, 0, KD_OC_GATEWAY);
    args[7] = args[9] = kd_rows_get(o->client, 0, KD_OC_COUNTRY);
    args[8] = args[10] = kd_rows_get(o->client, 0, KD_OC_STATE);
    args[11] = kd_rows_get(o->client, 0, KD_OC_CURRENCY);
    args[12] = o->product_name;
    if ((rc = kd_db_select_common(kr, "kd_order_product", &o->product, 13,
                                  args, KD_OP_NCOLS)) != KD_NEXT) {
        return rc;
    }
    if (kd_rows_count(o->product) < 1) {
        return kd_error(kr, HTTP_BAD_REQUEST, "messages",
                        "Product not exists");
    }
    o->opts = o->product;
    kd_settings_from_row(&o->s, o->product, 0, KD_OP_SETTINGS);
    o->gateway = kd_rows_get(o->product, 0, KD_OP_GATEWAY);
    o->gateway = o->gateway ? o->gateway : "";
    if ((rc = kd_order_limit(o)) != KD_NEXT) {
        return rc;
    }
    /* WHMCS bills free and one-time products on their own terms,
     * whatever cycle was asked for. */
    paytype = kd_rows_get(o->product, 0, KD_OP_PAYTYPE);
    if (!strcmp(paytype, "free")) {
        o->cycle = &kd_cycles[KD_CYCLE_FREE];
    }
    else if (!strcmp(paytype, "onetime")) {
        o->cycle = &kd_cycles[KD_CYCLE_ONETIME];
    }
    else if (!kd_cycle_offered(o->product, o->cycle)) {
        return kd_bad(kr, apr_psprintf(o->p, "Invalid billingcycle: %s is "
                                       "not offered for this product; "
                                       "valid values are %s", o->cycle->sys,
                                       kd_cycle_names(o->p, o->product)));
    }
    return KD_NEXT;
}

/* Stock control.  The product's row, locked, decides: qty as committed
 * now (every earlier order of it included), never the order's snapshot
 * or the catalogue, and nothing else may sell the unit before this
 * transaction ends.  Only a product whose stock is counted is locked,
 * so orders of other products, or of different clients, still run side
 * by side.  Whether to lock comes from the plain read, safely: an order
 * that saw stock control off neither reads nor takes the count, as if it
 * had committed before the admin turned it on.  The unit is taken in
 * write.
 * The refusal is WHMCS's own wording (its cart's "Out of Stock" page). */
static int kd_order_stock(kd_order *o)
{
    kd_req *kr = o->kr;
    const char *args[1], *on, *qty;
    kd_rows *rows;
    int rc;

    on = kd_rows_get(o->product, 0, KD_OP_STOCK);
    if (!on || !strcmp(on, "0")) {
        return KD_NEXT;
    }
    args[0] = kd_rows_get(o->product, 0, KD_OP_ID);
    if ((rc = kd_db_select(kr, "kd_order_stock", &rows, 1, args))
        != KD_NEXT) {
        return rc;
    }
    if (kd_rows_count(rows) != 1) {             /* deleted meanwhile */
        return kd_error(kr, HTTP_BAD_REQUEST, "messages",
                        "Product not exists");
    }
    on = kd_rows_get(rows, 0, 0);
    qty = kd_rows_get(rows, 0, 1);
    if (!on || !strcmp(on, "0")) {
        return KD_NEXT;
    }
    if (!qty || apr_atoi64(qty) <= 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, kr->r, KDLOGNO(00704)
                      "product %s out of stock: order of client " KD_I64
                      " refused", args[0],
                      (apr_int64_t)kr->caller.client_id);
        return kd_bad(kr, "We are currently out of stock on this item so "
                      "orders for it have been suspended until more stock "
                      "is available.");
    }
    o->stock = 1;
    return KD_NEXT;
}

/* What the order chose of the product's configurable options. */
static int kd_order_options(kd_order *o)
{
    kd_req *kr = o->kr;
    int rc, k;

    kd_group_options(o);
    for (k = 0; k < KD_OPT_COUNT; k++) {
        const char *want = kd_arg(kr, kd_opts[k].field);

        if (want && *want && (rc = kd_choose(o, k, want)) != KD_NEXT) {
            return rc;
        }
    }
    return KD_NEXT;
}

/* load: in the transaction, the client (locked, the caller checked),
 * then in one statement the product, its options, the settings and the
 * rest (kd_order_product), and the product's stock when counted. */
static int kd_order_load(kd_order *o)
{
    int rc;

    if ((rc = kd_whmcs_begin_write(o->kr)) != KD_NEXT
        || (rc = kd_order_client(o)) != KD_NEXT
        || (rc = kd_order_product(o)) != KD_NEXT
        || (rc = kd_order_stock(o)) != KD_NEXT) {
        return rc;
    }
    return kd_order_options(o);
}

/* The client's tax rates (the invoice records them, taxed line or not)
 * and the tax on the line, per WHMCS's updateInvoiceTotal. */
static void kd_order_tax(kd_order *o)
{
    o->tax.net = o->first;
    o->tax.tax1 = o->tax.tax2 = 0;
    o->rate1 = o->rate2 = 0;
    if (!o->s.tax_enabled
        || strcmp(kd_rows_get(o->client, 0, KD_OC_TAXEXEMPT), "0")) {
        return;
    }
    kd_rate_parse(kd_rows_get(o->product, 0, KD_OP_RATE1), &o->rate1);
    kd_rate_parse(kd_rows_get(o->product, 0, KD_OP_RATE2), &o->rate2);
    if (o->taxed) {
        o->tax = kd_money_tax(o->first, o->rate1, o->rate2,
                              o->s.tax_inclusive, o->s.tax_l2_compound);
    }
}

/* price: the cycle's price and setup fee, each option's, and the tax. */
static int kd_order_price(kd_order *o)
{
    int col = o->cycle->price_col, i;

    if (col >= 0) {
        kd_cents price = kd_price_at(o->product, 0,
                                     KD_OP_PRICES + KD_RECURRING + col);
        kd_cents setup = kd_price_at(o->product, 0, KD_OP_PRICES + col);

        o->first = price + setup;
        o->recurring = price;
    }
    for (i = 0; i < o->noptions; i++) {
        kd_cents rec, setup;

        kd_option_price(o, &o->options[i], &rec, &setup);
        o->first += rec + setup;
        o->recurring += rec;
    }
    o->taxed = o->s.tax_enabled
               && !strcmp(kd_rows_get(o->product, 0, KD_OP_TAX), "1");
    kd_order_tax(o);
    o->total = o->tax.net + o->tax.tax1 + o->tax.tax2;
    return KD_NEXT;
}

/* The invoice, unless the account is free (it has no due date). */
static int kd_order_invoice(kd_order *o)
{
    kd_req *kr = o->kr;
    apr_pool_t *p = o->p;
    const char *args[12];
    char r1[32], r2[32];
    int rc;

    if (o->cycle->price_col < 0) {
        return KD_NEXT;
    }
    args[0] = kd_id(p, kr->caller.client_id);
    args[1] = o->today_s;
    args[2] = o->today_s;
    args[3] = kd_cents_str(p, o->tax.net);
    args[4] = kd_cents_str(p, o->tax.tax1);
    args[5] = kd_cents_str(p, o->tax.tax2);
    args[6] = kd_cents_str(p, o->total);
    args[7] = kd_rate_str(r1, o->rate1, 3);
    args[8] = kd_rate_str(r2, o->rate2, 3);
    args[9] = o->gateway;
    args[10] = o->now;
    args[11] = o->now;
    if ((rc = kd_db_exec(kr, "kd_order_invoice", NULL, 12, args))
        != KD_NEXT) {
        return rc;
    }
    return kd_db_insert_id(kr, &o->invoiceid);
}

/* The tblorders row (WHMCS 8 also names the acting user). */
static int kd_order_row(kd_order *o)
{
    kd_req *kr = o->kr;
    apr_pool_t *p = o->p;
    const char *args[8];
    int rc, n = 0;

    args[n++] = o->ordernum;
    args[n++] = kd_id(p, kr->caller.client_id);
    if (o->v8) {
        args[n++] = kd_id(p, kr->caller.user_id);
    }
    args[n++] = o->now;
    args[n++] = kd_cents_str(p, o->total);
    args[n++] = o->gateway;
    args[n++] = kd_id(p, o->invoiceid);
    args[n++] = kr->r->useragent_ip;
    if ((rc = kd_db_exec(kr, o->v8 ? "kd_order_insert8" : "kd_order_insert7",
                         NULL, n, args)) != KD_NEXT) {
        return rc;
    }
    return kd_db_insert_id(kr, &o->orderid);
}

/* The service (tblhosting), due today unless the account is free. */
static int kd_order_service(kd_order *o)
{
    kd_req *kr = o->kr;
    apr_pool_t *p = o->p;
    const char *args[15];
    const char *due = o->cycle->price_col >= 0 ? o->today_s : "0000-00-00";
    int rc;

    args[0] = kd_id(p, kr->caller.client_id);
    args[1] = kd_id(p, o->orderid);
    args[2] = kd_rows_get(o->product, 0, KD_OP_ID);
    args[3] = o->today_s;
    args[4] = o->hostname;
    args[5] = o->gateway;
    args[6] = kd_cents_str(p, o->first);
    args[7] = kd_cents_str(p, o->recurring);
    args[8] = o->cycle->display;
    args[9] = due;
    args[10] = due;
    /* ns1prefix "ns1" with hostname "vps.example.com": ns1.vps.example.com */
    args[11] = *o->ns1 && *o->hostname
               ? apr_pstrcat(p, o->ns1, ".", o->hostname, NULL) : o->ns1;
    args[12] = *o->ns2 && *o->hostname
               ? apr_pstrcat(p, o->ns2, ".", o->hostname, NULL) : o->ns2;
    args[13] = o->now;
    args[14] = o->now;
    if ((rc = kd_db_exec(kr, "kd_order_hosting", NULL, 15, args))
        != KD_NEXT) {
        return rc;
    }
    return kd_db_insert_id(kr, &o->serviceid);
}

static const char *const kd_opt_labels[KD_OPT_MAX] = {
    "kd_order_options1", "kd_order_options2", "kd_order_options3",
    "kd_order_options4", "kd_order_options5", "kd_order_options6",
    "kd_order_options7", "kd_order_options8"
};

/* The service's options as chosen, KD_OPT_MAX rows a statement, in
 * the options' order (the rows' ids follow it, as when WHMCS writes them
 * one by one). */
static int kd_order_service_options(kd_order *o)
{
    kd_req *kr = o->kr;
    apr_pool_t *p = o->p;
    const char *args[4 * KD_OPT_MAX], *sid = kd_id(p, o->serviceid);
    int rc, i, n;

    for (i = 0; i < o->noptions; i += n) {
        int k;

        n = o->noptions - i < KD_OPT_MAX ? o->noptions - i : KD_OPT_MAX;
        for (k = 0; k < n; k++) {
            const kd_option *opt = &o->options[i + k];

            args[4 * k] = sid;
            args[4 * k + 1] = opt->id;
            args[4 * k + 2] = kd_rows_get(o->opts, opt->chosen, KD_OO_SUBID);
            args[4 * k + 3] = apr_ltoa(p, opt->type == 3 || opt->type == 4
                                          ? opt->qty : 0);
        }
        rc = kd_db_exec(kr, kd_opt_labels[n - 1], NULL, 4 * n, args);
        if (rc != KD_NEXT) {
            return rc;
        }
    }
    return KD_NEXT;
}

/* The service's (empty) custom fields, when its product has any. */
static int kd_order_fields(kd_order *o)
{
    const char *args[4];

    if (!strcmp(kd_rows_get(o->product, 0, KD_OP_FIELDS), "0")) {
        return KD_NEXT;
    }
    args[0] = kd_id(o->p, o->serviceid);
    args[1] = o->now;
    args[2] = o->now;
    args[3] = kd_rows_get(o->product, 0, KD_OP_ID);
    return kd_db_exec(o->kr, "kd_order_customfields", NULL, 4, args);
}

/* One unit of the product's stock, locked since load, as WHMCS takes
 * it for each service it creates. */
static int kd_order_take_stock(kd_order *o)
{
    kd_req *kr = o->kr;
    const char *args[1];
    int rc, n = 0;

    if (!o->stock) {
        return KD_NEXT;
    }
    args[0] = kd_rows_get(o->product, 0, KD_OP_ID);
    if ((rc = kd_db_exec(kr, "kd_order_stock_take", &n, 1, args))
        != KD_NEXT) {
        return rc;
    }
    return n == 1 ? KD_NEXT : kd_internal(kr);
}

/* The invoice's Hosting line, when there is an invoice. */
static int kd_order_item(kd_order *o, const char *desc)
{
    kd_req *kr = o->kr;
    apr_pool_t *p = o->p;
    const char *args[8];

    if (!o->invoiceid) {
        return KD_NEXT;
    }
    args[0] = kd_id(p, o->invoiceid);
    args[1] = kd_id(p, kr->caller.client_id);
    args[2] = kd_id(p, o->serviceid);
    args[3] = desc;
    args[4] = kd_cents_str(p, o->first);
    args[5] = o->taxed ? "1" : "0";
    args[6] = o->today_s;
    args[7] = o->gateway;
    return kd_db_exec(kr, "kd_order_item", NULL, 8, args);
}

/* write: the order number, then the rows and the unit of stock, the
 * activity log, and what WHMCS must still do for the order
 * (kd_outbox.c). */
static int kd_order_write(kd_order *o)
{
    kd_req *kr = o->kr;
    const char *desc;
    int rc;

    o->today = kd_today(kr);
    kd_date_str(o->today_s, &o->today);
    o->now = kd_now(kr);
    desc = kd_describe(o);
    if ((rc = kd_ordernum(o)) != KD_NEXT
        || (rc = kd_order_invoice(o)) != KD_NEXT
        || (rc = kd_order_row(o)) != KD_NEXT
        || (rc = kd_order_service(o)) != KD_NEXT
        || (rc = kd_order_take_stock(o)) != KD_NEXT
        || (rc = kd_order_service_options(o)) != KD_NEXT
        || (rc = kd_order_fields(o)) != KD_NEXT
        || (rc = kd_order_item(o, desc)) != KD_NEXT) {
        return rc;
    }
    rc = kd_activity(kr, apr_psprintf(o->p, "New Order Placed - Order ID: "
                                      KD_I64 " - User ID: " KD_I64,
                                      (apr_int64_t)o->orderid,
                                      (apr_int64_t)kr->caller.client_id));
    if (rc != KD_NEXT) {
        return rc;
    }
    return kd_outbox_order(kr, o->orderid, o->ordernum, o->invoiceid,
                           o->serviceid,
                           kd_rows_get(o->product, 0, KD_OP_AUTOSETUP),
                           kd_cents_str(o->p, o->total), o->gateway);
}

/* settle: credit the client holds pays what it can, unless the
 * installation says not to (NoAutoApplyCredit); then COMMIT. */
static int kd_order_settle(kd_order *o)
{
    kd_req *kr = o->kr;
    kd_cents credit;
    kd_invoice inv;
    int rc;

    if (o->invoiceid && o->s.auto_apply_credit
        && !kd_money_parse(kd_rows_get(o->client, 0, KD_OC_CREDIT), &credit)
        && credit > 0 && o->total > 0) {
        memset(&inv, 0, sizeof(inv));
        inv.id = o->invoiceid;
        inv.userid = kr->caller.client_id;
        inv.invoicenum = "";
        inv.status = "Unpaid";
        inv.subtotal = o->tax.net;
        inv.tax = o->tax.tax1;
        inv.tax2 = o->tax.tax2;
        inv.total = o->total;
        rc = kd_invoice_apply_credit(kr, &o->s, &inv,
                                     credit < o->total ? credit : o->total,
                                     &o->paid);
        if (rc != KD_NEXT) {
            return rc;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, kr->r, KDLOGNO(00701)
                  "order " KD_I64 " (service " KD_I64 ", invoice " KD_I64
                  "%s) for client " KD_I64, (apr_int64_t)o->orderid,
                  (apr_int64_t)o->serviceid, (apr_int64_t)o->invoiceid,
                  o->paid ? ", paid" : "",
                  (apr_int64_t)kr->caller.client_id);
    return KD_NEXT;
}

/* reply: the seed's answer, stored with the Idempotency-Key (if any) in
 * the order's transaction, which then commits. */
static int kd_order_reply(kd_order *o)
{
    json_t *body = json_object();

    json_object_set_new_nocheck(body, "result", json_string("success"));
    json_object_set_new_nocheck(body, "orderid", json_integer(o->orderid));
    json_object_set_new_nocheck(body, "productids",
                                json_string(kd_id(o->p, o->serviceid)));
    json_object_set_new_nocheck(body, "addonids", json_string(""));
    json_object_set_new_nocheck(body, "domainids", json_string(""));
    json_object_set_new_nocheck(body, "invoiceid",
                                json_integer(o->invoiceid));
    return kd_idem_commit(o->kr, HTTP_OK, body);
}

int kd_ep_addorder(kd_req *kr)
{
    kd_order o;
    int rc;

    memset(&o, 0, sizeof(o));
    o.kr = kr;
    o.p = kr->r->pool;
    if ((rc = kd_order_parse(&o)) != KD_NEXT
        || (rc = kd_order_admit(&o)) != KD_NEXT
        || (rc = kd_order_load(&o)) != KD_NEXT
        || (rc = kd_order_price(&o)) != KD_NEXT
        || (rc = kd_order_write(&o)) != KD_NEXT
        || (rc = kd_order_settle(&o)) != KD_NEXT) {
        return rc;
    }
    return kd_order_reply(&o);
}
