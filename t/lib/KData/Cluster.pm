package KData::Cluster;
# A cluster on one machine: N independent httpd instances of the built
# module (each its own ServerRoot, runtime dir, mutexes, ports, logs;
# nothing from Apache::Test's server) behind no balancer, all on the
# suite's private MariaDB (KD_DB_PORT, KD_DB_NAME) with the one key file
# (KD_SECRET_FILE), sharing one cache server that this module starts
# privately on a free loopback port: memcached (KdataCache memcache:) or
# redis-server (KdataCache redis:).  The cache can be stopped and started
# again on the same port while the hosts run.
#
# Everything started here runs in a process group of its own and is
# stopped by stop() (also from DESTROY, END and on INT/TERM), so a failed
# or interrupted test leaves nothing behind.
use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use File::Temp qw(tempdir);
use IO::Socket::INET;
use HTTP::Request::Common ();
use HTTP::Response;
use LWP::UserAgent;
use POSIX ();
use Time::HiRes ();

my %LIVE;                       # every cluster not stopped yet, by address
my $OWNER = $$;                 # forked request children never clean up

END { $_->stop for values %LIVE }
for my $sig (qw(INT TERM)) {
    $SIG{$sig} = sub { $_->stop for values %LIVE; POSIX::_exit(1) };
}

# A port nothing listens on, from 20000-32767 like t/run-tests' choice
# but below Linux's ephemeral range (32768-60999): while the cache is
# stopped no outgoing connection (httpd to MariaDB, say) can take its
# port, nor can a reconnect to it meet itself.
sub free_port {
    for (1 .. 100) {
        my $p = 20000 + int(rand(12768));
        next if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p");
        my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$p",
                                      Listen => 1, ReuseAddr => 1)
            or next;
        close $s;
        return $p;
    }
    die "KData::Cluster: no free port\n";
}

# Which cache kinds this machine can run: httpd's socache module and the
# server program both present.
sub available {
    my ($class, $kind) = @_;
    my $bin = { memcache => 'memcached', redis => 'redis-server' }->{$kind};
    return "no socache_${kind} module in " . _libexec()
        unless -f _libexec() . "/mod_socache_$kind.so";
    for my $d (split /:/, "$ENV{PATH}:/usr/sbin:/usr/bin") {
        return '' if -x "$d/$bin";
    }
    return "no $bin program";
}

sub _libexec {
    Apache::Test::config()->apxs('LIBEXECDIR') || '/usr/lib/apache2/modules';
}

sub _which {
    my $bin = shift;
    for my $d (split /:/, "$ENV{PATH}:/usr/sbin:/usr/bin") {
        return "$d/$bin" if -x "$d/$bin";
    }
    die "KData::Cluster: no $bin\n";
}

# KData::Cluster->new(cache => 'memcache' | 'redis', hosts => 2,
#                     conf => "extra httpd.conf lines for every host")
sub new {
    my ($class, %o) = @_;
    my $self = bless {
        kind => $o{cache} || 'memcache',
        # KD_CLUSTER_KEEP=1 keeps the hosts' folders (configs, logs).
        dir => tempdir('kd-cluster.XXXXXX', TMPDIR => 1,
                       CLEANUP => !$ENV{KD_CLUSTER_KEEP}),
        conf => $o{conf} || '',
        hosts => [],
    }, $class;
    $LIVE{"$self"} = $self;
    $self->{cache_port} = free_port();
    $self->start_cache;
    $self->_start_host($_) for 0 .. ($o{hosts} || 2) - 1;
    return $self;
}

sub hosts { @{ $_[0]{hosts} } }

# Starts $argv in a process group of its own, output to $log.
sub _spawn {
    my ($log, @argv) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec @argv; }
        POSIX::_exit(127);
    }
    return $pid;
}

# Waits (at most 30 s, for a loaded CI machine) until 127.0.0.1:$port
# accepts, or the process died.
sub _wait_listening {
    my ($pid, $port, $what, $log) = @_;
    for (1 .. 600) {
        return if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            die "$what exited at start: " . _slurp($log);
        }
        Time::HiRes::sleep(0.05);
    }
    die "$what is not listening on $port after 30 s: " . _slurp($log);
}

sub _slurp {
    my $f = shift;
    open my $fh, '<', $f or return '';
    local $/;
    return <$fh>;
}

