-- bench/optional-indexes.sql: OPTIONAL indexes for a WHMCS database that
-- mod_kdata serves.  mod_kdata works without them; nothing in it depends
-- on them, and WHMCS does not know or mind them.
--
-- Safe on a live WHMCS 8 database: a secondary index only (no column,
-- type, default or data changes), created online (InnoDB, ALGORITHM=INPLACE,
-- LOCK=NONE: reads and writes go on while it builds; ~2 s per million
-- invoice lines), idempotent (IF NOT EXISTS; MariaDB 10.1.4+ syntax; on
-- MySQL drop the IF NOT EXISTS), and removable at any time:
--   DROP INDEX kdata_type_relid ON tblinvoiceitems;
-- Cost: ~25 bytes per invoice line (about 30 MB for 1.2 million lines)
-- and a little work on each new invoice line.
--
-- kdata_type_relid: tblinvoiceitems by (type, relid) = "the lines billing
-- service N".  WHMCS's own indexes are (invoiceid) and (userid, type,
-- relid); a statement that names type and relid but not userid has no
-- index to use, so the optimizer walks every invoice of the client.  That
-- is the case of cancelrequest's kd_cancel_invoices ("the client's Unpaid
-- invoices billing this service", taken FOR UPDATE): for a client with
-- 5,000 invoices it reads - and row-locks - all 5,000 invoices, so two
-- cancellations of the same large client wait on each other.  With the
-- index it reads the service's ~10 lines and locks only its invoices (see
-- bench/results/*-explain.md, "own" vs "own+optional-indexes", and
-- cancelrequest@reseller in bench/results/*-large*.md).
-- It does NOT help getinvoiceproduct's kd_invoiceproduct: there the
-- subquery sits in a LEFT JOIN's ON clause, which MariaDB runs once per
-- invoice of the client whatever the indexes; that needs the statement
-- rewritten (see bench/README, "Findings").
CREATE INDEX IF NOT EXISTS kdata_type_relid ON tblinvoiceitems (type, relid)
  ALGORITHM = INPLACE LOCK = NONE;

-- kdata_relid_options: tblhostingconfigoptions by relid with every column
-- getproduct reads (configid, optionid, qty), so its statement finds a
-- service's chosen options in the index alone.  WHMCS's own (relid,
-- configid) index finds them too, but then reads each row again by its
-- primary key for optionid and qty: one more B-tree descent per option
-- (6 per service on bench's data).  Measured: mariadbd instructions per
-- execution of kd_getproduct8 (callgrind, small set, 6 options) 391k ->
-- 357k without and with it; getinvoiceproduct does not use the table.
-- Not measured yet with bench/run's ratios.  Removable at any time:
--   DROP INDEX kdata_relid_options ON tblhostingconfigoptions;
-- Cost: ~20 bytes per option row and a little work on each order.
CREATE INDEX IF NOT EXISTS kdata_relid_options
  ON tblhostingconfigoptions (relid, configid, optionid, qty)
  ALGORITHM = INPLACE LOCK = NONE;
