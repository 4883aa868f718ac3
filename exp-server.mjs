import next from "next";
import http from "node:http";
const port = Number(process.env.PORT);
const app = next({ dev: false, dir: "/work/fd", port, hostname: "localhost" });
const handle = app.getRequestHandler();
await app.prepare();
http.createServer((req, res) => handle(req, res)).listen(port, () => console.log("listening", port));
