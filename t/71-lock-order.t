# One lock order for every write (src/kd_db.h): the client's row first.
# A payment (client, invoice, then the service it renews) and a
# cancellation (the service, then the invoices that bill it) of the same
# client used to take the invoice and the service in opposite orders and
# deadlock now and then (InnoDB fails one: a spurious 503).  Run in
# pairs at the same moment, they now wait for each other: no 503.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;

plan tests => 4, need_module 'kdata', 'dbd';

my $pairs = 10;
my $tok = mint(sub => 2);
setting(NoAutoApplyCredit => 'on');
setting(CancelInvoiceOnCancellation => 'on');
sql('UPDATE tblclients SET credit = 99999999.00 WHERE id = 2');
my @o = map {
    my $r = api('/api/v1/addorder', { product => 'VPS 01',
                                      billingcycle => 'monthly' },
                token => $tok);
    die 'addorder: ' . $r->code unless $r->code == 200;
    json_of($r);
} 1 .. $pairs;

my @r = parallel(2 * $pairs, sub {
    my $o = $o[int($_[0] / 2)];
    $_[0] % 2
        ? api('/api/v1/cancelrequest', { serviceid => $o->{productids},
                                         reason => 'lock order' },
              token => $tok)
        : api('/api/v1/applycredit', { invoiceid => $o->{invoiceid} },
              token => $tok);
});
my @codes = map { $_->[0] } @r;
is scalar(grep { $_ == 503 || $_ == 500 } @codes), 0,
    "$pairs payment + cancellation pairs at once: no 503 (no deadlock)";
is scalar(grep { $_ == 200 } @codes[map { 2 * $_ + 1 } 0 .. $pairs - 1]),
    $pairs, 'every cancellation: 200';
# A payment either came first (200, Paid) or found its invoice cancelled
# under it (409 Invoice Not in Unpaid Status): one or the other, whole.
my @paid = grep { $_ == 200 } @codes[map { 2 * $_ } 0 .. $pairs - 1];
my $paid_rows = sql1("SELECT COUNT(*) FROM tblinvoices WHERE status = 'Paid' "
                     . "AND id IN (" . join(',', map { $_->{invoiceid} } @o)
                     . ")");
is $paid_rows, scalar @paid, 'each 200 payment left a Paid invoice';
is open_transactions(), 0, 'no transaction left open';
