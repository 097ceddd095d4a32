import type { IncomingMessage } from 'node:http';
import { GatewayError, GatewayErrorCode } from '../errors.js';

/**
 * Reads a JSON body of at most `maxBytes`. An absent body is `undefined`. Refuses a declared or
 * actual size over the limit (413), a body that is not `application/json` (415) and JSON that
 * does not parse (400), each with a message saying what to send instead.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw tooLarge(maxBytes);
  }
  // Events rather than an async iterator: leaving the iterator early destroys the socket, and the
  // client would never see the 413.
  const { chunks, size } = await new Promise<{ chunks: Buffer[]; size: number }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        request.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ chunks, size });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
  if (size === 0) return undefined;
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new GatewayError(
      GatewayErrorCode.UnsupportedMediaType,
      `the request body must be JSON with "Content-Type: application/json", not ${JSON.stringify(type || 'no content type')}`,
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
  } catch (err) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `the request body is not valid JSON: ${(err as Error).message}`, {
      details: { issues: [{ path: 'body', message: (err as Error).message }] },
    });
  }
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(GatewayErrorCode.PayloadTooLarge, `the request body is larger than the gateway's limit of ${maxBytes} bytes (maxBodyBytes)`);
}
