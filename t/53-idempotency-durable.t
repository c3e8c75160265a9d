# Idempotency-Key kept in the WHMCS database (mod_kdata_idempotency):
# the answer is stored in the write's own transaction, a dead request's
# key is taken over only once it is stale, a missing table is a 503 (never
# a silent fallback), expired keys are purged on the write path, answers
# that say "not now" (429, 503) leave the key free, and applycredit and
# cancelrequest take keys too.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use Digest::SHA qw(sha256_hex);
use Time::HiRes ();

plan tests => 37, need_module 'kdata', 'dbd';

my $tok = mint(sub => 2);
setting(NoAutoApplyCredit => 'on');
my %o = (product => 'VPS 01', billingcycle => 'monthly', extraIp => 2);
# The body api() sends for %o (fields sorted, percent-encoded): what the
# module fingerprints.
my $o_body = 'billingcycle=monthly&extraIp=2&product=VPS%2001';

sub call {
    my ($op, $fields, $key, $path) = @_;
    api(($path || '/api/v1/') . $op, $fields, token => $tok,
        headers => { defined $key ? ('Idempotency-Key' => $key) : () });
}
sub orders { sql1('SELECT COUNT(*) FROM tblorders WHERE userid = 2') }
sub key_row {
    my $k = sha256_hex(shift);
    my $r = sql("SELECT route, status, body, expires - created "
                . "FROM mod_kdata_idempotency WHERE client_id = 2 "
                . "AND key_hash = UNHEX('$k')");
    return @$r ? $r->[0] : undef;
}
sub log_text {
    open my $fh, '<', 't/logs/error_log' or die "error_log: $!";
    local $/;
    return <$fh>;
}

# --- the answer is a row, written with the order -----------------------------
my $first = call('addorder', \%o, 'd-1001');
is $first->code, 200, 'keyed order: 200';
is_deeply key_row('d-1001'), ['addorder', 200, $first->content, 86400],
    'the key\'s row: route, status, the exact answer, kept 24 h';

# --- a request that died before COMMIT leaves a running key ------------------
my $now = time;
my $stale = sha256_hex('d-stale');
sql("INSERT INTO mod_kdata_idempotency (client_id, key_hash, route, "
    . "fingerprint, status, body, created, expires) VALUES (2, "
    . "UNHEX('$stale'), 'addorder', UNHEX('" . sha256_hex($o_body)
    . "'), 0, '', " . ($now - 10) . ", " . ($now + 86400) . ")");
my $n0 = orders();
my $res = call('addorder', \%o, 'd-stale');
is_deeply [$res->code, json_of($res)],
    [409, { result => 'error', message => 'A request with this '
            . 'Idempotency-Key is still in progress' }],
    'a running key (10 s old): 409';
is orders(), $n0, '... and no order';
sql("UPDATE mod_kdata_idempotency SET created = " . ($now - 121)
    . " WHERE key_hash = UNHEX('$stale')");
$res = call('addorder', \%o, 'd-stale');
is $res->code, 200, 'a running key past 120 s (its request died): taken over';
is orders(), $n0 + 1, '... one order';
is key_row('d-stale')->[1], 200, '... and the key now holds its answer';
$res = call('addorder', \%o, 'd-stale');
is_deeply [$res->code, scalar $res->header('Idempotent-Replayed')],
    [200, 'true'],
    '... which a retry replays';

# --- a missing table: 503 and one clear line, never a silent fallback --------
my $log0 = length log_text();
sql('RENAME TABLE mod_kdata_idempotency TO mod_kdata_idempotency_gone');
my $c0 = counts();
$res = call('addorder', \%o, 'd-missing');
is_deeply [$res->code, json_of($res)],
    [503, { result => 'error', message => 'Service temporarily '
            . 'unavailable, try again later' }],
    'table missing: a keyed addorder is 503';
is $res->header('Retry-After'), 5, '... with Retry-After';
is_deeply counts(), $c0, '... and nothing written';
is call('addorder', \%o)->code, 200, 'an order without a key still works';
sql('RENAME TABLE mod_kdata_idempotency_gone TO mod_kdata_idempotency');
like substr(log_text(), $log0),
    qr/KD00307: kd_idem_\w+: .*mod_kdata_idempotency.* install mod_kdata's tables with conf\/mod_kdata\.sql/,
    'the log names the table and the file that creates it';
is call('addorder', \%o, 'd-missing')->code, 200,
    'the table back: the key works';

# --- expired keys are purged on the write path ---------------------------------
for my $i (1 .. 5) {
    my $h = sha256_hex("d-old-$i");
    sql("INSERT INTO mod_kdata_idempotency (client_id, key_hash, route, "
        . "fingerprint, status, body, created, expires) VALUES (2, "
        . "UNHEX('$h'), 'addorder', UNHEX('$h'), 200, '{}', "
        . ($now - 90000) . ", " . ($now - 3600) . ")");
}
Time::HiRes::sleep(1.1);        # at most one purge a second per process
is call('addorder', \%o, 'd-purge')->code, 200, 'a keyed order';
is sql1('SELECT COUNT(*) FROM mod_kdata_idempotency WHERE expires < '
        . $now), 0, '... purged the expired keys';

