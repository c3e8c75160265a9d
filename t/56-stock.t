# Stock control (tblproducts.stockcontrol and qty): a product whose stock
# WHMCS counts is sold while its qty is above zero, refused in WHMCS's
# words with nothing written once it is not, and each order takes one
# unit under the product's row lock, so parallel orders of different
# clients never sell more units than there are.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use Time::HiRes ();

plan tests => 37, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $pid = 90;
my $oos = '{"result":"error","message":"We are currently out of stock on '
    . 'this item so orders for it have been suspended until more stock is '
    . 'available."}';

setting(NoAutoApplyCredit => 'on');
# 'VPS Stock': a copy of VPS 01 (its prices, no options) of its own.
my $prices = join ', ', qw(msetupfee qsetupfee ssetupfee asetupfee bsetupfee
    tsetupfee monthly quarterly semiannually annually biennially triennially);
sql("CREATE TEMPORARY TABLE kd_p AS SELECT * FROM tblproducts WHERE id = 1; "
    . "UPDATE kd_p SET id = $pid, name = 'VPS Stock'; "
    . "INSERT INTO tblproducts SELECT * FROM kd_p; "
    . "INSERT INTO tblpricing (type, currency, relid, $prices) "
    . "SELECT type, currency, $pid, $prices FROM tblpricing "
    . "WHERE type = 'product' AND relid = 1");
# Ten clients of their own: parallel orders of different clients meet
# on the product's row, not on a client's.
my @ids = (130 .. 139);
add_account($_, "stock$_\@example.com", 'x') for @ids;
my %tok = map { $_ => mint(sub => $_, ($v8 ? (uid => $_) : ())) } @ids;

sub stock {
    sql("UPDATE tblproducts SET stockcontrol = $_[0], qty = $_[1] "
        . "WHERE id = $pid");
}
sub qty { sql1("SELECT qty FROM tblproducts WHERE id = $pid") }
sub order {
    my ($id, %o) = @_;
    api('/api/v1/addorder', { product => 'VPS Stock',
                              billingcycle => 'monthly' },
        token => $tok{$id}, %o);
}
# Orders, services and invoices written since counts() gave $c0.
sub written {
    my $c0 = shift;
    my $c = counts();
    return [map { $c->{$_} - $c0->{$_} } qw(tblorders tblhosting
                                            tblinvoices)];
}

# --- out of stock: 400, nothing written -------------------------------------
stock(1, 0);
my $c0 = counts();
my $res = order(130);
is $res->code, 400, 'out of stock: 400';
is $res->content, $oos, 'out of stock: WHMCS\'s words, the seed\'s shape';
is_deeply counts(), $c0, 'out of stock: nothing written';
is qty(), 0, 'out of stock: qty untouched';

stock(1, -2);
$res = order(130);
is_deeply [$res->code, $res->content], [400, $oos],
    'a qty below zero (set by hand): out of stock';
is_deeply counts(), $c0, 'below zero: nothing written';
is qty(), -2, 'below zero: qty untouched';

# --- stock control off: qty is not counted ----------------------------------
stock(0, 0);
$res = order(130);
is $res->code, 200, 'stock control off, qty 0: sold';
is_deeply written($c0), [1, 1, 1],
    'stock control off: one order, service and invoice';
is qty(), 0, 'stock control off: qty not counted down';

# --- one unit per order ------------------------------------------------------
stock(1, 2);
for my $left (1, 0) {
    $c0 = counts();
    $res = order(131);
    is $res->code, 200, 'qty ' . ($left + 1) . ': sold';
    is qty(), $left, "qty $left left after it";
    is_deeply written($c0), [1, 1, 1], 'one order, service and invoice';
}
$c0 = counts();
$res = order(131);
is_deeply [$res->code, $res->content], [400, $oos],
    'the last unit sold: the next order is refused';
is_deeply counts(), $c0, 'refused: nothing written';
is sql1("SELECT COUNT(*) FROM tblhosting WHERE packageid = $pid "
        . "AND userid = 131"), 2, 'two services of it, one per unit';

