import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { dataPaths } from "@/lib/paths";

export interface RefUpdate {
  oldSha: string;
  newSha: string;
  ref: string;
}

export const ZERO_SHA = "0".repeat(40);

/** Push options (`git push -o key=value`), as git passed them to the hook. */
export type PushOptions = ReadonlyArray<string>;

/** Decides one push from the ref updates git is about to apply: a refusal sentence, or null to accept. */
export type PushDecision = (updates: RefUpdate[], options: PushOptions) => Promise<string | null>;

/**
 * What recording a push gives the pusher: lines for their terminal, and, when the push started
 * deploys the pusher waits for, a follower that says each line of them and resolves the branches
 * (`refs/heads/…`) whose deploy did not succeed, each with a short reason.
 */
export interface PushReport {
  lines: string[];
  follow?: (say: (line: string) => Promise<void>, signal: AbortSignal) => Promise<Map<string, string>>;
}

/** Records an accepted push once git has applied it. */
export type PushRecorder = (updates: RefUpdate[], options: PushOptions) => Promise<PushReport>;

export interface PushTicket {
  /** Given to git (PWI_PUSH_TICKET) for its hooks. */
  id: string;
  /** The updates the hook presented and the gate accepted (empty until then). */
  accepted: RefUpdate[];
  options: PushOptions;
  /**
   * Records the accepted updates, once: called by the proc-receive hook (so what happened is
   * printed on the pusher's terminal as `remote:` lines) or, if that never came, by the route.
   */
  record(): Promise<PushReport>;
  /** Forget the ticket (after the request, whatever happened). */
  close(): void;
}

/**
 * The pre-receive hook installed in every project repository. git runs it with exactly the
 * ref updates it is about to apply (however the request was framed: several pkt-lines, a
 * push certificate…); it asks the server over a Unix socket only the server's user can
 * open, with the one-time ticket of this request's user, and git applies nothing unless
 * the answer is "ok". Without a ticket (a push that did not come through the dashboard's
 * git remote) or with a push certificate (not verified here), the push is refused.
 */
export const PRE_RECEIVE_HOOK = `#!/usr/bin/perl
# Installed by the Project Web Interface; rewritten at every start. Do not edit.
use strict;
use warnings;
use IO::Socket::UNIX;

my ($socket, $ticket) = ($ENV{PWI_PUSH_SOCKET}, $ENV{PWI_PUSH_TICKET});
if (!$socket || !$ticket) {
  print STDERR "Pushes are accepted only through the project's git remote (http://<dashboard>/git/<project>.git).\\n";
  exit 1;
}
if (defined $ENV{GIT_PUSH_CERT} && $ENV{GIT_PUSH_CERT} ne "") {
  print STDERR "Signed pushes (push certificates) are not accepted: push without --signed.\\n";
  exit 1;
}
my @lines = ("ticket $ticket");
for my $i (0 .. ($ENV{GIT_PUSH_OPTION_COUNT} // 0) - 1) {
  my $option = $ENV{"GIT_PUSH_OPTION_$i"} // "";
  $option =~ s/[\\r\\n]//g;
  push @lines, "option $option";
}
while (my $line = <STDIN>) {
  chomp $line;
  push @lines, "update $line";
}
my $conn = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $socket);
if (!$conn) {
  print STDERR "The server could not check this push (its push gate is not answering); nothing was changed. Try again.\\n";
  exit 1;
}
print $conn join("\\n", @lines, "end"), "\\n";
my $verdict = <$conn> // "";
chomp $verdict;
my @message = <$conn>;
print STDERR @message;
exit($verdict eq "ok" ? 0 : 1);
`;

/**
 * The proc-receive hook (git runs it for every pushed branch: `receive.procReceiveRefs`). It
 * applies each update itself, compare-and-swap as git would, then asks the server to record the
 * push and, unless the pusher said `-o deploy.wait=0`, to follow the deploys it started. What the
 * server says (what each branch became, the build and deploy lines, how they ended) reaches the
 * pusher's terminal as `remote:` lines; a branch whose deploy failed is reported to git as
 * refused with the reason, so `git push` exits non-zero, although its commits are pushed (the
 * reason says so). The pusher's connection breaking stops only the following, never the deploy.
 */
