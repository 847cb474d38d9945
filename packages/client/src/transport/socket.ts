// The socket port: the transport speaks binary messages through this
// interface so the same connection logic runs over `ws` in production and
// over an in-memory pair in tests.
import WebSocket from "ws";

/** A message-oriented, ordered, reliable byte channel (one WebSocket). */
export interface Socket {
  /** Sends one binary message. */
  send(bytes: Uint8Array): void;
  /** Closes the channel; `onClose` handlers run once. */
  close(): void;
  /** Registers the handler for incoming binary messages. */
  onMessage(handler: (bytes: Uint8Array) => void): void;
  /** Registers the handler that runs once when the channel closes for any reason. */
  onClose(handler: (error?: Error) => void): void;
}

/** Opens a socket to a URL; resolves once it is open. */
export type SocketFactory = (url: string) => Promise<Socket>;

/** Opens a real WebSocket with the `ws` package. */
export const wsSocketFactory: SocketFactory = (url) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
    ws.binaryType = "nodebuffer";
    let opened = false;
    const closeHandlers: ((error?: Error) => void)[] = [];
    let closed = false;
    let lastError: Error | undefined;
    const fireClose = () => {
      if (closed) return;
      closed = true;
      for (const handler of closeHandlers) handler(lastError);
    };
    ws.on("error", (error) => {
      lastError = error;
      if (!opened) reject(error);
    });
    ws.on("close", fireClose);
    ws.on("open", () => {
      opened = true;
      resolve({
        send: (bytes) => {
          // ws drops sends on a closing socket silently; fail fast instead so
          // the request is retried on the next connection.
          if (ws.readyState !== WebSocket.OPEN) throw new Error("socket is not open");
          ws.send(bytes, { binary: true });
        },
        close: () => ws.close(),
        onMessage: (handler) =>
          ws.on("message", (data, isBinary) => {
            // Text frames are a protocol error (WIRE-FRAME-001); we surface them as a close.
            if (!isBinary) return ws.close(1003);
            const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
            handler(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
          }),
        onClose: (handler) => {
          if (closed) handler(lastError);
          else closeHandlers.push(handler);
        },
      });
    });
  });
