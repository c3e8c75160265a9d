-- mod_kdata test schema: our own WHMCS 8.4-compatible definition of the 37
-- WHMCS tables mod_kdata reads or writes (or checks for), grouped by topic.
--
-- It is meant to be column-for-column and index-for-index equivalent to a real
-- WHMCS 8.4.0 install (names, types, NULL-ness, defaults, AUTO_INCREMENT keys,
-- index names/parts, InnoDB + utf8/utf8_unicode_ci).  Note the many
-- "text NOT NULL" columns without a default: under the server's default
-- STRICT_TRANS_TABLES an INSERT must name each of them, exactly as on a real
-- WHMCS database.  Money is decimal(16,2), tax rates decimal(10,3).
--
-- Load with a session sql_mode that allows zero dates, e.g.
--   SET NAMES utf8mb4; SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO';
-- (t/bin/kd-db does this).  Equivalence with the real dump is checked by
-- comparing information_schema.COLUMNS/STATISTICS of both (see t/sql/README).

DROP TABLE IF EXISTS tblconfiguration, tblactivitylog, tblbannedips, tblapilog,
  tblapi_roles, tblclients, tblclientgroups, tblusers, tblusers_clients,
  tblcurrencies, tblpaymentgateways, tblpaymethods, tbltax, tblproductgroups,
  tblproducts, tblpricing, tblproductconfiggroups, tblproductconfiglinks,
  tblproductconfigoptions, tblproductconfigoptionssub, tblcustomfields,
  tblcustomfieldsvalues, tblpromotions, tblservers, tblorders, tblorderstatuses,
  tblhosting, tblhostingconfigoptions, tblhostingaddons, tblupgrades,
  tblcancelrequests, tblinvoices, tblinvoiceitems, tblinvoicedata, tblcredit,
  tblaccounts, tbltransaction_history;

-- ======================================================================
-- System
-- ======================================================================

