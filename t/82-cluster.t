# Two Apache hosts, one WHMCS: two independent httpd instances of the
# built module (KData::Cluster: their own ServerRoot, mutexes, ports and
# processes, nothing shared with Apache::Test's server) on the suite's
# MariaDB, with one key file and one shared cache server started here:
# memcached (KdataCache memcache:), then, in flavour own,
# redis-server (KdataCache redis:; Debian's apache2-bin ships
# mod_socache_redis).  Requests go to host A and host B one after
# another and at the same moment, as a load balancer spreads them.
#
# An Apache::Test file rather than a script of its own: t/run-tests
# already starts the MariaDB and loads each flavour's database, and the
# suite's helpers (KData::Test: sql, mint) and TAP report come with it;
# the cluster itself shares nothing with Apache::Test's server.
#
# Written to the behaviour a cluster needs.  Revocations, Idempotency-
# Keys, the order limit and the per-account login limit live in the
# WHMCS database (conf/mod_kdata.sql) and hold here on every count, with
# the cache shared, or stopped.
# The figures of each run are printed as diagnostics.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use KData::Cluster;
use JSON::PP ();
use Time::HiRes qw(time);

# memcached in every database flavour (the requests run WHMCS 7's and 8's
# statements); redis-server in flavour own only: the provider changes how
# the state is shared, not which statements run.  KD_CLUSTER_CACHES
# ("memcache redis") chooses.
my @kinds = split ' ', $ENV{KD_CLUSTER_CACHES}
    // (schema_flavour() eq 'own' ? 'memcache redis' : 'memcache');
my $per_kind = 8;
plan tests => $per_kind * @kinds, need_module 'kdata', 'dbd';

my $JSON = JSON::PP->new->canonical(1);
my $invalid = { result => 'error', error => 'token invalid' };
my $nouser = { result => 'error', messages => 'User not exists' };
my $slow = { result => 'error',
             message => 'Too many failed logins, try again later' };
my $too_many = { result => 'error',
                 message => 'Too many orders, try again later' };
my $running = { result => 'error', message => 'A request with this '
                . 'Idempotency-Key is still in progress' };
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };
my %order = (product => 'VPS 01', billingcycle => 'monthly');

setting(NoAutoApplyCredit => 'on');

sub body { my $d = eval { $JSON->decode($_[0]->content) }; $d }

# "200 x3, 409 x17": what a set of answers was.
sub tally {
    my %n;
    $n{ $_->code }++ for @_;
    return join ', ', map { "$_ x$n{$_}" } sort keys %n;
}