# Stops a process group: TERM, then KILL if it lingers; reaps the leader.
sub _stop_group {
    my $pid = shift;
    return unless $pid;
    kill 'TERM', -$pid;
    for (1 .. 100) {
        last if waitpid($pid, POSIX::WNOHANG()) == $pid;
        Time::HiRes::sleep(0.05);
    }
    kill 'KILL', -$pid;
    waitpid $pid, 0;
    # httpd's children may outlive their parent by a moment.
    for (1 .. 100) {
        last unless kill 0, -$pid;
        Time::HiRes::sleep(0.05);
    }
}

# Starts the cache server, empty, on its port (the same one every time).
sub start_cache {
    my $self = shift;
    my $port = $self->{cache_port};
    my $log = "$self->{dir}/$self->{kind}.log";
    my @argv = $self->{kind} eq 'redis'
        ? (_which('redis-server'), '--bind', '127.0.0.1', '--port', $port,
           '--save', '', '--appendonly', 'no', '--dir', $self->{dir},
           '--daemonize', 'no', '--loglevel', 'warning',
           '--databases', '1')
        : (_which('memcached'), '-l', '127.0.0.1', '-p', $port, '-U', '0',
           '-m', '16', '-t', '2', '-c', '256');
    $self->{cache_pid} = _spawn($log, @argv);
    _wait_listening($self->{cache_pid}, $port, $self->{kind}, $log);
}

# Stops it (everything it held is gone), and waits until the port
# refuses connections.
sub stop_cache {
    my $self = shift;
    _stop_group(delete $self->{cache_pid});
    for (1 .. 100) {
        last unless IO::Socket::INET->new(
            PeerAddr => "127.0.0.1:$self->{cache_port}");
        Time::HiRes::sleep(0.05);
    }
}

sub _start_host {
    my ($self, $i) = @_;
    my $dir = "$self->{dir}/host$i";
    mkdir $dir or die "$dir: $!";
    mkdir "$dir/logs";
    my $port = free_port();
    my $lib = _libexec();
    my $so = "$ENV{KD_TOP}/.libs/mod_kdata.so";
    my $cache = "$self->{kind}:127.0.0.1:$self->{cache_port}";
    my $conf = "$dir/httpd.conf";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh <<"EOC";
# Host $i of a KData::Cluster: everything of its own but the database,
# the key file and the cache server.
ServerRoot "$dir"
DefaultRuntimeDir "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/logs/error_log"
LogLevel notice kdata:info
Mutex file:$dir default
LoadModule mpm_event_module $lib/mod_mpm_event.so
LoadModule authz_core_module $lib/mod_authz_core.so
LoadModule dbd_module $lib/mod_dbd.so
LoadModule socache_$self->{kind}_module $lib/mod_socache_$self->{kind}.so
LoadModule kdata_module $so

StartServers 2
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32

DBDriver mysql
DBDParams "host=127.0.0.1,port=$ENV{KD_DB_PORT},dbname=$ENV{KD_DB_NAME},user=kdata,pass=kdata-test,reconnect=0"
DBDInitSQL "SET NAMES utf8mb4"
DBDInitSQL "SET SESSION innodb_lock_wait_timeout = 3, max_statement_time = 20"
DBDMin 0
DBDKeep 2
DBDMax 8
DBDExptime 60

KdataTokenSecretFile "$ENV{KD_SECRET_FILE}"
KdataTokenTTL 3600
KdataCache $cache
$self->{conf}
EOC
    close $fh;
    my $log = "$dir/logs/stdout";
    my $pid = _spawn($log, Apache::Test::config()->{vars}{httpd},
                     '-f', $conf, '-DFOREGROUND');
    # Known before it listens: stop() ends it whatever happens next.
    push @{ $self->{hosts} }, KData::Cluster::Host->new(
        name => chr(ord('A') + $i), pid => $pid, port => $port, dir => $dir);
    _wait_listening($pid, $port, "host $i", "$dir/logs/error_log");
}

