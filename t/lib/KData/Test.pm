package KData::Test;
# Helpers shared by mod_kdata's Apache::Test files: requests, JSON,
# tokens minted the way a forger would, and direct reads of the test
# database (through t/bin/kd-db, as its admin) to check rows written.
use strict;
use warnings FATAL => 'all';

use Apache::TestRequest ();
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
use JSON::PP ();
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Exporter 'import';
use Time::HiRes ();
use File::Temp ();
use POSIX ();
use HTTP::Request ();

our @EXPORT = qw(api json_of mint mint_parts b64u login_token sql sql1
                 secret schema_flavour kd_db parallel counts setting
                 background_sql open_transactions add_account log_size
                 log_from wait_until);

my $JSON = JSON::PP->new->canonical(1)->allow_nonref(1);
my $TOP = abs_path(dirname(__FILE__) . '/../../..');

sub secret {
    open my $fh, '<', $ENV{KD_SECRET_FILE} or die "secret: $!";
    local $/;
    my $k = <$fh>;
    $k =~ s/\r?\n\z//;
    return $k;
}

sub schema_flavour { $ENV{KD_FLAVOUR} || 'own' }

# api($path, $fields_or_raw, token => ..., ct => ..., method => ...,
#     headers => {...})  ->  HTTP::Response
sub api {
    my ($path, $data, %o) = @_;
    my @h;
    push @h, Authorization => "Bearer $o{token}" if defined $o{token};
    push @h, %{ $o{headers} } if $o{headers};
    my $method = $o{method} || 'POST';
    my $content;
    my $ct = $o{ct};
    if (ref $data eq 'HASH') {
        if (($ct || '') =~ m{json}) {
            $content = $JSON->encode($data);
        }
        else {
            $content = join '&', map {
                _enc($_) . '=' . _enc($data->{$_})
            } sort keys %$data;
            $ct ||= 'application/x-www-form-urlencoded';
        }
    }
    elsif (defined $data) {
        $content = $data;
        $ct ||= 'application/x-www-form-urlencoded';
    }
    push @h, 'Content-Type' => $ct if defined $ct && defined $content;
    if ($method =~ /^(?:GET|POST|PUT|HEAD)$/) {
        push @h, content => $content if defined $content;
        no strict 'refs';
        my $fn = "Apache::TestRequest::$method";
        return $fn->($path, @h);
    }
    my $req = HTTP::Request->new($method, 'http://'
        . Apache::TestRequest::hostport() . $path, [@h], $content);
    return Apache::TestRequest::user_agent()->request($req);
}

sub _enc {
    my $s = shift;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-_.~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

sub json_of {
    my $res = shift;
    my $b = $res->content;
    my $d = eval { JSON::PP->new->utf8->decode($b) };
    die "not JSON (" . $res->code . "): $b\n" unless $d;
    return $d;
}

sub b64u { encode_base64url(shift) }

# A token from raw header/payload text, signed with $key (default: ours).
sub mint_parts {
    my ($header, $payload, $key) = @_;
    $key = secret() unless defined $key;
    my $si = b64u($header) . '.' . b64u($payload);
    return $si . '.' . b64u(hmac_sha256($si, $key));
}

# A well-formed token with our key; claims override the defaults.
sub mint {
    my (%c) = @_;
    my $now = time;
    my %claims = (sub => 1, iss => 'mod_kdata', iat => $now, nbf => $now,
                  exp => $now + 3600, jti => 'test' . int(rand(1e9)), %c);
    delete $claims{$_} for grep { !defined $claims{$_} } keys %claims;
    my $key = delete $claims{_key};
    my $p = JSON::PP->new->canonical(1)->encode(\%claims);
    return mint_parts('{"typ":"JWT","alg":"HS256"}', $p, $key);
}

sub login_token {
    my ($email, $pw, %extra) = @_;
    my $res = api('/login', { email => $email, password => $pw, %extra });
    die "login $email failed: " . $res->code . ' ' . $res->content . "\n"
        unless $res->code == 200;
    return json_of($res)->{0}{token};
}

sub kd_db { "$TOP/t/bin/kd-db" }

# Runs $code->($i) for i = 0..n-1 in n processes that all start at the
# same moment (each with its own connection); returns, in order, what
# each returned as [status, body].
sub parallel {
    my ($n, $code) = @_;
    my $start = Time::HiRes::time() + 0.5;
    my @kids;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    for my $i (0 .. $n - 1) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
            my $wait = $start - Time::HiRes::time();
            Time::HiRes::sleep($wait) if $wait > 0;
            my $res = $code->($i);
            open my $fh, '>', "$dir/$i" or POSIX::_exit(1);
            print $fh $res->code, "\n", $res->content;
            close $fh;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    waitpid $_, 0 for @kids;
    Apache::TestRequest::user_agent(reset => 1);
    my @out;
    for my $i (0 .. $n - 1) {
        open my $fh, '<', "$dir/$i" or die "child $i wrote nothing";
        local $/;
        my ($code, $body) = split /\n/, <$fh>, 2;
        push @out, [$code, $body];
    }
    return @out;
}

# Polls $cond every 0.1 s for up to $secs seconds; true once it held.
sub wait_until {
    my ($secs, $cond) = @_;
    my $end = Time::HiRes::time() + $secs;
    while (Time::HiRes::time() < $end) {
        return 1 if $cond->();
        Time::HiRes::sleep(0.1);
    }
    return 0;
}

# httpd's error log: its size now, and what was written to it between
# two sizes (to the end when $to is not given).
sub log_size { -s 't/logs/error_log' || 0 }
sub log_from {
    my ($from, $to) = @_;
    open my $fh, '<', 't/logs/error_log' or die "error_log: $!";
    seek $fh, $from, 0;
    local $/;
    my $text = <$fh> // '';
    return defined $to ? substr($text, 0, $to - $from) : $text;
}

# Row counts of the tables writes touch, to show that nothing was written.
sub counts {
    my @t = qw(tblorders tblhosting tblhostingconfigoptions tblinvoices
               tblinvoiceitems tblactivitylog tblcredit tblcancelrequests
               tblcustomfieldsvalues);
    my $q = join ' UNION ALL ', map { "SELECT '$_', COUNT(*) FROM $_" } @t;
    my %c = map { $_->[0] => $_->[1] } @{ sql($q) };
    $c{credits} = join ',', map { $_->[0] }
        @{ sql('SELECT credit FROM tblclients ORDER BY id') };
    return \%c;
}

# An admin session running $sql in the background (holding locks or a
# connection) for its duration; returns its pid, half a second after it
# started.
sub background_sql {
    my $sql = shift;
    my $dir = $ENV{KD_DB_DIR} or die "KD_DB_DIR unset";
    my $db = $ENV{KD_DB_NAME};
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open my $fh, '|-', kd_db() . " sql '$dir' '$db' >/dev/null 2>&1"
            or POSIX::_exit(1);
        print $fh $sql;
        close $fh;
        POSIX::_exit(0);
    }
    Time::HiRes::sleep(0.5);
    return $pid;
}

