/**
 * A Server-Sent Events client for tests over node's fetch: reads the real HTTP stream, parses
 * events and comments, and lets a test wait (bounded) for the next one that matches.
 */
export interface SseMessage {
  event: string;
  data: any;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  readonly status: number;
  readonly headers: Headers;
  readonly #abort: AbortController;
  #waiters: (() => void)[] = [];
  #ended = false;

  private constructor(response: Response, abort: AbortController) {
    this.status = response.status;
    this.headers = response.headers;
    this.#abort = abort;
    void this.#read(response);
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    return new SseClient(response, abort);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Waits until a message at index ≥ `from` matches; returns it and its index. */
  async next(predicate: (m: SseMessage) => boolean, options: { from?: number; timeoutMs?: number } = {}): Promise<{ message: SseMessage; index: number }> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let from = options.from ?? 0;
    for (;;) {
      for (; from < this.messages.length; from++) {
        if (predicate(this.messages[from]!)) return { message: this.messages[from]!, index: from };
      }
      if (this.#ended) throw new Error(`SSE stream ended without a matching message; got ${JSON.stringify(this.messages.map((m) => m.event))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching SSE message in time; got ${JSON.stringify(this.messages).slice(0, 2000)}`);
      await this.#changed(left);
    }
  }

  /** Waits for a comment line (e.g. a heartbeat). */
  async nextComment(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const seen = this.comments.length;
    while (this.comments.length === seen) {
      const left = deadline - Date.now();
      if (left <= 0 || this.#ended) throw new Error('no SSE comment in time');
      await this.#changed(left);
    }
    return this.comments[seen]!;
  }

  close(): void {
    this.#abort.abort();
  }

  #changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(timeoutMs, 500));
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async #read(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (data.length) this.messages.push({ event, data: JSON.parse(data.join('\n')) });
        }
        this.#notify();
      }
    } catch {
      // aborted
    } finally {
      this.#ended = true;
      this.#notify();
    }
  }
}
