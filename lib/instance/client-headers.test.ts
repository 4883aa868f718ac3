import type http from "node:http";
import { describe, expect, it } from "vitest";
import { clientInfo } from "@/lib/session/client-info";
import { stampClientHeaders } from "./client-headers";

const request = (headers: Record<string, string>, socket: { remoteAddress?: string; encrypted?: boolean }) =>
  ({ headers: { ...headers }, socket }) as unknown as http.IncomingMessage;

const info = (req: http.IncomingMessage, publicUrl?: string) => clientInfo(new Headers(req.headers as Record<string, string>), publicUrl);

describe("client headers", () => {
  it("use the socket's address, whatever a client claims", () => {
    const req = request({ "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https", "x-pwi-client-address": "5.6.7.8", "x-pwi-https": "1" }, { remoteAddress: "::ffff:192.0.2.7" });
    stampClientHeaders(req, false);
    expect(info(req)).toMatchObject({ address: "192.0.2.7", isHttps: false });
  });

  it("believe a trusted proxy's last X-Forwarded-For entry and its protocol", () => {
    const req = request({ "x-forwarded-for": "6.6.6.6, 203.0.113.9", "x-forwarded-proto": "https" }, { remoteAddress: "10.0.0.2" });
    stampClientHeaders(req, true);
    expect(info(req)).toMatchObject({ address: "203.0.113.9", isHttps: true });
  });

  it("know a TLS socket, and PUBLIC_URL decides https when set", () => {
    const tls = request({}, { remoteAddress: "192.0.2.1", encrypted: true });
    stampClientHeaders(tls, false);
    expect(info(tls).isHttps).toBe(true);
    const plain = request({}, { remoteAddress: "192.0.2.1" });
    stampClientHeaders(plain, false);
    expect(info(plain, "https://console.example.com").isHttps).toBe(true);
    expect(info(tls, "http://console.example.com").isHttps).toBe(false);
  });
});
