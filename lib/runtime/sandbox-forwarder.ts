/**
 * TCP ports inside a sandbox that lead to Unix sockets inside the same sandbox: the environment's
 * SMTP endpoint on 127.0.0.1:1025, and each RabbitMQ on 127.0.0.1:5672 (AMQP clients, PHP's
 * included, speak TCP only). The sandbox has its own network namespace, so these ports are its
 * alone. One node process serves them all, started in the background by the sandbox's launcher,
 * which waits (at most 5 s) until `FORWARDS_READY` says every port listens. The forwards are
 * chosen by the server (ports and in-sandbox paths it checks): no value of the repository's reaches
 * the script, which holds them as JSON. Pure.
 */

/** One port: 127.0.0.1:`port` inside the sandbox leads to `socket`, a path inside it. */
export interface SandboxForward {
  port: number;
  socket: string;
}

/** Written by the forwarder once every port listens. */
export const FORWARDS_READY = "/tmp/.pwi-forwards-ready";

/** The forwarder's script (`node -e`), or "" when there is nothing to forward. */
export function forwarderScript(forwards: readonly SandboxForward[]): string {
  if (forwards.length === 0) return "";
  const ports = new Set<number>();
  for (const f of forwards) {
    if (!Number.isInteger(f.port) || f.port < 1024 || f.port > 65535 || ports.has(f.port)) throw new Error(`A forwarded port must be a distinct whole number from 1024 to 65535: ${f.port}`);
    if (!/^\/run\/[A-Za-z0-9/._-]{1,200}$/.test(f.socket) || f.socket.split("/").includes("..")) throw new Error(`A forwarded socket must be a plain path under /run: ${JSON.stringify(f.socket)}`);
    ports.add(f.port);
  }
  const list = JSON.stringify(forwards.map((f) => [f.port, f.socket]));
  return `const net=require("net"),fs=require("fs");const f=${list};let n=0;for(const [p,s] of f)net.createServer(c=>{const u=net.connect(s);c.pipe(u);u.pipe(c);c.on("error",()=>u.destroy());u.on("error",()=>c.destroy())}).listen(p,"127.0.0.1",()=>{if(++n===f.length)fs.writeFileSync(${JSON.stringify(FORWARDS_READY)},"")})`;
}