export const PROC_RECEIVE_HOOK = String.raw`#!/usr/bin/perl
# Installed by the Project Web Interface; rewritten at every start. Do not edit.
use strict;
use warnings;
use IO::Handle;
use IO::Socket::UNIX;
binmode STDIN;
binmode STDOUT;
STDOUT->autoflush(1);
STDERR->autoflush(1);

sub read_pkt {
  my $head = "";
  my $n = read(STDIN, $head, 4);
  die "proc-receive: git closed the protocol\n" if !defined $n || $n < 4;
  die "proc-receive: not a pkt-line\n" if $head !~ /^[0-9a-f]{4}\z/;
  my $size = hex($head);
  return "" if $size == 0;
  die "proc-receive: not a pkt-line\n" if $size < 5;
  my $data = "";
  while (length($data) < $size - 4) {
    my $r = read(STDIN, $data, $size - 4 - length($data), length($data));
    die "proc-receive: git closed the protocol\n" if !$r;
  }
  $data =~ s/\n\z//;
  return $data;
}
sub write_pkt { my ($line) = @_; $line .= "\n"; printf STDOUT "%04x%s", length($line) + 4, $line; }

my @version;
while ((my $line = read_pkt()) ne "") { push @version, $line; }
die "proc-receive: git speaks another version of this protocol\n" if !@version || $version[0] !~ /^version=1(\0|\z)/;
my $atomic = $version[0] =~ /\0(?:.* )?atomic(?: |\z)/ ? 1 : 0;
write_pkt("version=1");
print STDOUT "0000";

my @commands;
while ((my $line = read_pkt()) ne "") {
  die "proc-receive: git sent an update this hook cannot read\n" if $line !~ m{^([0-9a-f]{40}) ([0-9a-f]{40}) (refs/heads/\S+)\z};
  push @commands, [$1, $2, $3];
}

my ($socket, $ticket) = ($ENV{PWI_PUSH_SOCKET}, $ENV{PWI_PUSH_TICKET});
sub ask {
  my ($request) = @_;
  my $conn = $socket && $ticket ? IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $socket) : undef;
  print $conn "$request $ticket\nend\n" if $conn;
  return $conn;
}

# Only what the server's gate accepted (in pre-receive) is applied, exactly as it was accepted.
my %accepted;
if (my $conn = ask("accepted")) {
  while (my $line = <$conn>) { chomp $line; $accepted{$1} = 1 if $line =~ /^accept (\S+ \S+ \S+)\z/; }
}
my %failed;
for my $c (@commands) {
  $failed{$c->[2]} = "not accepted by the server's push gate" if !$accepted{join(" ", @$c)};
}

# Apply (git's own output goes to the pusher, never into the protocol on stdout); an atomic push all or nothing.
open(my $protocol, ">&", \*STDOUT) or die "proc-receive: $!\n";
open(STDOUT, ">&", \*STDERR) or die "proc-receive: $!\n";
my $moved = "the branch moved while you pushed: fetch and push again";
if ($atomic) {
  if (%failed) {
    for my $c (@commands) { $failed{$c->[2]} //= "atomic push: another branch was refused"; }
  } else {
    my $ok = open(my $tx, "|-", "git", "update-ref", "--stdin");
    if ($ok) {
      for my $c (@commands) {
        my ($old, $new, $ref) = @$c;
        print $tx ($new =~ /^0{40}\z/ ? "delete $ref $old\n" : "update $ref $new $old\n");
      }
      $ok = close($tx);
    }
    if (!$ok) { $failed{$_->[2]} = $moved for @commands; }
  }
} else {
  for my $c (@commands) {
    my ($old, $new, $ref) = @$c;
    next if $failed{$ref};
    my @args = $new =~ /^0{40}\z/ ? ("update-ref", "-d", $ref, $old) : ("update-ref", $ref, $new, $old);
    $failed{$ref} = $moved if system("git", @args) != 0;
  }
}
open(STDOUT, ">&", $protocol) or die "proc-receive: $!\n";
binmode STDOUT;
STDOUT->autoflush(1);

my %refused;
if (my $conn = ask("record")) {
  while (my $line = <$conn>) {
    chomp $line;
    if ($line =~ /^say (.*)\z/s) { print STDERR "$1\n"; }
    elsif ($line =~ m{^ng (refs/heads/\S+) (.+)\z}) { $refused{$1} = $2; }
  }
} else {
  print STDERR "The push is applied; the server records it when this request ends.\n";
}

for my $c (@commands) {
  my $ref = $c->[2];
  my $why = $failed{$ref} // $refused{$ref};
  write_pkt(defined $why ? "ng $ref $why" : "ok $ref");
}
print STDOUT "0000";
exit 0;
`;