sub is_answer {
    my ($res, $code, $body) = @_;
    return $res->code == $code && $JSON->encode(body($res) // {})
           eq $JSON->encode($body);
}

# The 503 of an unreachable backend: its JSON and a Retry-After.
sub is_unavailable {
    my $res = shift;
    return is_answer($res, 503, $down)
           && ($res->header('Retry-After') // '') =~ /^[1-9]\d*\z/;
}

sub is_throttled {
    my ($res, $body) = @_;
    return is_answer($res, 429, $body)
           && ($res->header('Retry-After') // '') =~ /^[1-9]\d*\z/;
}

sub login_on {
    my ($host, $email, $pw) = @_;
    my $res = $host->post('/login', { email => $email, password => $pw });
    die "login $email on " . $host->name . ': ' . $res->code . ' '
        . $res->content . "\n" unless $res->code == 200;
    return body($res)->{0}{token};
}

sub read_on {
    my ($host, $tok) = @_;
    return $host->post('/api/v1/getproduct', { serviceid => 2 }, $tok);
}

sub max_id { sql1("SELECT COALESCE(MAX(id), 0) FROM $_[0]") }

# A row of its own for each limit scenario, a copy of an existing one
# under a new id and email, so that no failed logins or orders carry
# over from another scenario, another test file or the other cache kind,
# wherever the counters are kept: account() a login account (a copy of
# account 3, password legacy-pass-3; tblusers in WHMCS 8, tblclients in
# 7), client() a client (a copy of client 2) to order for with a token of
# ours.  The flavour's database goes when t/run-tests ends.
sub clone {
    my ($t, $from, $email) = @_;
    my $id = max_id($t) + 1;
    sql("CREATE TEMPORARY TABLE kd_clone AS SELECT * FROM $t "
        . "WHERE id = $from; UPDATE kd_clone SET id = $id, "
        . "email = '$email'; INSERT INTO $t SELECT * FROM kd_clone");
    return $id;
}

sub account {
    my $email = "cluster-$_[0]-$$\@example.com";
    clone(schema_flavour() eq 'whmcs7' ? 'tblclients' : 'tblusers', 3,
          $email);
    return $email;
}

sub client { clone('tblclients', 2, "cluster-$_[0]-$$\@example.com") }

# A subtest, and how long it took.
sub timed {
    my ($name, $code) = @_;
    my $t0 = time;
    subtest $name => $code;
    diag sprintf '%s: %.1f s', $name, time - $t0;
}

for my $kind (@kinds) {
  SKIP: {
    my $why = KData::Cluster->available($kind);
    skip "$kind: $why", $per_kind if $why;
    cluster($kind);
  }
}

sub cluster {
    my $kind = shift;
    my $t0 = time;
    my $c = KData::Cluster->new(cache => $kind, hosts => 2, conf => <<'EOC');
# Every request comes from 127.0.0.1: the per-address limit is out of
# the way, the per-account one is the one under test.
KdataLoginLimitIP 10000 600
KdataLoginLimitAccount 5 900
KdataOrderLimit 1000 60
<Location "/">
    SetHandler kdata
</Location>
<Location "/limited">
    SetHandler kdata
    KdataOrderLimit 3 60
</Location>
EOC
    my ($A, $B) = $c->hosts;
    # for the OpenAPI conformance check (t/lib/KData/Record.pm)
    if (defined &KData::Record::mounts) {
        KData::Record::mounts($_->port, '/', '/limited') for $A, $B;
    }
    diag sprintf "%s: hosts A (:%d) and B (:%d) up in %.1f s", $kind,
        $A->port, $B->port, time - $t0;

    # --- a token logged out on A is refused on B at once -----------------------
    timed "$kind: logout on A, refused on B" => sub {
        plan tests => 6;
        my $tok = login_on($A, 'other@example.com', 'other-pass-2');
        is read_on($B, $tok)->code, 200,
            'a token A issued reads on B (one key file)';
        my $res = $A->post('/logout', undef, $tok);
        ok is_answer($res, 200, { result => 'success',
                                  message => 'Successfully logged out' }),
            'logout on A: 200';
        $res = read_on($B, $tok);
        ok is_answer($res, 401, $invalid), 'B, right after: 401 token invalid';
        like $res->header('WWW-Authenticate') // '',
            qr/error="invalid_token"/, '... with WWW-Authenticate';
        ok is_answer(read_on($A, $tok), 401, $invalid), 'A: 401 as well';
        ok is_answer($B->post('/logout', undef, $tok), 401, $invalid),
            'logging it out again on B: 401';
    };

    # --- /refresh raced on A and B: one new token ----------------------------------
    timed "$kind: /refresh raced on A and B" => sub {
        my $rounds = 8;
        plan tests => 5;
        my (@won, @ok_other, @losers, @old_back);
        for my $round (1 .. $rounds) {
            my $tok = login_on($round % 2 ? $A : $B, 'other@example.com',
                               'other-pass-2');
            my @r = $c->race(map { [$_, '/refresh', undef, $tok] }
                             $A, $B, $A, $B);
            my @w = grep { $r[$_]->code == 200 } 0 .. $#r;
            push @won, scalar @w;
            push @losers, grep { !is_answer($_, 401, $invalid) }
                          @r[grep { $r[$_]->code != 200 } 0 .. $#r];
            # each new token works on the other host than its issuer
            for my $i (@w) {
                my $new = body($r[$i])->{0}{token};
                push @ok_other, read_on($i % 2 ? $A : $B, $new)->code;
            }
            push @old_back, read_on($A, $tok)->code, read_on($B, $tok)->code;
        }
        diag "$kind: $rounds rounds of 4 refreshes of one token (A, B, A, "
            . "B at once): new tokens per round " . join(' ', @won);
        is scalar(grep { $_ < 1 } @won), 0, 'every round: a refresh won';
        is scalar(@losers), 0, 'every other answer: 401 token invalid'
            or diag join "\n", map { $_->code . ' ' . $_->content } @losers;
        is scalar(grep { $_ != 200 } @ok_other), 0,
            'every new token reads on the other host';
        is scalar(grep { $_ != 401 } @old_back), 0,
            'the old token: refused on A and on B';
        is_deeply \@won, [(1) x $rounds],
            'every round: exactly one new token';
    };

    # --- login throttling counts attempts on both hosts together ---------------------
    timed "$kind: login limit, guesses alternating A and B" => sub {
        plan tests => 5;
        my $email = account("$kind-seq");
        my @r = map {
            ($_ % 2 ? $B : $A)->post('/login', { email => $email,
                                                 password => "guess$_" })
        } 0 .. 11;
        diag "$kind: 12 wrong guesses one after another, A B A B ...: "
            . tally(@r);
        is scalar(grep { is_answer($_, 401, $nouser) } @r[0 .. 4]), 5,
            'guesses 1-5 (3 on A, 2 on B): 401 User not exists';
        is scalar(grep { is_throttled($_, $slow) } @r[5 .. 11]), 7,
            'guesses 6-12: 429 Too many failed logins, with Retry-After';
        my $ra = $r[5]->header('Retry-After') // 0;
        ok $ra >= 170 && $ra <= 180, "Retry-After about 900 s / 5 ($ra)";
        # (the copy keeps account 3's password)
        ok is_throttled($A->post('/login', { email => $email,
                                             password => 'legacy-pass-3' }),
                        $slow), 'the right password on A: 429 as well';
        ok is_throttled($B->post('/login', { email => $email,
                                             password => 'legacy-pass-3' }),
                        $slow), '... and on B';
    };

    timed "$kind: login limit, 12 guesses at once on A and B" => sub {
        plan tests => 3;
        my $email = account("$kind-par");
        my @r = $c->race(map {
            [$_ % 2 ? $B : $A, '/login', { email => $email,
                                           password => "guess$_" }]
        } 0 .. 11);
        diag "$kind: 12 wrong guesses at once, 6 on A and 6 on B: "
            . tally(@r);
        is scalar(grep { !is_answer($_, 401, $nouser)
                         && !is_throttled($_, $slow) } @r), 0,
            'every answer: 401 User not exists or 429 with Retry-After';
        is scalar(grep { $_->code == 401 } @r), 5,
            'exactly KdataLoginLimitAccount (5) guesses checked';
        is scalar(grep { $_->code == 429 } @r), 7, '7 throttled';
    };

    # --- 20 addorders with one Idempotency-Key over A and B ---------------------------
    timed "$kind: one Idempotency-Key, 20 addorders on A and B" => sub {
        plan tests => 7;
        my $tok = login_on($A, 'other@example.com', 'other-pass-2');
        my $key = "cluster-$kind-" . int(rand(1e9));
        my ($o0, $h0) = (max_id('tblorders'), max_id('tblhosting'));
        my @r = $c->race(map {
            [$_ % 2 ? $B : $A, '/api/v1/addorder', \%order, $tok,
             { 'Idempotency-Key' => $key }]
        } 0 .. 19);
        my @ok = grep { $_->code == 200 } @r;
        my $orders = sql1("SELECT COUNT(*) FROM tblorders WHERE id > $o0");
        my $services = sql1("SELECT COUNT(*) FROM tblhosting "
                            . "WHERE id > $h0");
        my %bodies = map { $_->content => 1 } @ok;
        diag "$kind: 20 addorders with one key at once, 10 on A and 10 on "
            . "B: " . tally(@r) . "; $orders tblorders and $services "
            . 'tblhosting rows; ' . keys(%bodies) . ' distinct 200 bodies';
        is scalar(grep { $_->code != 200 && !is_answer($_, 409, $running) }
                  @r), 0, 'every answer: 200 or 409 "still in progress"';
        ok @ok >= 1, 'one at least ran';
        my %ids = map { (body($_)->{orderid} // 0) => 1 } @ok;
        is sql1('SELECT COUNT(*) FROM tblorders WHERE userid = 2 AND id IN ('
                . join(',', map { int } keys %ids) . ')'), keys(%ids),
            'every 200 names an order of this client';
        is $orders, 1, 'exactly one tblorders row';
        is $services, 1, 'exactly one tblhosting row';
        is keys(%bodies), 1, 'every 200: the same order, byte for byte';
        my @again = map {
            $_->post('/api/v1/addorder', \%order, $tok,
                     { 'Idempotency-Key' => $key })
        } $A, $B;
        is scalar(grep {
            $_->code == 200 && ($_->header('Idempotent-Replayed') // '')
            eq 'true' && $bodies{ $_->content }
        } @again), 2, 'a retry on A and on B: that answer, replayed';
    };

    # --- the order limit per client holds across hosts ------------------------------
    timed "$kind: KdataOrderLimit 3 60, orders alternating A and B" => sub {
        plan tests => 3;
        my $client = client("$kind-orders-seq");
        my $tok = mint(sub => $client);
        my $o0 = max_id('tblorders');
        my @r = map {
            ($_ % 2 ? $B : $A)->post('/limited/api/v1/addorder', \%order,
                                     $tok)
        } 0 .. 9;
        diag "$kind: 10 orders one after another, A B A B ...: " . tally(@r);
        is_deeply [map { $_->code } @r[0 .. 2]], [200, 200, 200],
            'orders 1-3 (2 on A, 1 on B): 200';
        is scalar(grep { is_throttled($_, $too_many) } @r[3 .. 9]), 7,
            'orders 4-10: 429 Too many orders, with Retry-After';
        is sql1("SELECT COUNT(*) FROM tblorders WHERE id > $o0 "
                . "AND userid = $client"), 3, 'three orders written';
    };

    timed "$kind: KdataOrderLimit 3 60, 10 orders at once on A and B" => sub {
        plan tests => 3;
        my $client = client("$kind-orders-par");
        my $tok = mint(sub => $client);
        my $o0 = max_id('tblorders');
        my @r = $c->race(map {
            [$_ % 2 ? $B : $A, '/limited/api/v1/addorder', \%order, $tok]
        } 0 .. 9);
        my $rows = sql1("SELECT COUNT(*) FROM tblorders WHERE id > $o0 "
                        . "AND userid = $client");
        diag "$kind: 10 orders at once, 5 on A and 5 on B: " . tally(@r)
            . "; $rows orders written";
        is scalar(grep { $_->code != 200 && !is_throttled($_, $too_many) }
                  @r), 0, 'every answer: 200 or 429 with Retry-After';
        is $rows, scalar(grep { $_->code == 200 } @r),
            'one order written per 200, none for a 429';
        is $rows, 3, 'exactly 3 orders';
    };

    # --- the cache stopped, then started again (empty) --------------------------------
    timed "$kind: the cache stopped, then started again" => sub {
        plan tests => 17;
        cache_outage($c, $kind, $A, $B);
    };

    $c->stop;
    diag sprintf "%s: all done in %.1f s", $kind, time - $t0;
}

sub cache_outage {
    my ($c, $kind, $A, $B) = @_;
    my @pids = map { $_->pid } $A, $B;
    my $revoked = login_on($A, 'other@example.com', 'other-pass-2');
    my $live = login_on($B, 'other@example.com', 'other-pass-2');
    my @out = map { login_on($_ % 2 ? $B : $A, 'other@example.com',
                             'other-pass-2') } 0 .. 3;
    my @ref = map { login_on($_ % 2 ? $B : $A, 'other@example.com',
                             'other-pass-2') } 0 .. 3;
    my $tok2 = login_on($A, 'other@example.com', 'other-pass-2');
    my $tok_limited = mint(sub => client("$kind-orders-down"));
    $A->post('/logout', undef, $revoked)->code == 200 or die 'logout';
    is_deeply [map { read_on($_, $revoked)->code } $A, $B], [401, 401],
        'before: a logged-out token refused on A and B';

    $c->stop_cache;
    my $n = 6;                  # per host: both processes of each see it
    my %seen;
    # Each operation $n times on each host, one after another.
    my $each = sub {
        my ($what, $req) = @_;
        my @r = map { my $h = $_; map { $req->($h, $_) } 1 .. $n } $A, $B;
        $seen{$what} = tally(@r);
        diag "$kind down: $what (${n} on A, then $n on B): $seen{$what}";
        return @r;
    };
    my $none_ok = sub { scalar grep { $_->code == 200 } @_ };
    my $bad = sub { my $ok = shift; scalar grep { !$ok->($_) } @_ };

    # Reads with a logged-out token: never accepted.
    my @r = $each->('getproduct, logged-out token',
                    sub { read_on($_[0], $revoked) });
    {
        is $none_ok->(@r), 0, 'down: a logged-out token is never accepted';
    }
    {
        is $bad->(sub { is_answer($_[0], 401, $invalid)
                        || is_unavailable($_[0]) }, @r), 0,
            'down: ... it gets 401 token invalid, or 503 + Retry-After';
    }
    # Reads with a valid token.
    @r = $each->('getproduct, valid token', sub { read_on($_[0], $live) });
    {
        is $bad->(sub { $_[0]->code == 200 || is_unavailable($_[0]) }, @r),
            0, 'down: a valid token reads (200) or gets 503 + Retry-After';
    }
    # Logins: the right password, and wrong ones over the account limit.
    @r = $each->('login, right password', sub {
        $_[0]->post('/login', { email => 'manager@example.com',
                                password => 'manager-pass-7' });
    });
    is $bad->(sub { $_[0]->code == 200 || is_unavailable($_[0]) }, @r), 0,
        'down: a right password logs in (200) or gets 503 + Retry-After';
    my $email = account("$kind-down");
    @r = $each->('login, wrong passwords for one account', sub {
        $_[0]->post('/login', { email => $email, password => "down$_[1]" });
    });
    {
        is $bad->(sub { is_answer($_[0], 401, $nouser)
                        || is_throttled($_[0], $slow)
                        || is_unavailable($_[0]) }, @r), 0,
            'down: a wrong password: 401, 429 or 503 + Retry-After';
        ok scalar(grep { $_->code == 401 } @r) <= 5,
            'down: at most KdataLoginLimitAccount (5) guesses checked';
    }
    # Writes of the token state: logout, refresh.
    my @lo = map { my $t = $out[$_];
                   ($_ % 2 ? $B : $A)->post('/logout', undef, $t) } 0 .. 3;
    my @rf = map { my $t = $ref[$_];
                   ($_ % 2 ? $B : $A)->post('/refresh', undef, $t) } 0 .. 3;
    $seen{logout} = tally(@lo);
    $seen{refresh} = tally(@rf);
    diag "$kind down: logout (4 tokens, A B A B): $seen{logout}; "
        . "refresh: $seen{refresh}";
    {
        is $bad->(sub { $_[0]->code == 200 || is_unavailable($_[0]) },
                  @lo, @rf), 0,
            'down: logout and refresh: 200 or 503 + Retry-After';
    }
    # Orders, without and with an Idempotency-Key.
    my $o0 = max_id('tblorders');
    my @plain = $each->('addorder', sub {
        $_[0]->post('/api/v1/addorder', \%order, $tok2);
    });
    my $o1 = max_id('tblorders');
    my @keyed = $each->('addorder with a key', sub {
        $_[0]->post('/api/v1/addorder', \%order, $tok2,
                    { 'Idempotency-Key' => "down-$kind" });
    });
    my ($rows, $keyed_rows) = map {
        sql1("SELECT COUNT(*) FROM tblorders WHERE id > $_->[0] "
             . "AND id <= $_->[1]")
    } [$o0, $o1], [$o1, max_id('tblorders')];
    diag "$kind down: orders written: $rows without a key, $keyed_rows "
        . 'with one';
    is $rows, $none_ok->(@plain),
        'down: an order written for each 200 and none for anything else';
    is $keyed_rows, $none_ok->(@keyed) ? 1 : 0,
        'down: one key, one order if any 200 (the others replays), else none';
    {
        is $bad->(sub { $_[0]->code == 200 || is_unavailable($_[0]) },
                  @plain, @keyed), 0,
            'down: addorder: 200 or 503 + Retry-After';
    }
    my @limited = $each->('addorder under KdataOrderLimit 3 60', sub {
        $_[0]->post('/limited/api/v1/addorder', \%order, $tok_limited);
    });
    {
        ok $none_ok->(@limited) <= 3, 'down: the order limit holds (3 of '
            . scalar(@limited) . ' at most)';
    }

    # --- started again, empty: the hosts recover by themselves --------------
    # A valid token reads while the cache is away too (see above), so
    # recovery is a logout that is stored and then seen: a token logged
    # out on one host, refused six times on each (both processes).
    $c->start_cache;
    my $t0 = time;
    my %back;
    while (time - $t0 < 30 && keys %back < 2) {
        for my $h ($A, $B) {
            next if $back{ $h->name };
            my $tok = mint(sub => 2);
            next unless $h->post('/logout', undef, $tok)->code == 200;
            $back{ $h->name } = time - $t0
                unless grep { read_on($_, $tok)->code != 401 }
                       ($A, $B) x 6;
        }
        Time::HiRes::sleep(0.25) if keys %back < 2;
    }
    diag sprintf "%s up again: a logout on A holds everywhere after %s s, "
        . "on B after %s s", $kind,
        map { defined $_ ? sprintf('%.1f', $_) : 'never' } @back{qw(A B)};
    is keys(%back), 2, 'up again: a logout on A, and one on B, refused '
        . 'by both hosts, without restarting Apache (within 30 s)';
    ok kill(0, @pids) == 2, '... the httpd parents started before it';
    is_deeply [map { scalar(() = $_->error_log
                            =~ /resuming normal operations/g) } $A, $B],
        [1, 1], '... each started once, never restarted';
    my $fresh = login_on($B, 'other@example.com', 'other-pass-2');
    is read_on($A, $fresh)->code, 200,
        'up again: a new login on B reads on A';
    @r = map { read_on($_, $revoked) } $A, $B, $A, $B;
    diag "$kind up again: the token logged out before the outage, A B A B: "
        . tally(@r);
    my %lines;
    $lines{$_}++ for $c->error_logs =~ /\b(KD\d{5}|AH\d{5})\b/g;
    diag "$kind: log lines by tag: " . join ', ',
        map { "$_ x$lines{$_}" } sort keys %lines;
    is scalar(grep { is_answer($_, 401, $invalid) } @r), 4,
        'up again: the token logged out before the outage is still refused';
}
