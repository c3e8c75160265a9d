package KData::Record;
# Records every HTTP response a test file receives, for the OpenAPI
# conformance check (t/bin/kd-openapi-check, run by t/run-tests after
# each flavour): one JSON line per response in $KD_RECORD, with the
# request's method, port and path and the response's status, the
# headers the document describes, and the body.
#
# t/run-tests loads it into every perl it starts (PERL5OPT); it stays
# inert except in a test file (t/NN-*.t, and the children a test forks)
# with KD_RECORD set.  It wraps LWP::UserAgent::send_request, which
# Apache::TestRequest, the tests' own LWP::UserAgents and
# KData::Cluster's all end in, once per response actually received (a
# redirect followed is two).  Responses LWP makes up itself (a refused
# connect, a timeout: header Client-Warning "Internal response") never
# came from a server and are not recorded.  Tests that speak HTTP over
# raw sockets hand what they parsed to raw() (KData::Cluster's race) or
# exchange() (t/42-answers.t); the few that read only a status line
# (t/40-http.t, t/80-hostile.t, t/87-slow-clients.t) are not recorded.
use strict;
use warnings;

use Fcntl qw(:flock);

my $FILE = $ENV{KD_RECORD};
my $ON = defined $FILE && $0 =~ m{(?:^|/)t/\d\d-[^/]*\.t\z};
my $JSON;

# The headers the document gives a schema or rule for.
my @HEADERS = qw(Content-Type Cache-Control Retry-After WWW-Authenticate
                 Allow Idempotent-Replayed);

sub _write {
    my ($rec) = @_;
    $rec->{test} = $0;
    my $line = $JSON->encode($rec) . "\n";
    open my $fh, '>>', $FILE or return;
    flock $fh, LOCK_EX;
    print {$fh} $line;
    close $fh;
}

# Where the API hangs on a server a test file starts itself (an httpd
# of its own on a port of its own): the paths of the <Location>s that
# hold SetHandler kdata there ("" for "/"; none: the port serves no
# API).  The check maps that test file's responses from the port with
# them instead of the suite's server's ("/" and "/kdata"), and skips
# the ones outside every mount (httpd's own answers there).
sub mounts {
    my ($port, @mounts) = @_;
    return unless $ON;
    s{/+\z}{} for @mounts;
    _write({ port => $port + 0, mounts => \@mounts });
}

# A response read off a raw socket (KData::Cluster::race), with the
# request's method, port and path.
sub raw {
    my ($res, $method, $port, $path) = @_;
    return unless $ON;
    _write(_entry($res, $method, $port, $path, 'raw'));
}

# An exchange a test wrote and read on a raw socket itself (t/42-answers.t):
# the request's text (its request line gives the method and path), the
# host:port it went to, and the status, headers (any case) and body the
# test parsed.  A request line without a path records the path "".
sub exchange {
    my ($req, $hostport, $code, $hdr, $body) = @_;
    return unless $ON && $code;
    my ($method, $target) = $req =~ m{\A(\S+)(?:[ \t]+(\S+))?};
    (my $path = $target // '') =~ s/[?#].*//s;
    my ($port) = ($hostport // '') =~ /:(\d+)\z/;
    my %h = map { lc($_) => $hdr->{$_} } keys %{ $hdr || {} };
    _write({ method => $method // '', port => ($port || 0) + 0,
             path => $path, status => $code + 0, via => 'socket',
             headers => { map { defined $h{lc $_} ? ($_ => $h{lc $_}) : () }
                          @HEADERS },
             body => $body // '' });
}

sub _entry {
    my ($res, $method, $port, $path, $via) = @_;
    my %h;
    for my $k (@HEADERS) {
        my $v = $res->header($k);
        $h{$k} = $v if defined $v;
    }
    return { method => $method, port => ($port || 0) + 0, path => $path,
             status => $res->code + 0, via => $via, headers => \%h,
             body => $res->content };
}

sub _record {
    my ($res) = @_;
    return if ($res->header('Client-Warning') || '') eq 'Internal response';
    my $req = $res->request or return;
    my $uri = $req->uri;
    _write(_entry($res, $req->method, $uri->port, $uri->path, 'lwp'));
}

if ($ON) {
    require JSON::PP;
    $JSON = JSON::PP->new->canonical(1);
    require LWP::UserAgent;
    no warnings 'redefine';
    my $orig = \&LWP::UserAgent::send_request;
    *LWP::UserAgent::send_request = sub {
        my $res = $orig->(@_);
        eval { _record($res) if $res };
        return $res;
    };
}

1;