# --- "not now" answers leave the key free -----------------------------------
# /kdata allows 3 orders a minute (t/conf/extra.conf.in).
my $tok3 = mint(sub => 3);
my @lim = map {
    api('/kdata/api/v1/addorder', \%o, token => $tok3,
        headers => { 'Idempotency-Key' => "d-lim-$_" })
} 1 .. 4;
is_deeply [map { $_->code } @lim], [200, 200, 200, 429],
    'the order limit: the fourth is 429';
is sql1("SELECT COUNT(*) FROM mod_kdata_idempotency WHERE client_id = 3 "
        . "AND key_hash = UNHEX('" . sha256_hex('d-lim-4') . "')"), 0,
    'the throttled request\'s key was not kept';
$res = api('/kdata/api/v1/addorder', \%o, token => $tok3,
           headers => { 'Idempotency-Key' => 'd-lim-4' });
is_deeply [$res->code, scalar $res->header('Idempotent-Replayed'),
           defined $res->header('Retry-After') ? 1 : 0], [429, undef, 1],
    'a retry with that key is throttled afresh (with Retry-After), '
    . 'not a stored 429';

# --- applycredit takes a key: a retried payment pays once -------------------
my $iid = json_of(call('addorder', \%o))->{invoiceid};
sql('UPDATE tblclients SET credit = 100.00 WHERE id = 2');
my $credit0 = sql1('SELECT credit FROM tblclients WHERE id = 2');
my $lines0 = sql1('SELECT COUNT(*) FROM tblcredit WHERE clientid = 2');
my $p1 = call('applycredit', { invoiceid => $iid, amount => '1.00' }, 'c-1');
my $p2 = call('applycredit', { invoiceid => $iid, amount => '1.00' }, 'c-1');
is_deeply [$p1->code, $p2->code], [200, 200], 'applycredit twice: 200, 200';
is $p2->content, $p1->content, '... the second is the first answer';
is $p2->header('Idempotent-Replayed'), 'true', '... replayed';
is sql1('SELECT credit FROM tblclients WHERE id = 2'),
    sprintf('%.2f', $credit0 - 1), '... 1.00 taken from the credit once';
is sql1('SELECT COUNT(*) FROM tblcredit WHERE clientid = 2'), $lines0 + 1,
    '... one tblcredit line';
is_deeply key_row('c-1'), ['applycredit', 200, $p1->content, 86400],
    '... and the key\'s row';

# A business refusal is the request's answer: kept and replayed.
my $big = { invoiceid => $iid, amount => '500.00' };
my $r1 = call('applycredit', $big, 'c-2');
is_deeply [$r1->code, json_of($r1)],
    [409, { result => 'error',
            message => 'Amount exceeds customer credit balance' }],
    'a refused payment (more than the credit): 409';
my $r2 = call('applycredit', $big, 'c-2');
is_deeply [$r2->code, $r2->content,
           scalar $r2->header('Idempotent-Replayed')],
    [409, $r1->content, 'true'], '... kept: the retry replays it';
is_deeply key_row('c-2'), ['applycredit', 409, $r1->content, 86400],
    '... from the key\'s row';
my $other = call('applycredit', { invoiceid => $iid, amount => '2.00' },
                 'c-2');
is $other->code, 422, 'the same key with another amount: 422';

# --- cancelrequest takes a key -------------------------------------------------
my $sid = json_of(call('addorder', \%o))->{productids};
my $x1 = call('cancelrequest', { serviceid => $sid, reason => 'r' }, 'x-1');
my $x2 = call('cancelrequest', { serviceid => $sid, reason => 'r' }, 'x-1');
is_deeply [$x1->code, $x2->code,
           scalar $x2->header('Idempotent-Replayed')],
    [200, 200, 'true'], 'cancelrequest twice with a key: the answer replayed';
is $x2->content, $x1->content, '... byte for byte';
is sql1("SELECT COUNT(*) FROM tblcancelrequests WHERE relid = $sid"), 1,
    '... one cancellation request';
my $x3 = call('cancelrequest', { serviceid => $sid, reason => 'r' }, 'x-2');
is_deeply [$x3->code, json_of($x3)],
    [409, { result => 'error',
            message => 'Existing Cancellation Request Exists' }],
    'another key: the usual 409';

# --- many at once, one key: one order ------------------------------------------
my $n1 = orders();
my @r = parallel(10, sub { call('addorder', \%o, 'd-many') });
is orders(), $n1 + 1, '10 at once with one key: one order';
my @ok = grep { $_->[0] == 200 } @r;
my @busy = grep { $_->[0] == 409 } @r;
is @ok + @busy, 10, 'every answer is 200 or 409';
my %bodies = map { $_->[1] => 1 } @ok;
is keys %bodies, 1, 'every 200 is the same order';
is_deeply key_row('d-many'), ['addorder', 200, (keys %bodies)[0], 86400],
    'the key holds that answer';
