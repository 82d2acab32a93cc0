/**
 * The WebSocket server under every loopback streaming fake: it listens on 127.0.0.1 at a free port
 * (ws' server), records what clients send, tracks each socket's subscriptions, sends the venue's
 * heartbeat on a short period, and lets a test inject what goes wrong on a real feed: a dropped
 * connection, silence, a refused upgrade (a blocked or geo-blocked stream), junk frames.
 *
 * Each venue's fake (fake-stream-venues.ts) speaks its protocol on top and records every top of
 * book it showed, in order, so tests compare what was sent with what was stored, verbatim.
 * No vitest here: the benchmark runs these fakes too.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** One top of book as a fake showed it: the ground truth a test compares Redis with. */
export interface ShownTop {
  productId: string;
  bid: [string, string] | undefined;
  ask: [string, string] | undefined;
  /** The stored timestamp this message should produce (fixed form); undefined = receipt time. */
  timestamp: string | undefined;
  sequence: string;
}

export abstract class FakeWsVenue {
  url = '';
  /** Every text frame clients sent, in order. */
  readonly received: string[] = [];
  /** Sockets accepted so far (a reconnect adds one). */
  accepted = 0;
  /** While true, nothing at all is sent (no data, no heartbeats, no answers). */
  silent = false;
  /** When set, upgrades are refused with this HTTP status (a blocked or geo-blocked stream). */
  refuseStatus: number | undefined;
  readonly shown: ShownTop[] = [];
  protected readonly subscriptions = new Map<WebSocket, Set<string>>();
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly rawSockets = new Set<Socket>();
  private heartbeat: NodeJS.Timeout | undefined;
  private clockMicros = 0;

  constructor(protected readonly heartbeatMs = 200) {}

  async start(port = 0): Promise<string> {
    this.wss = new WebSocketServer({ noServer: true });
    this.server = createServer((_req, res) => {
      res.writeHead(426).end();
    });
    this.server.on('connection', (s) => {
      this.rawSockets.add(s);
      s.on('close', () => this.rawSockets.delete(s));
    });
    this.server.on('upgrade', (req, socket, head) => {
      if (this.refuseStatus !== undefined) {
        socket.end(`HTTP/1.1 ${this.refuseStatus} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.wss?.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.url ?? '/'));
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    const { port: bound } = this.server.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${bound}${this.path}`;
    this.heartbeat = setInterval(() => {
      if (this.silent) return;
      for (const ws of this.subscriptions.keys()) this.sendHeartbeat(ws);
    }, this.heartbeatMs);
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const ws of this.subscriptions.keys()) ws.terminate();
    for (const s of this.rawSockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.wss?.close();
  }

  /** Cuts every connection at once, as a network blip or a venue restart does. */
  drop(): void {
    for (const ws of this.subscriptions.keys()) ws.terminate();
  }

  get openConnections(): number {
    return [...this.subscriptions.keys()].filter((ws) => ws.readyState === WebSocket.OPEN).length;
  }

  /** Sends a frame to every open socket as is (junk, unknown kinds). */
  sendRaw(text: string): void {
    for (const ws of this.subscriptions.keys()) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  /** Whether some open socket is subscribed to the venue symbol. */
  isSubscribed(native: string): boolean {
    for (const [ws, subs] of this.subscriptions)
      if (ws.readyState === WebSocket.OPEN && subs.has(native)) return true;
    return false;
  }

  /** Resolves once `check` holds (polled every 10 ms), or rejects after `timeoutMs`. */
  async until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!check()) {
      if (performance.now() > end)
        throw new Error(`fake ${this.constructor.name}: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Resolves once every symbol is subscribed on an open socket. */
  subscribed(natives: readonly string[], timeoutMs = 5000): Promise<void> {
    return this.until(
      () => natives.every((n) => this.isSubscribed(n)),
      `subscriptions to ${natives.join(', ')}`,
      timeoutMs,
    );
  }

  /** A strictly increasing venue clock in epoch µs (never two messages at the same time). */
  protected tick(stepMicros = 1): number {
    const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    this.clockMicros = Math.max(this.clockMicros + stepMicros, now);
    return this.clockMicros;
  }

  /** Sends `text` to the sockets subscribed to `native`. */
  protected publish(native: string, text: string): void {
    if (this.silent) return;
    for (const [ws, subs] of this.subscriptions)
      if (subs.has(native) && ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  protected send(ws: WebSocket, text: string): void {
    if (!this.silent && ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  private accept(ws: WebSocket, url: string): void {
    this.accepted += 1;
    this.subscriptions.set(ws, new Set());
    ws.on('message', (data) => {
      const text = data.toString();
      this.received.push(text);
      if (!this.silent) this.onClientMessage(ws, text);
    });
    ws.on('close', () => this.subscriptions.delete(ws));
    this.onOpen(ws, url);
  }

  /** The path part of the URL clients connect to. */
  protected get path(): string {
    return '';
  }

  protected onOpen(_ws: WebSocket, _url: string): void {}
  protected abstract onClientMessage(ws: WebSocket, text: string): void;
  protected abstract sendHeartbeat(ws: WebSocket): void;
}

/** Epoch µs → the fixed form the store uses. */
export function fixedMicros(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const frac = micros - whole * 1_000_000;
  return `${new Date(whole * 1000).toISOString().slice(0, 19)}.${String(frac).padStart(6, '0')}Z`;
}
