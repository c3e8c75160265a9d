# Idempotency-Key on addorder: a retried order is not a second VPS.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use JSON::PP ();

plan tests => 19, need_module 'kdata', 'dbd';

my $tok = mint(sub => 2);
setting(NoAutoApplyCredit => 'on');
my %o = (product => 'VPS 01', billingcycle => 'monthly', extraIp => 2);
sub order {
    my ($key, $fields, $t) = @_;
    api('/api/v1/addorder', $fields || \%o, token => $t || $tok,
        headers => { defined $key ? ('Idempotency-Key' => $key) : () });
}
sub orders { sql1('SELECT COUNT(*) FROM tblorders WHERE userid = 2') }

my $n0 = orders();
my $first = order('k-1001');
is $first->code, 200, 'first: 200';
ok !$first->header('Idempotent-Replayed'), 'first: not a replay';
my $again = order('k-1001');
is $again->code, 200, 'repeat: 200';
is $again->content, $first->content, 'repeat: the first answer, byte for byte';
is $again->header('Idempotent-Replayed'), 'true', 'repeat: marked as a replay';
is orders(), $n0 + 1, 'repeat: one order';

my $other = order('k-1001', { %o, extraIp => 3 });
is_deeply [$other->code, json_of($other)],
    [422, { result => 'error', message => 'This Idempotency-Key was used '
            . 'with a different request' }], 'same key, other body: 422';
is orders(), $n0 + 1, '422: no order';

my $c1 = order('k-1001', undef, mint(sub => 1));
is $c1->code, 200, 'the same key of another client is its own';
isnt $c1->content, $first->content, '... and makes its own order';

is order('k-1002')->code, 200, 'a new key: a new order';
is orders(), $n0 + 2, 'two keys, two orders';
is order()->code, 200, 'no key: ordinary order';

my $bad = order('bad key with spaces');
is $bad->code, 400, 'a malformed key: 400';

# two at once with one key: one order; the other is told it is running
# (409) or, if the first already finished, gets its answer replayed
my $n1 = orders();
my @r = parallel(2, sub { order('k-race') });
is orders(), $n1 + 1, 'two at once, one key: one order';
my @codes = sort map { $_->[0] } @r;
ok $codes[0] == 200 && ($codes[1] == 200 || $codes[1] == 409),
   'two at once: 200 and 409 (or a replayed 200)';

# while the first is still running (held up by a slow trigger): 409
sql("CREATE TRIGGER kd_test_slow BEFORE INSERT ON tblorders "
    . "FOR EACH ROW SET \@kd_slow = SLEEP(2)");
$n1 = orders();
@r = parallel(2, sub {
    select undef, undef, undef, 0.7 if $_[0];
    order('k-slow');
});
sql('DROP TRIGGER kd_test_slow');
is_deeply [map { $_->[0] } @r], [200, 409], 'the first runs, the repeat: 409';
is_deeply(JSON::PP->new->decode($r[1][1]),
          { result => 'error', message => 'A request with this '
            . 'Idempotency-Key is still in progress' }, '409: says so');
is orders(), $n1 + 1, 'held up: still one order';
