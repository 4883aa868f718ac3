import "server-only";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";

/** Linux's O_PATH (Node does not export it): a descriptor that names a file without opening it. */
const O_PATH = 0o10000000;

/**
 * Connects to the Unix socket at `socketPath` without following a link: an environment's socket
 * folder is writable from its sandbox, so `web.sock` there could be replaced by a link to
 * another environment's socket or to a daemon's. The last component is opened with
 * O_PATH|O_NOFOLLOW, must be a socket, and the connection goes through that descriptor
 * (/proc/self/fd/N), which names the very socket that was checked.
 */
export function connectNoFollow(socketPath: string): net.Socket {
  let fd: number;
  try {
    fd = fs.openSync(socketPath, O_PATH | fs.constants.O_NOFOLLOW);
  } catch (err) {
    return failedSocket(err as NodeJS.ErrnoException);
  }
  let isSocket = false;
  try {
    isSocket = fs.fstatSync(fd).isSocket();
  } catch {
    /* not a file we can look at */
  }
  if (!isSocket) {
    fs.closeSync(fd);
    return failedSocket(Object.assign(new Error(`${socketPath} is not a socket (a link or another file put there by the environment's processes)`), { code: "ENOTSOCK" }));
  }
  const socket = net.connect({ path: `/proc/self/fd/${fd}` });
  // Closed exactly once: a descriptor number closed twice may by then belong to something else.
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    fs.closeSync(fd);
  };
  socket.once("connect", close);
  socket.once("error", close);
  socket.once("close", close);
  return socket;
}

/** A socket that fails at once with `err` (as a refused connection would). */
function failedSocket(err: NodeJS.ErrnoException): net.Socket {
  const socket = new net.Socket();
  process.nextTick(() => socket.destroy(err));
  return socket;
}

/**
 * An HTTP agent for environments' Unix sockets that keeps connections open between requests
 * (pooled by the socket's path, as any agent) and makes each new one with connectNoFollow.
 */
export class NoFollowUnixAgent extends http.Agent {
  override createConnection(options: { socketPath?: string }, _callback?: unknown): net.Socket {
    if (!options.socketPath) throw new Error("NoFollowUnixAgent connects to Unix sockets only");
    return connectNoFollow(options.socketPath);
  }
}
