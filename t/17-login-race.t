# Logins that run together: correct passwords are never refused because
# other correct logins run at the same time, and parallel guesses never
# get past the account limit.  Each scenario logs
# in from its own loopback address (127.0.8.x), so its buckets are its
# own.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use LWP::UserAgent;
use JSON::PP ();

plan tests => 14, need_module 'kdata', 'dbd';

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