# Runs the requests at the same moment, each in a process of its own
# with its own connection; returns their HTTP::Responses in order.  A
# job is [$host, $path, \%fields, $token, \%headers].  Each process
# connects first (httpd accepts and waits for the request), then all
# are released at once through a pipe and write their whole request in
# one go: what arrives at the two hosts is as simultaneous as this
# machine can make it.
sub race {
    my ($self, @jobs) = @_;
    my $dir = tempdir(DIR => $self->{dir}, CLEANUP => 1);
    pipe my $go_r, my $go_w or die "pipe: $!";
    pipe my $ready_r, my $ready_w or die "pipe: $!";
    my @kids;
    for my $i (0 .. $#jobs) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $go_w;
            close $ready_r;
            my ($host, @args) = @{ $jobs[$i] };
            my $req = $host->request(@args);
            $req->protocol('HTTP/1.0');
            $req->header(Host => "127.0.0.1:" . $host->port);
            $req->header('Content-Length' => length $req->content);
            my $text = $req->method . ' ' . $req->uri->path_query
                . " HTTP/1.0\r\n" . $req->headers->as_string("\r\n")
                . "\r\n" . $req->content;
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                          . $host->port, Timeout => 10);
            syswrite $ready_w, '.';
            close $ready_w;
            sysread $go_r, my $x, 1;        # EOF: the parent said go
            my ($out, $t0) = ('', Time::HiRes::time());
            if ($s) {
                $s->autoflush(1);
                print $s $text;
                local $/;
                $out = <$s> // '';
            }
            open my $fh, '>', "$dir/$i" or POSIX::_exit(1);
            printf $fh "%.3f\n", Time::HiRes::time() - $t0;
            print $fh $out;
            close $fh;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    close $go_r;
    close $ready_w;
    my $ready = 0;
    while ($ready < @jobs) {
        my $n = sysread $ready_r, my $buf, 64;
        last unless $n;
        $ready += $n;
    }
    close $go_w;                            # go
    waitpid $_, 0 for @kids;
    return map {
        my ($took, $t) = split /\n/, _slurp("$dir/$_"), 2;
        my $res = ($t // '') eq '' ? HTTP::Response->new(599, 'no answer')
                                   : _parse($t);
        $res->header('Client-Elapsed' => $took // '');
        # the OpenAPI conformance check sees these answers too
        KData::Record::raw($res, 'POST', $jobs[$_][0]->port, $jobs[$_][1])
            if $res->code != 599 && defined &KData::Record::raw;
        $res;
    } 0 .. $#jobs;
}

# An HTTP/1.0 answer as read from the socket.
sub _parse {
    my $t = shift;
    my ($head, $body) = split /\r?\n\r?\n/, $t, 2;
    my ($status, @lines) = split /\r?\n/, $head;
    my (undef, $code, $msg) = split / /, $status, 3;
    my $res = HTTP::Response->new($code, $msg);
    for (@lines) {
        my ($k, $v) = split /:\s*/, $_, 2;
        $res->push_header($k, $v);
    }
    $res->content($body // '');
    return $res;
}

# The error logs of every host, concatenated (for the log lines a test
# wants to see, and for diagnostics).
sub error_logs {
    my $self = shift;
    return join '', map {
        _slurp("$_->{dir}/logs/error_log")
    } @{ $self->{hosts} };
}

sub stop {
    my $self = shift;
    local $?;                   # from END: keep the test's exit status
    return unless $$ == $OWNER;
    _stop_group($_->{pid}) for @{ $self->{hosts} };
    $_->{pid} = 0 for @{ $self->{hosts} };
    _stop_group(delete $self->{cache_pid});
    delete $LIVE{"$self"};
}

sub DESTROY { $_[0]->stop }

package KData::Cluster::Host;
# One httpd of the cluster: where it listens and how to talk to it.

sub new {
    my ($class, %o) = @_;
    $o{ua} = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
    return bless \%o, $class;
}

sub name { $_[0]{name} }
sub port { $_[0]{port} }
sub pid { $_[0]{pid} }

# The request for $path with form fields, a bearer token and headers.
sub request {
    my ($self, $path, $fields, $token, $headers) = @_;
    # Fields in a fixed order: a repeated request is the same body.
    $fields = [ map { $_ => $fields->{$_} } sort keys %$fields ]
        if ref $fields eq 'HASH';
    return HTTP::Request::Common::POST(
        "http://127.0.0.1:$self->{port}$path", $fields || [],
        ($token ? (Authorization => "Bearer $token") : ()),
        %{ $headers || {} });
}

sub error_log { KData::Cluster::_slurp("$_[0]{dir}/logs/error_log") }

sub post {
    my ($self, @args) = @_;
    return $self->{ua}->request($self->request(@args));
}

# The pids of the httpd processes serving this host right now: the
# parent (started once) and its children.
sub pids {
    my $self = shift;
    my @p = ($self->{pid});
    opendir my $d, '/proc' or return @p;
    for my $e (readdir $d) {
        next unless $e =~ /^\d+$/;
        open my $fh, '<', "/proc/$e/stat" or next;
        my $stat = <$fh> // next;
        push @p, $e if $stat =~ /\)\s+\S+\s+(\d+)/ && $1 == $self->{pid};
    }
    return sort { $a <=> $b } @p;
}

1;
