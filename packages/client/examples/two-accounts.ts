// Two accounts exchange a message and a document through a local Kabar server.
//
//   npx kabar-server --port 7420 --data ./kabar-data      # in one terminal
//   npx tsx examples/two-accounts.ts ws://127.0.0.1:7420  # in another
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { KabarClient, MemoryClientStore } from "@kabar/client";

/** Runs the example against a server URL; returns what Bob received. */
export async function main(url: string): Promise<{ text: string; document: string }> {
  // Each device keeps its keys and state in a store (SqliteClientStore persists them).
  const alice = await KabarClient.register({ url, store: new MemoryClientStore() });
  const bob = await KabarClient.register({ url, store: new MemoryClientStore() });

  // Account ids are exchanged out of band (a contact card, a QR code...).
  const conversation = await alice.createConversation("direct", [bob.accountId]);

  const received = new Promise<string>((resolve) => {
    bob.on("message", ({ message }) => {
      if (message.text !== undefined) resolve(message.text);
    });
  });
  await alice.sendText(conversation, "Hello Bob!");
  const text = await received;

  // Documents are streams: encrypted client-side, uploaded in resumable parts.
  const arrived = new Promise<string>((resolve) => {
    bob.on("message", ({ message }) => {
      if (message.document !== undefined) resolve(message.messageId);
    });
  });
  await alice.sendDocument(conversation, Readable.from([Buffer.from("The quarterly report.\n")]), {
    fileName: "report.txt", mediaType: "text/plain",
  });
  const chunks: Buffer[] = [];
  for await (const chunk of await bob.openDocument(conversation, await arrived)) chunks.push(chunk as Buffer);
  const document = Buffer.concat(chunks).toString("utf8");

  console.log(`Bob read "${text}" and a document: ${JSON.stringify(document)}`);
  await alice.close();
  await bob.close();
  return { text, document };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main(process.argv[2] ?? "ws://127.0.0.1:7420");
}