-- Key/value system settings (Version, DateFormat, Tax*, Sequential* ...).
CREATE TABLE tblconfiguration (
  id          int(10)     NOT NULL AUTO_INCREMENT,
  setting     varchar(64) NOT NULL,
  value       text        NOT NULL,
  created_at  timestamp   NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at  timestamp   NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  UNIQUE KEY whmcs_setting_unique (setting),
  KEY setting (setting)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Activity log shown in the admin area ("Credit Applied - ...", "New Order Placed ...").
-- userid = client id, user_id = tblusers id (8.0+), admin_id = admin.
CREATE TABLE tblactivitylog (
  id           int(10)          NOT NULL AUTO_INCREMENT,
  `date`       datetime         NOT NULL DEFAULT '0000-00-00 00:00:00',
  description  text             NOT NULL,
  `user`       text             NOT NULL,
  userid       int(10) unsigned NOT NULL DEFAULT 0,
  user_id      int(10) unsigned NOT NULL DEFAULT 0,
  admin_id     int(10) unsigned NOT NULL DEFAULT 0,
  ipaddr       text             NOT NULL,
  PRIMARY KEY (id),
  KEY userid (userid),
  KEY user_id (user_id),
  KEY admin_id (admin_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- IP bans (failed logins; InvalidLoginBanLength minutes).
CREATE TABLE tblbannedips (
  id       int(10)  NOT NULL AUTO_INCREMENT,
  ip       text     NOT NULL,
  reason   text     NOT NULL,
  expires  datetime NOT NULL,
  PRIMARY KEY (id),
  KEY ip (ip(32))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Log of WHMCS API calls.
CREATE TABLE tblapilog (
  id          int(10) unsigned NOT NULL AUTO_INCREMENT,
  action      varchar(255)     NOT NULL DEFAULT '',
  request     text             NOT NULL,
  response    text             NOT NULL,
  status      int(11)          NOT NULL DEFAULT 0,
  headers     text             NOT NULL,
  level       int(11)          NOT NULL DEFAULT 0,
  created_at  timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at  timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- API roles (permission sets for WHMCS API credentials).
CREATE TABLE tblapi_roles (
  id           int(10) unsigned NOT NULL AUTO_INCREMENT,
  role         varchar(255)     NOT NULL DEFAULT '',
  description  varchar(255)     NOT NULL DEFAULT '',
  permissions  text             NOT NULL,
  created_at   timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at   timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- ======================================================================
-- Clients, users, money settings
-- ======================================================================

-- Client account = the billable party.  Before 8.0 it also held the login
-- (email/password); email is NOT unique.  credit = running credit balance.
CREATE TABLE tblclients (
  id                 int(10)       NOT NULL AUTO_INCREMENT,
  uuid               varchar(255)  NOT NULL DEFAULT '',
  firstname          text          NOT NULL,
  lastname           text          NOT NULL,
  companyname        text          NOT NULL,
  email              text          NOT NULL,
  address1           text          NOT NULL,
  address2           text          NOT NULL,
  city               text          NOT NULL,
  state              text          NOT NULL,
  postcode           text          NOT NULL,
  country            text          NOT NULL,
  phonenumber        text          NOT NULL,
  tax_id             varchar(128)  NOT NULL DEFAULT '',
  password           text          NOT NULL,
  authmodule         text          NOT NULL,
  authdata           text          NOT NULL,
  currency           int(10)       NOT NULL,
  defaultgateway     text          NOT NULL,
  credit             decimal(16,2) NOT NULL,
  taxexempt          tinyint(1)    NOT NULL,
  latefeeoveride     tinyint(1)    NOT NULL,
  overideduenotices  tinyint(1)    NOT NULL,
  separateinvoices   tinyint(1)    NOT NULL,
  disableautocc      tinyint(1)    NOT NULL,
  datecreated        date          NOT NULL,
  notes              text          NOT NULL,
  billingcid         int(10)       NOT NULL,
  securityqid        int(10)       NOT NULL,
  securityqans       text          NOT NULL,
  groupid            int(10)       NOT NULL,
  cardtype           varchar(255)  NOT NULL DEFAULT '',
  cardlastfour       text          NOT NULL,
  cardnum            blob          NOT NULL,
  startdate          blob          NOT NULL,
  expdate            blob          NOT NULL,
  issuenumber        blob          NOT NULL,
  bankname           text          NOT NULL,
  banktype           text          NOT NULL,
  bankcode           blob          NOT NULL,
  bankacct           blob          NOT NULL,
  gatewayid          text          NOT NULL,
  lastlogin          datetime      NULL DEFAULT NULL,
  ip                 text          NOT NULL,
  host               text          NOT NULL,
  status             enum('Active','Inactive','Closed') NOT NULL DEFAULT 'Active',
  language           text          NOT NULL,
  pwresetkey         text          NOT NULL,
  emailoptout        int(1)        NOT NULL,
  marketing_emails_opt_in tinyint(1) unsigned NOT NULL DEFAULT 0,
  overrideautoclose  int(1)        NOT NULL,
  allow_sso          tinyint(1)    NOT NULL DEFAULT 1,
  email_verified     tinyint(1)    NOT NULL DEFAULT 0,
  email_preferences  text          NULL DEFAULT NULL,
  created_at         timestamp     NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at         timestamp     NOT NULL DEFAULT '0000-00-00 00:00:00',
  pwresetexpiry      timestamp     NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY firstname_lastname (firstname(32), lastname(32)),
  KEY email (email(64))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Client groups (discounts, exemptions).
CREATE TABLE tblclientgroups (
  id                int(10) unsigned        NOT NULL AUTO_INCREMENT,
  groupname         varchar(45)             NOT NULL,
  groupcolour       varchar(45)             NULL DEFAULT NULL,
  discountpercent   decimal(10,2) unsigned  NULL DEFAULT 0.00,
  susptermexempt    text                    NULL DEFAULT NULL,
  separateinvoices  text                    NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Login identities (WHMCS 8.0+): email is unique, password is the hash
-- (bcrypt, or a legacy md5 / salted md5 / HMAC-SHA256 format).
CREATE TABLE tblusers (
  id                               int(10) unsigned NOT NULL AUTO_INCREMENT,
  first_name                       varchar(255) NOT NULL DEFAULT '',
  last_name                        varchar(255) NOT NULL DEFAULT '',
  email                            varchar(255) NOT NULL DEFAULT '',
  password                         varchar(255) NOT NULL DEFAULT '',
  language                         varchar(32)  NOT NULL DEFAULT '',
  second_factor                    varchar(255) NOT NULL DEFAULT '',
  second_factor_config             text         NULL DEFAULT NULL,
  remember_token                   varchar(100) NOT NULL DEFAULT '',
  reset_token                      varchar(255) NOT NULL DEFAULT '',
  security_question_id             int(10) unsigned NOT NULL DEFAULT 0,
  security_question_answer         varchar(255) NOT NULL DEFAULT '',
  last_ip                          varchar(64)  NOT NULL DEFAULT '',
  last_hostname                    varchar(255) NOT NULL DEFAULT '',
  last_login                       timestamp    NULL DEFAULT NULL,
  email_verification_token         varchar(100) NOT NULL DEFAULT '',
  email_verification_token_expiry  timestamp    NULL DEFAULT NULL,
  email_verified_at                timestamp    NULL DEFAULT NULL,
  reset_token_expiry               timestamp    NULL DEFAULT NULL,
  created_at                       timestamp    NULL DEFAULT NULL,
  updated_at                       timestamp    NULL DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY tblusers_email_unique (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Which user may act on which client (8.0+).  owner=1 marks the account
-- owner; other users get a comma list of permissions.
CREATE TABLE tblusers_clients (
  id            int(10) unsigned    NOT NULL AUTO_INCREMENT,
  auth_user_id  int(10) unsigned    NOT NULL DEFAULT 0,
  client_id     int(10) unsigned    NOT NULL DEFAULT 0,
  invite_id     int(10) unsigned    NOT NULL DEFAULT 0,
  owner         tinyint(3) unsigned NOT NULL DEFAULT 0,
  permissions   text                NULL DEFAULT NULL,
  last_login    timestamp           NULL DEFAULT NULL,
  created_at    timestamp           NULL DEFAULT NULL,
  updated_at    timestamp           NULL DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY user_id_client_id (auth_user_id, client_id),
  KEY client_id_owner_idx (client_id, owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Currencies; tblclients.currency points here, `default`=1 is the fallback.
CREATE TABLE tblcurrencies (
  id         int(10)       NOT NULL AUTO_INCREMENT,
  code       text          NOT NULL,
  prefix     text          NOT NULL,
  suffix     text          NOT NULL,
  format     int(1)        NOT NULL,
  rate       decimal(10,5) NOT NULL DEFAULT 1.00000,
  `default`  int(1)        NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Payment gateway settings, one row per (gateway, setting); the list of
-- gateways is the rows with setting='name'.
CREATE TABLE tblpaymentgateways (
  id       int(10) NOT NULL AUTO_INCREMENT,
  gateway  text    NOT NULL,
  setting  text    NOT NULL,
  value    text    NOT NULL,
  `order`  int(1)  NOT NULL,
  PRIMARY KEY (id),
  KEY gateway_setting (gateway(32), setting(32)),
  KEY setting_value (setting(32), value(32))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Stored payment methods (cards / bank accounts) of a client.
CREATE TABLE tblpaymethods (
  id                int(10) unsigned NOT NULL AUTO_INCREMENT,
  userid            int(11)      NOT NULL DEFAULT 0,
  description       varchar(255) NOT NULL DEFAULT '',
  contact_id        int(11)      NOT NULL DEFAULT 0,
  contact_type      varchar(255) NOT NULL DEFAULT '',
  payment_id        int(11)      NOT NULL DEFAULT 0,
  payment_type      varchar(255) NOT NULL DEFAULT '',
  gateway_name      varchar(255) NOT NULL DEFAULT '',
  order_preference  int(11)      NOT NULL DEFAULT 0,
  created_at        timestamp    NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at        timestamp    NOT NULL DEFAULT '0000-00-00 00:00:00',
  deleted_at        timestamp    NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY tblpaymethods_userid (userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Tax rules (level 1/2) by state/country.
CREATE TABLE tbltax (
  id       int(10)       NOT NULL AUTO_INCREMENT,
  level    int(1)        NOT NULL,
  name     text          NOT NULL,
  state    text          NOT NULL,
  country  text          NOT NULL,
  taxrate  decimal(10,3) NOT NULL DEFAULT 0.000,
  PRIMARY KEY (id),
  KEY state_country (state(32), country(2))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- ======================================================================
-- Catalogue: products, prices, configurable options, custom fields
-- ======================================================================

-- Product groups shown in the order form.
CREATE TABLE tblproductgroups (
  id                int(10)      NOT NULL AUTO_INCREMENT,
  name              text         NOT NULL,
  slug              varchar(128) NOT NULL DEFAULT '',
  headline          text         NULL DEFAULT NULL,
  tagline           text         NULL DEFAULT NULL,
  orderfrmtpl       text         NOT NULL,
  disabledgateways  text         NOT NULL,
  hidden            tinyint(1)   NOT NULL,
  `order`           int(1)       NOT NULL DEFAULT 0,
  created_at        timestamp    NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at        timestamp    NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY `order` (`order`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Products (packages).  paytype: free | onetime | recurring; name not unique.
-- configoption1..24 are provisioning-module settings.
CREATE TABLE tblproducts (
  id                      int(10)      NOT NULL AUTO_INCREMENT,
  type                    text         NOT NULL,
  gid                     int(10)      NOT NULL,
  name                    text         NOT NULL,
  slug                    varchar(128) NOT NULL DEFAULT '',
  description             text         NOT NULL,
  hidden                  tinyint(1)   NOT NULL,
  showdomainoptions       tinyint(1)   NOT NULL,
  welcomeemail            int(10)      NOT NULL DEFAULT 0,
  stockcontrol            tinyint(1)   NOT NULL,
  qty                     int(10)      NOT NULL DEFAULT 0,
  proratabilling          tinyint(1)   NOT NULL,
  proratadate             int(2)       NOT NULL,
  proratachargenextmonth  int(2)       NOT NULL,
  paytype                 text         NOT NULL,
  allowqty                int(1)       NOT NULL,
  subdomain               text         NOT NULL,
  autosetup               text         NOT NULL,
  servertype              text         NOT NULL,
  servergroup             int(10)      NOT NULL,
  configoption1  text NOT NULL,  configoption2  text NOT NULL,
  configoption3  text NOT NULL,  configoption4  text NOT NULL,
  configoption5  text NOT NULL,  configoption6  text NOT NULL,
  configoption7  text NOT NULL,  configoption8  text NOT NULL,
  configoption9  text NOT NULL,  configoption10 text NOT NULL,
  configoption11 text NOT NULL,  configoption12 text NOT NULL,
  configoption13 text NOT NULL,  configoption14 text NOT NULL,
  configoption15 text NOT NULL,  configoption16 text NOT NULL,
  configoption17 text NOT NULL,  configoption18 text NOT NULL,
  configoption19 text NOT NULL,  configoption20 text NOT NULL,
  configoption21 text NOT NULL,  configoption22 text NOT NULL,
  configoption23 text NOT NULL,  configoption24 text NOT NULL,
  freedomain              text         NOT NULL,
  freedomainpaymentterms  text         NOT NULL,
  freedomaintlds          text         NOT NULL,
  recurringcycles         int(2)       NOT NULL,
  autoterminatedays       int(4)       NOT NULL,
  autoterminateemail      int(10)      NOT NULL DEFAULT 0,
  configoptionsupgrade    tinyint(1)   NOT NULL,
  billingcycleupgrade     text         NOT NULL,
  upgradeemail            int(10)      NOT NULL DEFAULT 0,
  overagesenabled         varchar(10)  NOT NULL,
  overagesdisklimit       int(10)      NOT NULL,
  overagesbwlimit         int(10)      NOT NULL,
  overagesdiskprice       decimal(6,4) NOT NULL,
  overagesbwprice         decimal(6,4) NOT NULL,
  tax                     tinyint(1)   NOT NULL,
  affiliateonetime        tinyint(1)   NOT NULL,
  affiliatepaytype        text         NOT NULL,
  affiliatepayamount      decimal(16,2) NOT NULL,
  `order`                 int(10)      NOT NULL DEFAULT 0,
  retired                 tinyint(1)   NOT NULL,
  is_featured             tinyint(1)   NOT NULL,
  created_at              timestamp    NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at              timestamp    NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY gid (gid),
  KEY name (name(64))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Prices: one row per (type, currency, relid); relid = product id for
-- type 'product', sub-option id for 'configoptions'.  -1.00 in a recurring
-- column = cycle disabled.  No unique key (as in WHMCS).
CREATE TABLE tblpricing (
  id            int(10)       NOT NULL AUTO_INCREMENT,
  type          enum('product','addon','configoptions','domainregister',
                     'domaintransfer','domainrenew','domainaddons','usage') NOT NULL,
  currency      int(10)       NOT NULL,
  relid         int(10)       NOT NULL,
  msetupfee     decimal(16,2) NOT NULL,
  qsetupfee     decimal(16,2) NOT NULL,
  ssetupfee     decimal(16,2) NOT NULL,
  asetupfee     decimal(16,2) NOT NULL,
  bsetupfee     decimal(16,2) NOT NULL,
  tsetupfee     decimal(16,2) NOT NULL,
  monthly       decimal(16,2) NOT NULL,
  quarterly     decimal(16,2) NOT NULL,
  semiannually  decimal(16,2) NOT NULL,
  annually      decimal(16,2) NOT NULL,
  biennially    decimal(16,2) NOT NULL,
  triennially   decimal(16,2) NOT NULL,
  PRIMARY KEY (id),
  KEY pricing_relid_idx (relid),
  KEY pricing_currency_idx (currency),
  KEY pricing_type_idx (type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Configurable option groups.
CREATE TABLE tblproductconfiggroups (
  id           int(10) NOT NULL AUTO_INCREMENT,
  name         text    NOT NULL,
  description  text    NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Many-to-many: option group (gid) <-> product (pid).  No secondary index.
CREATE TABLE tblproductconfiglinks (
  id   int(10) NOT NULL AUTO_INCREMENT,
  gid  int(10) NOT NULL,
  pid  int(10) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Configurable options of a group.  optiontype '1' dropdown, '2' radio,
-- '3' yes/no, '4' quantity (qtyminimum..qtymaximum).  "value|Display" names.
CREATE TABLE tblproductconfigoptions (
  id          int(10) NOT NULL AUTO_INCREMENT,
  gid         int(10) NOT NULL DEFAULT 0,
  optionname  text    NOT NULL,
  optiontype  text    NOT NULL,
  qtyminimum  int(10) NOT NULL,
  qtymaximum  int(10) NOT NULL,
  `order`     int(1)  NOT NULL DEFAULT 0,
  hidden      int(1)  NOT NULL,
  PRIMARY KEY (id),
  KEY productid (gid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Choices (sub-options) of a configurable option; priced in tblpricing.
CREATE TABLE tblproductconfigoptionssub (
  id          int(10) NOT NULL AUTO_INCREMENT,
  configid    int(10) NOT NULL,
  optionname  text    NOT NULL,
  sortorder   int(10) NOT NULL DEFAULT 0,
  hidden      int(1)  NOT NULL,
  PRIMARY KEY (id),
  KEY configid (configid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Custom field definitions (type 'client' / 'product' (relid = product id) ...).
CREATE TABLE tblcustomfields (
  id            int(10)   NOT NULL AUTO_INCREMENT,
  type          text      NOT NULL,
  relid         int(10)   NOT NULL DEFAULT 0,
  fieldname     text      NOT NULL,
  fieldtype     text      NOT NULL,
  description   text      NOT NULL,
  fieldoptions  text      NOT NULL,
  regexpr       text      NOT NULL,
  adminonly     text      NOT NULL,
  required      text      NOT NULL,
  showorder     text      NOT NULL,
  showinvoice   text      NOT NULL,
  sortorder     int(10)   NOT NULL DEFAULT 0,
  created_at    timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at    timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY serviceid (relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Custom field values; relid = service id (product fields) or client id.
CREATE TABLE tblcustomfieldsvalues (
  id          int(10) unsigned NOT NULL AUTO_INCREMENT,
  fieldid     int(10)   NOT NULL,
  relid       int(10)   NOT NULL,
  value       text      NOT NULL,
  created_at  timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at  timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY fieldid_relid (fieldid, relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Promotion codes.
CREATE TABLE tblpromotions (
  id                int(10)       NOT NULL AUTO_INCREMENT,
  code              text          NOT NULL,
  type              text          NOT NULL,
  recurring         int(1)        NULL DEFAULT NULL,
  value             decimal(16,2) NOT NULL DEFAULT 0.00,
  cycles            text          NOT NULL,
  appliesto         text          NOT NULL,
  requires          text          NOT NULL,
  requiresexisting  int(1)        NOT NULL,
  startdate         date          NOT NULL,
  expirationdate    date          NULL DEFAULT NULL,
  maxuses           int(10)       NOT NULL DEFAULT 0,
  uses              int(10)       NOT NULL DEFAULT 0,
  lifetimepromo     int(1)        NOT NULL,
  applyonce         int(1)        NOT NULL,
  newsignups        int(1)        NOT NULL,
  existingclient    int(11)       NOT NULL,
  onceperclient     int(11)       NOT NULL,
  recurfor          int(3)        NOT NULL,
  upgrades          int(1)        NOT NULL,
  upgradeconfig     text          NOT NULL,
  notes             text          NOT NULL,
  PRIMARY KEY (id),
  KEY code (code(32))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Provisioning servers (tblhosting.server).
CREATE TABLE tblservers (
  id             int(10)       NOT NULL AUTO_INCREMENT,
  name           text          NOT NULL,
  ipaddress      text          NOT NULL,
  assignedips    text          NOT NULL,
  hostname       text          NOT NULL,
  monthlycost    decimal(16,2) NOT NULL DEFAULT 0.00,
  noc            text          NOT NULL,
  statusaddress  text          NOT NULL,
  nameserver1    text NOT NULL,  nameserver1ip  text NOT NULL,
  nameserver2    text NOT NULL,  nameserver2ip  text NOT NULL,
  nameserver3    text NOT NULL,  nameserver3ip  text NOT NULL,
  nameserver4    text NOT NULL,  nameserver4ip  text NOT NULL,
  nameserver5    text NOT NULL,  nameserver5ip  text NOT NULL,
  maxaccounts    int(10)       NOT NULL DEFAULT 0,
  type           text          NOT NULL,
  username       text          NOT NULL,
  password       text          NOT NULL,
  accesshash     text          NOT NULL,
  secure         text          NOT NULL,
  port           int(8)        NULL DEFAULT NULL,
  active         int(1)        NOT NULL,
  disabled       int(1)        NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- ======================================================================
-- Orders and services
-- ======================================================================

-- Orders.  ordernum = random 10-digit number, invoiceid = first invoice.
CREATE TABLE tblorders (
  id                  int(10)          NOT NULL AUTO_INCREMENT,
  ordernum            bigint(10)       NOT NULL,
  userid              int(10)          NOT NULL,
  contactid           int(10)          NOT NULL,
  requestor_id        int(10) unsigned NOT NULL DEFAULT 0,
  admin_requestor_id  int(10) unsigned NOT NULL DEFAULT 0,
  `date`              datetime         NOT NULL,
  nameservers         text             NOT NULL,
  transfersecret      text             NOT NULL,
  renewals            text             NOT NULL,
  promocode           text             NOT NULL,
  promotype           text             NOT NULL,
  promovalue          text             NOT NULL,
  orderdata           text             NOT NULL,
  amount              decimal(16,2)    NOT NULL,
  paymentmethod       text             NOT NULL,
  invoiceid           int(10)          NOT NULL DEFAULT 0,
  status              text             NOT NULL,
  ipaddress           text             NOT NULL,
  fraudmodule         text             NOT NULL,
  fraudoutput         text             NOT NULL,
  notes               text             NOT NULL,
  PRIMARY KEY (id),
  KEY ordernum (ordernum),
  KEY userid (userid),
  KEY contactid (contactid),
  KEY `date` (`date`),
  KEY requestor_id (requestor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Order status list (admin-editable); WHMCS installs the four rows below.
CREATE TABLE tblorderstatuses (
  id             int(10) NOT NULL AUTO_INCREMENT,
  title          text    NOT NULL,
  color          text    NOT NULL,
  showpending    int(1)  NOT NULL,
  showactive     int(1)  NOT NULL,
  showcancelled  int(1)  NOT NULL,
  sortorder      int(2)  NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

INSERT INTO tblorderstatuses
  (id, title, color, showpending, showactive, showcancelled, sortorder)
VALUES
  (1, 'Pending',   '#cc0000', 1, 0, 0, 10),
  (2, 'Active',    '#779500', 0, 1, 0, 20),
  (3, 'Cancelled', '#888888', 0, 0, 1, 30),
  (4, 'Fraud',     '#000000', 0, 0, 0, 40);

-- Services ("products" of a client).  packageid = tblproducts.id,
-- billingcycle is the display name ('Monthly', 'One Time', 'Free Account'),
-- password is WHMCS-encrypted.  nextduedate is the only NULLable date.
CREATE TABLE tblhosting (
  id                   int(10)          NOT NULL AUTO_INCREMENT,
  userid               int(10)          NOT NULL,
  orderid              int(10)          NOT NULL,
  packageid            int(10)          NOT NULL,
  server               int(10)          NOT NULL,
  regdate              date             NOT NULL,
  domain               text             NOT NULL,
  paymentmethod        text             NOT NULL,
  qty                  int(10) unsigned NOT NULL DEFAULT 1,
  firstpaymentamount   decimal(16,2)    NOT NULL DEFAULT 0.00,
  amount               decimal(16,2)    NOT NULL DEFAULT 0.00,
  billingcycle         text             NOT NULL,
  nextduedate          date             NULL DEFAULT NULL,
  nextinvoicedate      date             NOT NULL,
  termination_date     date             NOT NULL DEFAULT '0000-00-00',
  completed_date       date             NOT NULL DEFAULT '0000-00-00',
  domainstatus         enum('Pending','Active','Suspended','Terminated',
                            'Cancelled','Fraud','Completed') NOT NULL DEFAULT 'Pending',
  username             text             NOT NULL,
  password             text             NOT NULL,
  notes                text             NOT NULL,
  subscriptionid       text             NOT NULL,
  promoid              int(10)          NOT NULL,
  promocount           int(10)          NULL DEFAULT 0,
  suspendreason        text             NOT NULL,
  overideautosuspend   tinyint(1)       NOT NULL,
  overidesuspenduntil  date             NOT NULL,
  dedicatedip          text             NOT NULL,
  assignedips          text             NOT NULL,
  ns1                  text             NOT NULL,
  ns2                  text             NOT NULL,
  diskusage            int(10)          NOT NULL DEFAULT 0,
  disklimit            int(10)          NOT NULL DEFAULT 0,
  bwusage              int(10)          NOT NULL DEFAULT 0,
  bwlimit              int(10)          NOT NULL DEFAULT 0,
  lastupdate           datetime         NOT NULL DEFAULT '0000-00-00 00:00:00',
  created_at           timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at           timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY serviceid (id),
  KEY userid (userid),
  KEY orderid (orderid),
  KEY productid (packageid),
  KEY serverid (server),
  KEY domain (domain(64)),
  KEY domainstatus (domainstatus),
  KEY username (username(8))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Selected configurable options of a service: relid = tblhosting.id,
-- optionid = chosen sub-option (types 1/2), qty = quantity (types 3/4).
CREATE TABLE tblhostingconfigoptions (
  id        int(10) NOT NULL AUTO_INCREMENT,
  relid     int(10) NOT NULL,
  configid  int(10) NOT NULL,
  optionid  int(10) NOT NULL,
  qty       int(10) NOT NULL,
  PRIMARY KEY (id),
  KEY relid_configid (relid, configid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Addons attached to a service.
CREATE TABLE tblhostingaddons (
  id                  int(10)          NOT NULL AUTO_INCREMENT,
  orderid             int(10)          NOT NULL,
  hostingid           int(10)          NOT NULL,
  addonid             int(10)          NOT NULL,
  userid              int(10)          NOT NULL DEFAULT 0,
  server              int(10)          NOT NULL DEFAULT 0,
  name                text             NOT NULL,
  qty                 int(10) unsigned NOT NULL DEFAULT 1,
  firstpaymentamount  decimal(16,2)    NOT NULL DEFAULT 0.00,
  setupfee            decimal(16,2)    NOT NULL DEFAULT 0.00,
  recurring           decimal(16,2)    NOT NULL DEFAULT 0.00,
  billingcycle        text             NOT NULL,
  tax                 text             NOT NULL,
  status              enum('Pending','Active','Suspended','Terminated',
                           'Cancelled','Fraud','Completed') NOT NULL DEFAULT 'Pending',
  regdate             date             NOT NULL DEFAULT '0000-00-00',
  nextduedate         date             NULL DEFAULT NULL,
  nextinvoicedate     date             NOT NULL,
  termination_date    date             NOT NULL DEFAULT '0000-00-00',
  proratadate         date             NOT NULL DEFAULT '0000-00-00',
  paymentmethod       text             NOT NULL,
  notes               text             NOT NULL,
  subscriptionid      varchar(128)     NOT NULL DEFAULT '',
  created_at          timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at          timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY orderid (orderid),
  KEY serviceid (hostingid),
  KEY name (name(32)),
  KEY status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Upgrade/downgrade orders of services and addons.
CREATE TABLE tblupgrades (
  id                    int(10)       NOT NULL AUTO_INCREMENT,
  userid                int(10)       NOT NULL,
  orderid               int(10)       NOT NULL,
  type                  enum('service','addon','package','configoptions') NOT NULL,
  `date`                date          NOT NULL,
  relid                 int(10)       NOT NULL,
  originalvalue         text          NOT NULL,
  newvalue              text          NOT NULL,
  new_cycle             varchar(30)   NOT NULL,
  amount                decimal(16,2) NOT NULL,
  credit_amount         decimal(16,2) NOT NULL,
  days_remaining        int(4)        NOT NULL,
  total_days_in_cycle   int(4)        NOT NULL,
  new_recurring_amount  decimal(16,2) NOT NULL,
  recurringchange       decimal(16,2) NOT NULL,
  status                enum('Pending','Completed') NOT NULL DEFAULT 'Pending',
  paid                  enum('Y','N') NOT NULL DEFAULT 'N',
  PRIMARY KEY (id),
  KEY orderid (orderid),
  KEY serviceid (relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Cancellation requests; relid = tblhosting.id, type 'Immediate' or
-- 'End of Billing Period'.  "One per service" is NOT enforced by a key.
CREATE TABLE tblcancelrequests (
  id          int(10)   NOT NULL AUTO_INCREMENT,
  `date`      datetime  NOT NULL DEFAULT '0000-00-00 00:00:00',
  relid       int(10)   NOT NULL,
  reason      text      NOT NULL,
  type        text      NOT NULL,
  created_at  timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at  timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY serviceid (relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- ======================================================================
-- Billing
-- ======================================================================

-- Invoices.  status Unpaid/Paid/Cancelled/...; total = subtotal + taxes -
-- credit; invoicenum only set with sequential numbering (when paid).
CREATE TABLE tblinvoices (
  id                    int(10)          NOT NULL AUTO_INCREMENT,
  userid                int(10)          NOT NULL,
  invoicenum            text             NOT NULL,
  `date`                date             NULL DEFAULT NULL,
  duedate               date             NULL DEFAULT NULL,
  datepaid              datetime         NOT NULL DEFAULT '0000-00-00 00:00:00',
  last_capture_attempt  timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  date_refunded         timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  date_cancelled        timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  subtotal              decimal(16,2)    NOT NULL,
  credit                decimal(16,2)    NOT NULL,
  tax                   decimal(16,2)    NOT NULL,
  tax2                  decimal(16,2)    NOT NULL,
  total                 decimal(16,2)    NOT NULL DEFAULT 0.00,
  taxrate               decimal(10,3)    NOT NULL DEFAULT 0.000,
  taxrate2              decimal(10,3)    NOT NULL DEFAULT 0.000,
  status                text             NOT NULL,
  paymentmethod         text             NOT NULL,
  paymethodid           int(10) unsigned NULL DEFAULT NULL,
  notes                 text             NOT NULL,
  created_at            timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at            timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY userid (userid),
  KEY status (status(3))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Invoice lines; type 'Hosting' with relid = tblhosting.id etc.
-- invoiceid = 0 while a line waits for its invoice.
CREATE TABLE tblinvoiceitems (
  id             int(10)       NOT NULL AUTO_INCREMENT,
  invoiceid      int(10)       NOT NULL DEFAULT 0,
  userid         int(10)       NOT NULL,
  type           varchar(30)   NOT NULL,
  relid          int(10)       NOT NULL,
  description    text          NOT NULL,
  amount         decimal(16,2) NOT NULL DEFAULT 0.00,
  taxed          int(1)        NOT NULL,
  duedate        date          NULL DEFAULT NULL,
  paymentmethod  text          NOT NULL,
  notes          text          NOT NULL,
  PRIMARY KEY (id),
  KEY invoiceid (invoiceid),
  KEY userid (userid, type, relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Per-invoice extra data (billing country), one row per invoice.
CREATE TABLE tblinvoicedata (
  id          int(10) unsigned NOT NULL AUTO_INCREMENT,
  invoice_id  int(10) unsigned NOT NULL DEFAULT 0,
  country     varchar(2)       NOT NULL DEFAULT '',
  created_at  timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at  timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  UNIQUE KEY tblinvoicedata_invoice_id_unique (invoice_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Credit ledger: + added, - used ("Credit Applied to Invoice #N").
-- tblclients.credit holds the balance.  No secondary index (as in WHMCS).
CREATE TABLE tblcredit (
  id           int(10)          NOT NULL AUTO_INCREMENT,
  clientid     int(10)          NOT NULL,
  admin_id     int(10) unsigned NOT NULL DEFAULT 0,
  `date`       date             NOT NULL,
  description  text             NOT NULL,
  amount       decimal(16,2)    NOT NULL,
  relid        int(10)          NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Transactions (payments in / refunds out).  Invoice balance =
-- total - sum(amountin - amountout).  transid is NOT unique.
CREATE TABLE tblaccounts (
  id           int(10)       NOT NULL AUTO_INCREMENT,
  userid       int(10)       NOT NULL,
  currency     int(10)       NOT NULL,
  gateway      text          NOT NULL,
  `date`       datetime      NULL DEFAULT NULL,
  description  text          NOT NULL,
  amountin     decimal(16,2) NOT NULL DEFAULT 0.00,
  fees         decimal(16,2) NOT NULL DEFAULT 0.00,
  amountout    decimal(16,2) NOT NULL DEFAULT 0.00,
  rate         decimal(16,5) NOT NULL DEFAULT 1.00000,
  transid      text          NOT NULL,
  invoiceid    int(10)       NOT NULL DEFAULT 0,
  refundid     int(10)       NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY invoiceid (invoiceid),
  KEY userid (userid),
  KEY `date` (`date`),
  KEY transid (transid(32))
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Gateway transaction history (callbacks) per invoice.
CREATE TABLE tbltransaction_history (
  id                      int(10) unsigned NOT NULL AUTO_INCREMENT,
  invoice_id              int(10) unsigned NOT NULL,
  gateway                 varchar(32)      NOT NULL DEFAULT '',
  transaction_id          varchar(255)     NOT NULL DEFAULT '',
  remote_status           varchar(255)     NOT NULL DEFAULT '',
  completed               tinyint(1)       NOT NULL DEFAULT 0,
  description             varchar(255)     NOT NULL DEFAULT '',
  additional_information  text             NOT NULL,
  amount                  decimal(16,2)    NOT NULL DEFAULT 0.00,
  currency_id             int(10) unsigned NOT NULL DEFAULT 0,
  created_at              timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at              timestamp        NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (id),
  KEY transaction_id (transaction_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;