# Transactions open on the module's connections (user kdata).
sub open_transactions {
    sql1("SELECT COUNT(*) FROM information_schema.INNODB_TRX t "
         . "JOIN information_schema.PROCESSLIST p ON p.ID = "
         . "t.trx_mysql_thread_id WHERE p.USER = 'kdata'");
}

# A login of its own for a test (its buckets start empty): client $id
# (a copy of client 2, without services) with $email and password hash
# $hash, and on WHMCS 8 user $id owning it.
sub add_account {
    my ($id, $email, $hash) = @_;
    s/'/''/g for $email, $hash;
    my $q = "CREATE TEMPORARY TABLE kd_c AS SELECT * FROM tblclients "
        . "WHERE id = 2; UPDATE kd_c SET id = $id, email = '$email', "
        . "uuid = UUID(), password = '$hash'; INSERT INTO tblclients "
        . "SELECT * FROM kd_c; DROP TEMPORARY TABLE kd_c";
    $q .= "; CREATE TEMPORARY TABLE kd_u AS SELECT * FROM tblusers "
        . "WHERE id = 2; UPDATE kd_u SET id = $id, email = '$email', "
        . "password = '$hash'; INSERT INTO tblusers SELECT * FROM kd_u; "
        . "DROP TEMPORARY TABLE kd_u; INSERT INTO tblusers_clients (id, "
        . "auth_user_id, client_id, invite_id, owner, permissions, "
        . "created_at, updated_at) VALUES ($id, $id, $id, 0, 1, NULL, "
        . "NOW(), NOW())"
        if schema_flavour() ne 'whmcs7';
    sql($q);
}

# Sets a tblconfiguration value (WHMCS's settings live in the database).
sub setting {
    my ($name, $value) = @_;
    $value =~ s/'/''/g;
    sql("UPDATE tblconfiguration SET value = '$value' WHERE setting = '$name'");
}

# Rows of a query against the test database, as arrays of strings
# (undef for NULL).
sub sql {
    my $q = shift;
    my $dir = $ENV{KD_DB_DIR} or die "KD_DB_DIR unset";
    my $db = $ENV{KD_DB_NAME};
    my $tmp = "/tmp/kd-sql-$$.txt";
    open my $fh, '|-', kd_db() . " sql '$dir' '$db' -N -B > '$tmp'"
        or die "kd-db: $!";
    print $fh $q, ";\n";
    close $fh or die "query failed: $q\n";
    open my $in, '<:encoding(UTF-8)', $tmp or die "$tmp: $!";
    my @rows;
    while (my $l = <$in>) {
        chomp $l;
        push @rows, [ map { $_ eq 'NULL' ? undef : _unesc($_) }
                      split /\t/, $l, -1 ];
    }
    close $in;
    unlink $tmp;
    return \@rows;
}

sub _unesc {
    my $s = shift;
    $s =~ s/\\(.)/$1 eq 'n' ? "\n" : $1 eq 't' ? "\t" : $1 eq '0' ? "\0" : $1/ge;
    return $s;
}

# The first column of the first row.
sub sql1 {
    my $r = sql(shift);
    return @$r ? $r->[0][0] : undef;
}

1;
