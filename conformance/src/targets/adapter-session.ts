// Keeps one healthy adapter process for a run: started with a handshake,
// restarted (with a fresh handshake) when the previous rule crashed it, timed
// it out or broke its framing.
import { AdapterClient } from "../adapter/adapter-client.js";
import { AdapterProcess, type AdapterProcessOptions } from "../adapter/adapter-process.js";
import { handshake, type ImplementationIdentity } from "../adapter/handshake.js";
import type { Transcript } from "../adapter/transcript.js";

/** A restartable adapter process. */
export class AdapterSession {
  readonly #options: AdapterProcessOptions;
  #process: AdapterProcess | undefined;
  #client: AdapterClient | undefined;
  #identity: ImplementationIdentity | undefined;
  /** How many times the adapter was (re)started. */
  starts = 0;

  constructor(options: AdapterProcessOptions) {
    this.#options = options;
  }

  /** The identity from the first handshake. */
  get identity(): ImplementationIdentity {
    if (this.#identity === undefined) throw new Error("AdapterSession.start() has not completed");
    return this.#identity;
  }

  /** Starts the adapter and performs the handshake. */
  async start(transcript?: Transcript): Promise<ImplementationIdentity> {
    await this.client(transcript);
    return this.identity;
  }

  /** A healthy client, restarting the adapter first if it broke; its output goes to `transcript`. */
  async client(transcript?: Transcript): Promise<AdapterClient> {
    if (this.#process !== undefined && this.#process.failure === undefined && this.#client !== undefined) {
      this.#process.transcript = transcript;
      return this.#client;
    }
    await this.#process?.close(500);
    const process = AdapterProcess.start(this.#options, transcript);
    this.#process = process;
    this.starts++;
    const client = new AdapterClient(process);
    const identity = await handshake(client);
    this.#identity ??= identity;
    this.#client = client;
    return client;
  }

  /** The process id of the running adapter, if one runs (for properties that measure its memory). */
  get pid(): number | undefined {
    return this.#process?.failure === undefined ? this.#process?.pid : undefined;
  }

  /** Stops the adapter. */
  async close(): Promise<void> {
    await this.#process?.close();
    this.#process = undefined;
    this.#client = undefined;
  }
}