const MAX_UPDATES = 10_000;
const MAX_OPTIONS = 20;
const TICKET_TTL_MS = 60 * 60 * 1000;

interface Pending {
  decide: PushDecision;
  ticket: PushTicket;
  used: boolean;
  expires: number;
}

/**
 * A line for the pusher's terminal: one line, without control characters (C0, DEL and C1, so
 * no escape or control sequence in either encoding) or text-direction overrides. A hook's output
 * is hostile: a build cannot drive the pusher's terminal.
 */
export function terminalLine(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "")
    .replace(/[\r\n]+/g, " ")
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "");
}

/** A pusher whose terminal takes nothing for this long is let go (the deploy goes on). */
const STALLED_PUSHER_MS = 2 * 60_000;

/**
 * Tells a proc-receive hook what the record gave: its lines, then (following the deploys) theirs,
 * then the refused branches. Each line waits until the pusher's side has taken the previous
 * ones (a stalled pusher holds nothing but the socket), and one that stays stalled is let go.
 */
async function answerRecord(conn: net.Socket, report: PushReport) {
  const say = async (line: string) => {
    if (conn.destroyed) return;
    if (conn.write(`say ${terminalLine(line)}\n`)) return;
    await new Promise<void>((resolve) => {
      const stalled = setTimeout(() => conn.destroy(), STALLED_PUSHER_MS);
      const done = () => {
        clearTimeout(stalled);
        conn.off("drain", done);
        conn.off("close", done);
        resolve();
      };
      conn.once("drain", done);
      conn.once("close", done);
    });
  };
  for (const line of report.lines) await say(line);
  if (report.follow && !conn.destroyed) {
    conn.setTimeout(0); // a deploy takes as long as it takes; the pusher's connection decides
    const stop = new AbortController();
    conn.once("close", () => stop.abort());
    const refused = await report.follow(say, stop.signal);
    for (const [ref, why] of refused) if (!conn.destroyed) conn.write(`ng ${ref} ${terminalLine(why)}\n`);
  }
  conn.end();
}

interface Gate {
  socketPath: string;
  pending: Map<string, Pending>;
  ready: Promise<void>;
}

const key = Symbol.for("pwi.push-gate");
type G = typeof globalThis & { [key]?: Gate };

/** The socket's path: in DATA_DIR/run (a private directory), or a private temporary one where that path is too long for a socket. */
function socketPath(): string {
  const preferred = path.join(dataPaths.run(), "git-push.sock");
  if (Buffer.byteLength(preferred) < 100) {
    fs.mkdirSync(path.dirname(preferred), { recursive: true, mode: 0o700 });
    fs.chmodSync(path.dirname(preferred), 0o700);
    return preferred;
  }
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pwi-push-")), "git-push.sock");
}

function answer(conn: net.Socket, ok: boolean, message: string) {
  conn.end(`${ok ? "ok" : "refused"}\n${message ? `${message}\n` : ""}`);
}