# --- Idempotency-Key: the refusal is the key's answer, like other 400s ------
stock(1, 0);
$c0 = counts();
my %key = (headers => { 'Idempotency-Key' => 'stock-1' });
$res = order(132, %key);
is_deeply [$res->code, $res->content], [400, $oos], 'with a key: refused';
stock(1, 1);
$res = order(132, %key);
is_deeply [$res->code, $res->content, $res->header('Idempotent-Replayed')],
    [400, $oos, 'true'],
    'restocked, the same key: its first answer (the refusal) replayed';
is_deeply counts(), $c0, 'replayed: nothing written';
is qty(), 1, 'replayed: the unit is still there';
$res = order(132, headers => { 'Idempotency-Key' => 'stock-2' });
is $res->code, 200, 'a new key: sold';
is qty(), 0, 'a new key: the unit taken';

# --- the locked row decides, not a snapshot ---------------------------------
# Another transaction takes the last unit and holds the row for 2 s: the
# order waits for it, then sees qty 0 (a plain read would still see 1
# and sell it again).
stock(1, 1);
$c0 = counts();
my $bg = background_sql("BEGIN; UPDATE tblproducts SET qty = qty - 1 "
                        . "WHERE id = $pid; SELECT SLEEP(2); COMMIT;");
for (1 .. 50) {
    last if sql1('SELECT COUNT(*) FROM information_schema.INNODB_TRX '
                 . 'WHERE trx_rows_modified > 0');
    Time::HiRes::sleep(0.1);
}
my $t0 = Time::HiRes::time();
$res = order(133);
my $waited = Time::HiRes::time() - $t0;
waitpid $bg, 0;
is_deeply [$res->code, $res->content], [400, $oos],
    'a unit taken by a transaction still open: refused once it committed';
ok $waited > 0.3, sprintf('the order waited for the row (%.1f s)', $waited);
is_deeply counts(), $c0, 'nothing written';
is qty(), 0, 'qty 0, not -1';

# --- 10 orders at once for the last 3 units ---------------------------------
# Each order is held up 0.2 s in its write (a trigger), so that they all
# overlap whatever the machine's load: only the row lock keeps them apart.
stock(1, 3);
$c0 = counts();
sql("CREATE TRIGGER kd_test_slow BEFORE INSERT ON tblorders "
    . "FOR EACH ROW SET \@kd_slow = SLEEP(0.2)");
my @r = parallel(10, sub { order($ids[$_[0]]) });
sql('DROP TRIGGER kd_test_slow');
my @ok = grep { $_->[0] == 200 } @r;
my @no = grep { $_->[0] == 400 } @r;
is scalar(@ok), 3, '10 at once for the last 3: exactly 3 sold';
is scalar(@no), 7, '10 at once: 7 refused';
is scalar(grep { $_->[1] eq $oos } @no), 7,
    '10 at once: each refusal says out of stock';
is qty(), 0, '10 at once: qty 0';
is_deeply written($c0), [3, 3, 3],
    '10 at once: exactly 3 orders, services and invoices';
my @oids = map { /"orderid":(\d+)/ ? $1 : 0 } map { $_->[1] } @ok;
is sql1("SELECT COUNT(DISTINCT o.userid) FROM tblorders o JOIN tblhosting h "
        . "ON h.orderid = o.id WHERE h.packageid = $pid AND o.id IN ("
        . join(',', @oids, 0) . ')'), 3,
    '10 at once: the 3 answers are 3 orders of the product, 3 clients';
is open_transactions(), 0, 'no transaction left open';

# --- a product without stock control takes no lock --------------------------
# Its row held by another session does not hold its orders up.
stock(0, 0);
$bg = background_sql("BEGIN; SELECT id FROM tblproducts WHERE id = $pid "
                     . "FOR UPDATE; SELECT SLEEP(4); COMMIT;");
$res = order(134);
is $res->code, 200, 'stock control off: sold while its row is locked';
waitpid $bg, 0;

# Leave the product unorderable for the files that follow.
sql("UPDATE tblproducts SET stockcontrol = 0, qty = 0, retired = 1 "
    . "WHERE id = $pid");
