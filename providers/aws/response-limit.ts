/**
 * The AWS services' share of the response bound every backend read has (providers/http.ts
 * MAX_RESPONSE_BYTES): the SDK collects a whole response body before parsing it, so a misbehaving
 * endpoint (an emulator, a proxy, a wrong AWS_ENDPOINT_URL) could grow the agent past its memory limit
 * with one answer. A middleware inside the deserializer (smithy middleware stack: step `deserialize`,
 * priority `low` runs nearest the HTTP handler) caps the raw body while it streams.
 */
import { Readable } from 'node:stream';
import { MAX_RESPONSE_BYTES } from '../http.ts';

export class ResponseTooLarge extends Error {
  constructor(service: string) {
    super(`${service}: response larger than ${MAX_RESPONSE_BYTES} bytes (esi's limit; a Kubernetes Secret holds at most 1 MiB): the backend value is too large`);
    this.name = 'ResponseTooLarge';
  }
}

async function* bounded(body: AsyncIterable<Uint8Array>, service: string, max: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      (body as { destroy?: () => void }).destroy?.();
      throw new ResponseTooLarge(service);
    }
    yield chunk;
  }
}

interface MiddlewareStackLike {
  add(mw: (next: (args: unknown) => Promise<{ response: unknown }>) => (args: unknown) => Promise<{ response: unknown }>, options: { step: 'deserialize'; priority: 'low'; name: string }): void;
}

/** Adds the bound to one SDK client (Secrets Manager, SSM). */
export function limitResponseSize(client: { middlewareStack: unknown }, service: string, max = MAX_RESPONSE_BYTES): void {
  (client.middlewareStack as MiddlewareStackLike).add(
    (next) => async (args) => {
      const out = await next(args);
      const res = out.response as { body?: unknown } | undefined;
      if (res && res.body instanceof Readable) res.body = Readable.from(bounded(res.body, service, max), { objectMode: false });
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'esiResponseLimit' },
  );
}
