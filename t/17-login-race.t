# Logins that run together: correct passwords are never refused because
# other correct logins run at the same time, parallel guesses never get
# past the account limit, and a legacy hash rehashed by parallel first
# logins leaves every token they were given usable.  Each scenario logs
# in from its own loopback address (127.0.8.x), so its buckets are its
# own.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use LWP::UserAgent;
use JSON::PP ();
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(hmac_sha256_hex);

plan tests => 46, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $cred = $v8 ? 'tblusers' : 'tblclients';
my $base = 'http://' . Apache::TestRequest::hostport();
my $fail = { result => 'error', messages => 'User not exists' };
my $slow = { result => 'error',
             message => 'Too many failed logins, try again later' };
my $pw2 = '$2y$10$QChtMhxiXX3H6wrrgIZaeuyR6cPy5mC8Q.YeYu6kZ77rCXK6UqkrC';

# n logins at the same moment from $addr; [status, body] each.
sub logins {
    my ($n, $addr, $email, $pw) = @_;
    return parallel($n, sub {
        my $ua = LWP::UserAgent->new(local_address => $addr,
                                     keep_alive => 0, timeout => 60);
        $ua->post("$base/login", { email => $email,
                                   password => ref $pw ? $pw->($_[0]) : $pw });
    });
}

sub decode { JSON::PP->new->utf8->decode($_[0]) }

# What getproduct answers client 2 for its service 2, with a token from a
# plain login: every token below must get exactly this.
my $want = json_of(api('/api/v1/getproduct', { serviceid => 2 },
                       token => login_token('other@example.com',
                                            'other-pass-2')));
is $want->{result}, 'success', 'getproduct of service 2 with a fresh token';

# Each token of @r opens getproduct with exactly $want.
sub tokens_work {
    my ($what, @r) = @_;
    my $ok = 0;
    for my $r (@r) {
        my $t = eval { decode($r->[1])->{0}{token} } or next;
        my $res = api('/api/v1/getproduct', { serviceid => 2 }, token => $t);
        $ok++ if $res->code == 200 && eq_deeply_json(json_of($res), $want);
    }
    is $ok, scalar(@r), "$what: every token opens getproduct";
}

sub eq_deeply_json {
    my ($a, $b) = @_;
    my $j = JSON::PP->new->canonical(1);
    return $j->encode($a) eq $j->encode($b);
}

# --- correct logins together ---------------------------------------------------
my @r = logins(12, '127.0.8.1', 'other@example.com', 'other-pass-2');
is_deeply [map { $_->[0] } @r], [(200) x 12],
    '12 parallel correct logins: 12 x 200';
is scalar(grep { decode($_->[1])->{result} eq 'success' } @r), 12,
    '12 parallel correct logins: 12 successes';
tokens_work('12 parallel correct logins', @r);

# An account with 4 failures has room for one more: the parallel correct
# logins pass one at a time instead of being refused.
add_account(70, 'busy@example.com', $pw2);
for my $i (1 .. 4) {
    my $ua = LWP::UserAgent->new(local_address => "127.0.8.2$i",
                                 keep_alive => 0);
    my $res = $ua->post("$base/login", { email => 'busy@example.com',
                                         password => "guess$i" });
    is_deeply [$res->code, json_of($res)], [401, $fail],
        "4 failures first: guess $i";
}
@r = logins(12, '127.0.8.2', 'busy@example.com', 'other-pass-2');
is_deeply [map { $_->[0] } @r], [(200) x 12],
    'one failure short of the limit: 12 parallel correct logins, 12 x 200';

# --- guesses together --------------------------------------------------------------
add_account(71, 'guessed@example.com', $pw2);
@r = logins(12, '127.0.8.3', 'guessed@example.com', sub { "guess$_[0]" });
is scalar(grep { $_->[0] == 401 && eq_deeply_json(decode($_->[1]), $fail) }
          @r), 5, '12 parallel guesses: exactly 5 x 401 (the limit)';
is scalar(grep { $_->[0] == 429 && eq_deeply_json(decode($_->[1]), $slow) }
          @r), 7, '12 parallel guesses: the other 7 x 429';
@r = logins(1, '127.0.8.4', 'guessed@example.com', 'other-pass-2');
is $r[0][0], 429, 'after them the account is locked, right password or not';

# The same with half the guesses under other spellings of the email.
add_account(72, 'spelled@example.com', $pw2);
my @sp = ('spelled@example.com', 'SPELLED@example.com ', 'spélled@example.com');
@r = parallel(12, sub {
    my $ua = LWP::UserAgent->new(local_address => '127.0.8.5',
                                 keep_alive => 0, timeout => 60);
    $ua->post("$base/login", { email => $sp[$_[0] % 3],
                               password => "guess$_[0]" });
});
is scalar(grep { $_->[0] == 401 } @r), 5,
    '12 parallel guesses under 3 spellings: exactly 5 x 401';
is scalar(grep { $_->[0] == 429 } @r), 7,
    '12 parallel guesses under 3 spellings: 7 x 429';

