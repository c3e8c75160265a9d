# A hard restart (apachectl -k restart: SIGHUP to the parent) while
# orders are placed and paid (catalogue case 112).  Requests in flight
# may fail at the client; what must hold is that the server answers
# again, no transaction is left open, and every order and invoice the
# load touched is whole: an order has its service, invoice and items,
# and an invoice is either fully paid (and the credit taken once) or
# untouched.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use HTTP::Response;
use Time::HiRes qw(time);

plan tests => 12, need_module 'kdata', 'dbd';

my $tok = mint(sub => 2);
my $workers = 8;
my $duration = 4;               # seconds of load; the restart at 1.5 s

setting(NoAutoApplyCredit => 'on');
sql('UPDATE tblclients SET credit = 900000000.00 WHERE id = 2');
my $credit0 = sql1('SELECT credit FROM tblclients WHERE id = 2');
my %max0 = map {
    $_ => sql1("SELECT COALESCE(MAX(id), 0) FROM $_")
} qw(tblorders tblinvoices tblcredit);

# Each order spends 0.2 s inside its transaction, so that several are
# half written when the signal comes.
sql("CREATE TRIGGER kd_test_restart BEFORE INSERT ON tblinvoiceitems "
    . "FOR EACH ROW SET \@kd_slow = SLEEP(0.2)");
END { sql('DROP TRIGGER IF EXISTS kd_test_restart') }

my $pidfile = Apache::Test::vars('serverroot') . '/logs/httpd.pid';
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $httpd = <$pf>);
close $pf;

sub log_text {
    open my $fh, '<', 't/logs/error_log' or die "error_log: $!";
    local $/;
    return <$fh>;
}
my $log0 = length log_text();

my $killer = fork // die;
if (!$killer) {
    select undef, undef, undef, 0.5 + 1.5;      # parallel starts at 0.5 s
    kill 'HUP', $httpd;
    POSIX::_exit(0);
}
# Each worker orders and pays, over and over: "ordered/paid/failed".
my @r = parallel($workers, sub {
    my $end = time + $duration;
    my %n = (ordered => 0, paid => 0, failed => 0);
    while (time < $end) {
        my $res = api('/api/v1/addorder', { product => 'VPS 01',
                                            billingcycle => 'monthly' },
                      token => $tok);
        my $iid = $res->code == 200
            && eval { json_of($res)->{invoiceid} };
        if (!$iid) {
            $n{failed}++;
            next;
        }
        $n{ordered}++;
        $res = api('/api/v1/applycredit', { invoiceid => $iid },
                   token => $tok);
        $n{$res->code == 200 ? 'paid' : 'failed'}++;
    }
    HTTP::Response->new(200, 'OK', undef,
                        join '/', @n{qw(ordered paid failed)});
});
waitpid $killer, 0;
sql('DROP TRIGGER kd_test_restart');
my ($ordered, $paid, $failed) = (0, 0, 0);
for (@r) {
    my @c = split m{/}, $_->[1];
    $ordered += $c[0];
    $paid += $c[1];
    $failed += $c[2];
}
diag "ordered $ordered, paid $paid, failed $failed";
ok $ordered > 0, "orders placed under load ($ordered)";

like substr(log_text(), $log0), qr/SIGHUP received/,
    'a (non-graceful) restart did happen';

# --- the server answers again -----------------------------------------------------
my ($code, $t0) = (0, time);
while (time - $t0 < 10) {
    $code = api('/api/v1/getproduct', { serviceid => 2 }, token => $tok)
            ->code;
    last if $code == 200;
    select undef, undef, undef, 0.2;
}
is $code, 200, sprintf('answering again %.1f s after the load', time - $t0);

# A killed child's connections are closed with it; the server rolls
# their transactions back as it notices.
my $open;
for (1 .. 20) {
    last unless $open = open_transactions();
    select undef, undef, undef, 0.25;
}
is $open, 0, 'no transaction left open';

# --- every order the load created is whole -----------------------------------------
my $orders = sql("SELECT o.id, o.invoiceid, "
    . "(SELECT COUNT(*) FROM tblhosting h WHERE h.orderid = o.id), "
    . "(SELECT COUNT(*) FROM tblinvoices i WHERE i.id = o.invoiceid), "
    . "(SELECT COUNT(*) FROM tblinvoiceitems ii JOIN tblhosting h "
    . " ON ii.type = 'Hosting' AND ii.relid = h.id "
    . " WHERE ii.invoiceid = o.invoiceid AND h.orderid = o.id) "
    . "FROM tblorders o WHERE o.id > $max0{tblorders} ORDER BY o.id");
ok @$orders >= $ordered, sprintf('%d orders in the database, %d answered',
                                 scalar @$orders, $ordered);
is_deeply [grep { $_->[2] != 1 || $_->[3] != 1 || $_->[4] != 1 } @$orders],
    [], 'each has its service, its invoice and the service\'s item';
is sql1("SELECT COUNT(*) FROM tblhosting WHERE orderid > $max0{tblorders} "
        . "AND orderid NOT IN (SELECT id FROM tblorders)"), 0,
    'no service without its order';
is sql1("SELECT COUNT(*) FROM tblinvoices i WHERE i.id > $max0{tblinvoices} "
        . "AND NOT EXISTS (SELECT 1 FROM tblorders o "
        . "WHERE o.invoiceid = i.id)"), 0, 'no invoice without its order';

# --- every invoice is paid in full, or untouched -----------------------------------
my $inv = sql("SELECT i.id, i.status, i.subtotal, i.credit, i.total, "
    . "(SELECT COUNT(*) FROM tblcredit c WHERE c.description = "
    . " CONCAT('Credit Applied to Invoice #', i.id)), "
    . "(SELECT COALESCE(SUM(c.amount), 0) FROM tblcredit c WHERE "
    . " c.description = CONCAT('Credit Applied to Invoice #', i.id)) "
    . "FROM tblinvoices i WHERE i.id > $max0{tblinvoices} ORDER BY i.id");
my @paid = grep { $_->[1] eq 'Paid' } @$inv;
is_deeply [grep {
    !($_->[1] eq 'Paid' && $_->[3] eq $_->[2] && $_->[4] eq '0.00'
      && $_->[5] == 1 && $_->[6] == -$_->[2])
    && !($_->[1] eq 'Unpaid' && $_->[3] eq '0.00' && $_->[4] eq $_->[2]
         && $_->[5] == 0)
} @$inv], [], 'each invoice: Paid with one credit line, or Unpaid untouched';
ok @paid >= $paid, sprintf('%d invoices paid, %d answered so',
                           scalar @paid, $paid);
my $spent = 0;
$spent += $_->[3] for @paid;
is sprintf('%.2f', $credit0 - sql1('SELECT credit FROM tblclients '
                                   . 'WHERE id = 2')),
    sprintf('%.2f', $spent), 'the client paid exactly what the invoices hold';
is sql1("SELECT COUNT(*) FROM tblcredit WHERE id > $max0{tblcredit}"),
    scalar @paid, 'one tblcredit line per paid invoice, no other';
