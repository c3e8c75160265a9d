package KData::Clock;
# A second httpd, started from the suite's own configuration on another
# port, whose clock libfaketime sets to a chosen moment: how the suite
# shows what happens on a given calendar date (31 January, leap days)
# without changing the machine's time or the module.
use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use File::Temp qw(tempdir);
use IO::Socket::INET;
use LWP::UserAgent;
use POSIX ();

sub new {
    my ($class, $when) = @_;
    my $cfg = Apache::Test::config();
    my $vars = $cfg->{vars};
    my $dir = tempdir(CLEANUP => 1);
    my $port = do {
        my $s = IO::Socket::INET->new(Listen => 1,
                                      LocalAddr => '127.0.0.1:0') or die $!;
        $s->sockport;
    };
    open my $in, '<', "$vars->{t_conf}/httpd.conf" or die $!;
    open my $out, '>', "$dir/httpd.conf" or die $!;
    while (my $l = <$in>) {
        # The suite's own files, inline: the virtual hosts they define
        # keep their ports to the suite's server (no Listen of theirs).
        if ($l =~ /^Include\s+"?(\Q$vars->{t_conf}\E\/[^"\s]+)"?/) {
            open my $inc, '<', $1 or die "$1: $!";
            print $out grep { !/^\s*Listen\s/ } <$inc>;
            next;
        }
        $l =~ s/^Listen\s+.*/Listen 127.0.0.1:$port/;
        $l =~ s/^PidFile\s+.*/PidFile $dir\/httpd.pid/;
        $l =~ s/^ErrorLog\s+.*/ErrorLog $dir\/error_log/;
        $l =~ s/^(\s*)TransferLog\s+.*/$1TransferLog $dir\/access_log/;
        $l =~ s/^(\s*LockFile\s+).*/$1$dir\/accept.lock/;
        print $out $l;
        print $out "DefaultRuntimeDir $dir\n" if $l =~ /^ServerRoot/;
    }
    close $out;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        # Its own process group: faketime forks httpd, and the group is
        # what DESTROY stops, so no server is left behind.
        POSIX::setsid();
        open STDOUT, '>', "$dir/stdout";
        open STDERR, '>&', \*STDOUT;
        {
            no warnings 'exec';
            exec 'faketime', $when, $vars->{httpd}, '-f', "$dir/httpd.conf",
                '-DFOREGROUND';
        }
        POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, dir => $dir, port => $port,
                       ua => LWP::UserAgent->new(keep_alive => 0,
                                                 timeout => 30) }, $class;
    for (1 .. 100) {
        return $self if IO::Socket::INET->new("127.0.0.1:$port");
        select undef, undef, undef, 0.1;
    }
    die "faked-clock httpd did not start: "
        . `cat $dir/stdout $dir/error_log 2>/dev/null`;
}

sub post {
    my ($self, $path, $fields, $token) = @_;
    my @h = $token ? (Authorization => "Bearer $token") : ();
    return $self->{ua}->post("http://127.0.0.1:$self->{port}$path", $fields,
                             @h);
}

sub DESTROY {
    my $self = shift;
    return unless $self->{pid};
    kill 'TERM', -$self->{pid};
    waitpid $self->{pid}, 0;
    delete $self->{pid};
}

1;
