# KdataOrderLimit counted from the database (tblorders of the client in
# the window), inside the order's transaction under the client's row lock:
# exact under parallel requests, not reset by fresh Idempotency-Keys or
# any other traffic, and the window slides with the orders' own dates.
# /kdata allows 3 orders a minute (t/conf/extra.conf.in).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;

plan tests => 13, need_module 'kdata', 'dbd';

setting(NoAutoApplyCredit => 'on');
my %o = (product => 'VPS 01', billingcycle => 'monthly');
my $slow = { result => 'error', message => 'Too many orders, try again later' };
sub order {
    my ($client, $key) = @_;
    api('/kdata/api/v1/addorder', \%o, token => mint(sub => $client),
        headers => { defined $key ? ('Idempotency-Key' => $key) : () });
}
sub orders { sql1("SELECT COUNT(*) FROM tblorders WHERE userid = $_[0]") }

# --- one after the other ------------------------------------------------------
my $n5 = orders(5);
my @r = map { order(5) } 1 .. 4;
is_deeply [map { $_->code } @r], [200, 200, 200, 429],
    'three orders a minute: the fourth is 429';
is_deeply json_of($r[3]), $slow, '... with the usual body';
my $wait = $r[3]->header('Retry-After');
ok $wait >= 50 && $wait <= 61,
    "... and Retry-After until the oldest leaves the window ($wait s)";
is orders(5), $n5 + 3, '... three orders written';

# --- fresh keys, other clients' orders: nothing resets it ------------------------
my @k = map { order(5, "lim-$$-$_") } 1 .. 10;
is scalar(grep { $_->code == 429 } @k), 10,
    'ten more with fresh Idempotency-Keys: all 429';
order(1) for 1 .. 5;
is order(5)->code, 429, 'other clients ordering meanwhile: still 429';
is orders(5), $n5 + 3, 'still three orders';

# --- the window slides with the orders' dates --------------------------------------
sql("UPDATE tblorders SET date = date - INTERVAL 61 SECOND "
    . "WHERE userid = 5 AND date > NOW() - INTERVAL 60 SECOND");
is order(5)->code, 200, 'orders over a minute old no longer count';

# --- at once: exactly the limit --------------------------------------------------
my $n4 = orders(4);
my @p = parallel(10, sub { order(4) });
is scalar(grep { $_->[0] == 200 } @p), 3, 'ten at once: three 200s';
is scalar(grep { $_->[0] == 429 } @p), 7, '... seven 429s';
is orders(4), $n4 + 3, '... and exactly three orders';

# --- an order that waited for the client's lock counts what committed meanwhile
# The order's snapshot is taken after the client's row is locked (its
# first statement reads nothing before that lock: kd_auth.h,
# KD_CALLER_LOCKED*), so orders committed while it waited count.  An
# admin holds the client's row and writes three orders; the order that
# waited for it is the fourth in the minute.
my $C = 5401;
add_account($C, 'limitwait@example.com', 'x');
my $cols = "ordernum, userid, contactid, date, nameservers, transfersecret, "
    . "renewals, promocode, promotype, promovalue, orderdata, amount, "
    . "paymentmethod, invoiceid, status, ipaddress, fraudmodule, "
    . "fraudoutput, notes";
my $vals = join ', ', map {
    "(54010000$_, $C, 0, NOW(), '', '', '', '', '', '', '', 0.00, "
    . "'banktransfer', 0, 'Pending', '127.0.0.1', '', '', '')" } 1 .. 3;
my $pid = background_sql("START TRANSACTION; SELECT id FROM tblclients "
    . "WHERE id = $C FOR UPDATE; INSERT INTO tblorders ($cols) VALUES "
    . "$vals; SELECT SLEEP(1.5); COMMIT;");
my $res = order($C);
waitpid $pid, 0;
is $res->code, 429, 'orders committed while this one waited for the lock: 429';
is orders($C), 3, '... and it wrote nothing';