# --- parallel first logins with a legacy hash ----------------------------------------
# One of them replaces the hash with bcrypt; the others must issue their
# tokens against what the row holds afterwards, not the hash they read.
my $key = '5f2b8c0e9a7d4163b0c1e2d3f4a59687';
my $salt = 'k3d9Q';
for my $f (['plain md5', md5_hex('other-pass-2')],
           ['md5(salt.pw):salt', md5_hex($salt . 'other-pass-2') . ":$salt"],
           ['hmac_sha256:key', hmac_sha256_hex('other-pass-2', $key)
                               . ":$key"]) {
    my ($fmt, $hash) = @$f;
    sql("UPDATE $cred SET password = '$hash' WHERE id = 2");
    is sql1("SELECT password FROM $cred WHERE id = 2"), $hash,
        "$fmt: the legacy hash is in place";
    @r = logins(5, '127.0.8.6', 'other@example.com', 'other-pass-2');
    is_deeply [map { $_->[0] } @r], [(200) x 5],
        "$fmt: 5 parallel first logins, 5 x 200";
    tokens_work("$fmt: 5 parallel first logins", @r);
    my $now = sql1("SELECT password FROM $cred WHERE id = 2");
    like $now, qr/^\$2y\$10\$[.\/A-Za-z0-9]{53}$/, "$fmt: rehashed to bcrypt";
    my $res = api('/login', { email => 'other@example.com',
                              password => 'other-pass-2' });
    is $res->code, 200, "$fmt: the new hash takes the password";
    is sql1("SELECT password FROM $cred WHERE id = 2"), $now,
        "$fmt: and is not replaced again";
    my @t = map { decode($_->[1])->{0}{token} } @r;
    my %seen;
    is scalar(grep { !$seen{$_}++ } @t), 5, "$fmt: five distinct tokens";
}

# The same race made certain: an admin session holds the row while it
# replaces the legacy hash, so the login's rehash waits for it and then
# finds another hash there.  The same password (another login's bcrypt):
# the token carries the new hash and works.  Another password (changed in
# WHMCS meanwhile): no token, the usual 401.
my $md5 = md5_hex('other-pass-2');
my $pw9 = '$2y$10$3zrHfVIKa/EUQZHXpQZCWuy28hrMBJmdYN5GmXNdhmgFn254yLSd2';
for my $c (['the same password', $pw2, 200],
           ['another password', $pw9, 401]) {
    my ($what, $new, $code) = @$c;
    sql("UPDATE $cred SET password = '$md5' WHERE id = 2");
    my $pid = background_sql("BEGIN; UPDATE $cred SET password = '$new' "
                             . "WHERE id = 2; DO SLEEP(1.5); COMMIT;");
    my $res = api('/login', { email => 'other@example.com',
                              password => 'other-pass-2' });
    waitpid $pid, 0;
    is $res->code, $code, "rehash lost to $what: $code";
    is sql1("SELECT password FROM $cred WHERE id = 2"), $new,
        "rehash lost to $what: the row keeps what the admin wrote";
    if ($code == 200) {
        my $t = json_of($res)->{0}{token};
        my $g = api('/api/v1/getproduct', { serviceid => 2 }, token => $t);
        ok $g->code == 200 && eq_deeply_json(json_of($g), $want),
            "rehash lost to $what: the token opens getproduct";
    }
    else {
        is_deeply json_of($res), $fail, "rehash lost to $what: the body";
    }
}
my $log = do { local $/; open my $fh, '<', 't/logs/error_log' or die; <$fh> };
like $log, qr/KD00501: login failed from 127\.0\.0\.1 \(password changed during login\) for "other\@example\.com"\n/,
    'the lost rehash to another password is logged as a failed login';

# --- different accounts together ----------------------------------------------
# Each admission locks its own account's row and adds a hold row; two
# accounts whose holds sit side by side in the table must not lock each
# other out (a locking read of an account's no holds took the gap where
# the neighbour's hold goes: a deadlock, a 503 and KD00302, seen in
# bench/run's logins).  16 accounts, 32 logins, all at once, twice.
add_account($_, "side$_\@example.com", $pw2) for 73 .. 88;
my $before = log_size();
my @side;
for my $round (1, 2) {
    push @side, parallel(32, sub {
        my $ua = LWP::UserAgent->new(local_address => '127.0.8.9',
                                     keep_alive => 0, timeout => 60);
        $ua->post("$base/login", { email => 'side' . (73 + $_[0] % 16)
                                               . '@example.com',
                                   password => 'other-pass-2' });
    });
}
is_deeply [map { $_->[0] } @side], [(200) x 64],
    '16 accounts, 2 x 32 parallel correct logins: 64 x 200';
is sql1('SELECT COUNT(*) FROM mod_kdata_login_holds'), 0,
    'different accounts together: every hold freed';
unlike log_from($before), qr/KD00302|Deadlock/,
    'different accounts together: no statement failed';

# The fixture's bcrypt of other-pass-2 back for the files after this one.
sql("UPDATE $cred SET password = '$pw2' WHERE id = 2");
my $res = api('/login', { email => 'other@example.com',
                          password => 'other-pass-2' });
is $res->code, 200, 'the fixture hash is back';
