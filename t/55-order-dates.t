# Orders on awkward dates, with the server's clock set by libfaketime:
# WHMCS's month arithmetic (31 Jan + 1 month = 3 Mar, as PHP's mktime)
# and the installation's DateFormat on the invoice line.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use KData::Clock;

plan tests => 11, need_module 'kdata', 'dbd';

setting(NoAutoApplyCredit => 'on');
my $srv = KData::Clock->new('2017-01-31 10:00:00');

my $res = $srv->post('/login', { email => 'other@example.com',
                                 password => 'other-pass-2' });
is $res->code, 200, 'login on the faked clock';
my $tok = json_of($res)->{0}{token};
$res = $srv->post('/api/v1/addorder', { product => 'VPS 01',
                                        billingcycle => 'monthly' }, $tok);
is $res->code, 200, '31 January: ordered';
my $b = json_of($res);
is_deeply sql("SELECT regdate, nextduedate, nextinvoicedate FROM tblhosting "
              . "WHERE id = $b->{productids}"),
    [['2017-01-31', '2017-01-31', '2017-01-31']],
    '31 January: registered and due that day';
like sql1("SELECT description FROM tblinvoiceitems "
          . "WHERE invoiceid = $b->{invoiceid}"),
    qr{^VPS 01 \(31/01/2017 - 02/03/2017\)\n},
    '31 January: the period ends 2 March (one month on is 3 March)';
is_deeply sql("SELECT date, duedate FROM tblinvoices "
              . "WHERE id = $b->{invoiceid}"),
    [['2017-01-31', '2017-01-31']], '31 January: invoice dated that day';
sql("UPDATE tblclients SET credit = 300000.00 WHERE id = 2");
$res = $srv->post('/api/v1/applycredit', { invoiceid => $b->{invoiceid} },
                  $tok);
is json_of($res)->{invoicepaid}, 'true', '31 January: paid from credit';
is_deeply sql("SELECT nextduedate, nextinvoicedate FROM tblhosting "
              . "WHERE id = $b->{productids}"),
    [['2017-03-03', '2017-03-03']],
    '31 January + 1 month: next due 3 March, as WHMCS (PHP mktime)';
like sql1("SELECT datepaid FROM tblinvoices WHERE id = $b->{invoiceid}"),
    qr/^2017-01-31 10:0\d:\d\d$/, '31 January: paid that day';

setting(DateFormat => 'MM/DD/YYYY');
$res = $srv->post('/api/v1/addorder', { product => 'VPS 01',
                                        billingcycle => 'annually' }, $tok);
$b = json_of($res);
like sql1("SELECT description FROM tblinvoiceitems "
          . "WHERE invoiceid = $b->{invoiceid}"),
    qr{^VPS 01 \(01/31/2017 - 01/30/2018\)\n},
    'DateFormat MM/DD/YYYY, annual period';
setting(DateFormat => 'YYYY-MM-DD');
$res = $srv->post('/api/v1/addorder', { product => 'VPS 01',
                                        billingcycle => 'quarterly' }, $tok);
$b = json_of($res);
like sql1("SELECT description FROM tblinvoiceitems "
          . "WHERE invoiceid = $b->{invoiceid}"),
    qr{^VPS 01 \(2017-01-31 - 2017-04-30\)\n},
    'DateFormat YYYY-MM-DD, quarterly period (31 Jan + 3 months - 1 day)';
setting(DateFormat => 'DD/MM/YYYY');
undef $srv;

$srv = KData::Clock->new('2016-02-29 10:00:00');
$res = $srv->post('/login', { email => 'other@example.com',
                              password => 'other-pass-2' });
$tok = json_of($res)->{0}{token};
$res = $srv->post('/api/v1/addorder', { product => 'VPS 01',
                                        billingcycle => 'annually' }, $tok);
$b = json_of($res);
like sql1("SELECT description FROM tblinvoiceitems "
          . "WHERE invoiceid = $b->{invoiceid}"),
    qr{^VPS 01 \(29/02/2016 - 28/02/2017\)\n},
    '29 February 2016, annually: the period ends 28 Feb 2017';