/** Reads one hook's request (bounded), asks the ticket's decision, answers. */
function serve(gate: Gate, conn: net.Socket) {
  let text = "";
  conn.setEncoding("utf8");
  conn.setTimeout(60_000, () => conn.destroy());
  conn.on("error", () => {});
  conn.on("data", (chunk: string) => {
    text += chunk;
    if (text.length > (MAX_UPDATES + 2) * 400) {
      conn.removeAllListeners("data");
      return answer(conn, false, "Too many ref updates in one push.");
    }
    // The request ends with a line that is exactly "end" (every other line starts with its verb, so
    // none can be "end"): a read that stops inside a line ending in "end" is not the whole request.
    if (!text.endsWith("\nend\n")) return;
    conn.removeAllListeners("data");
    const lines = text.split("\n").filter(Boolean);
    if (lines.at(-1) !== "end") return answer(conn, false, "git sent a request this server cannot read; nothing was changed.");
    const acceptedId = /^accepted ([A-Za-z0-9_-]{20,})$/.exec(lines[0] ?? "")?.[1];
    if (acceptedId) {
      // What the gate accepted, for the proc-receive hook: it applies only these.
      const pending = gate.pending.get(acceptedId);
      const accepted = pending?.used ? pending.ticket.accepted : [];
      return conn.end(accepted.map((u) => `accept ${u.oldSha} ${u.newSha} ${u.ref}\n`).join(""));
    }
    const recordId = /^record ([A-Za-z0-9_-]{20,})$/.exec(lines[0] ?? "")?.[1];
    if (recordId) {
      const pending = gate.pending.get(recordId);
      if (!pending?.used) return conn.end();
      pending.ticket
        .record()
        .then((report) => answerRecord(conn, report))
        .catch((err: unknown) => {
          console.error("[push-gate]", err);
          if (!conn.destroyed) conn.end("say The push was applied, but recording or following it failed; see the server log.\n");
        });
      return;
    }
    const ticketId = /^ticket ([A-Za-z0-9_-]{20,})$/.exec(lines[0] ?? "")?.[1];
    const pending = ticketId ? gate.pending.get(ticketId) : undefined;
    if (!pending || pending.used || pending.expires < Date.now()) return answer(conn, false, "This push's authorisation is not valid (expired or used); push again.");
    pending.used = true; // one ticket, one decision
    const updates: RefUpdate[] = [];
    const options: string[] = [];
    for (const line of lines.slice(1, -1)) {
      if (line.startsWith("option ")) {
        if (options.length >= MAX_OPTIONS) return answer(conn, false, `At most ${MAX_OPTIONS} push options (-o) are read.`);
        options.push(line.slice("option ".length, "option ".length + 500));
        continue;
      }
      const m = /^update ([0-9a-f]{40}) ([0-9a-f]{40}) (\S+)$/.exec(line);
      if (!m) return answer(conn, false, "git sent an update this server cannot read; nothing was changed.");
      updates.push({ oldSha: m[1]!, newSha: m[2]!, ref: m[3]! });
    }
    pending
      .decide(updates, options)
      .then((problem) => {
        if (!problem) {
          pending.ticket.accepted = updates;
          pending.ticket.options = options;
        }
        answer(conn, !problem, problem ?? "");
      })
      .catch((err: unknown) => {
        console.error("[push-gate]", err);
        answer(conn, false, "The server failed while checking this push; nothing was changed.");
      });
  });
}

/** The process's push gate: a Unix socket (mode 0600) the pre-receive hooks ask. Started on first use. */
export async function pushGate(): Promise<{ socketPath: string; issue(decide: PushDecision, record: PushRecorder): PushTicket }> {
  const g = globalThis as G;
  if (!g[key]) {
    const at = socketPath();
    fs.rmSync(at, { force: true }); // left by a dead server
    const gate: Gate = { socketPath: at, pending: new Map(), ready: Promise.resolve() };
    const server = net.createServer((conn) => serve(gate, conn));
    gate.ready = new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(at, () => {
        fs.chmodSync(at, 0o600);
        resolve();
      });
    });
    server.unref();
    g[key] = gate;
  }
  const gate = g[key];
  await gate.ready;
  return {
    socketPath: gate.socketPath,
    issue(decide, record) {
      const now = Date.now();
      for (const [id, p] of gate.pending) if (p.expires < now) gate.pending.delete(id);
      const id = crypto.randomBytes(24).toString("base64url");
      let recorded: Promise<PushReport> | null = null;
      const ticket: PushTicket = {
        id,
        accepted: [],
        options: [],
        record: () => (recorded ??= ticket.accepted.length > 0 ? record(ticket.accepted, ticket.options) : Promise.resolve({ lines: [] })),
        close: () => gate.pending.delete(id),
      };
      gate.pending.set(id, { decide, ticket, used: false, expires: now + TICKET_TTL_MS });
      return ticket;
    },
  };
}

/** Writes the pre-receive and proc-receive hooks into a bare repository (at creation, and into every repository at start). */
export function installPushHook(gitDir: string): void {
  const hooks = path.join(gitDir, "hooks");
  fs.mkdirSync(hooks, { recursive: true });
  fs.rmSync(path.join(hooks, "post-receive"), { force: true }); // what recorded pushes before proc-receive did
  for (const [name, text] of [["pre-receive", PRE_RECEIVE_HOOK], ["proc-receive", PROC_RECEIVE_HOOK]] as const) {
    const file = path.join(hooks, name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o755 });
    fs.renameSync(tmp, file);
  }
}
