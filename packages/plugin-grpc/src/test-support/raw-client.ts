// A bare gRPC client for tests that must speak to a transport the way a stranger, a misconfigured
// node or an attacker would: any credentials, any claimed id, any bytes.
import { Client, Metadata, type ChannelCredentials, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { pino, type Logger } from 'pino';
import { EXCHANGE_PATH, NODE_METADATA_KEY } from '../transport/exchange-method.js';

/** An open stream and how it went: accepted (the server sent its metadata) or ended with a status. */
export interface RawStream {
  readonly call: ClientDuplexStream<Buffer, Buffer>;
  /** Resolves once the server accepted the stream, or it ended before that. */
  readonly outcome: Promise<{ accepted: true } | { accepted: false; status: StatusObject }>;
  /** Resolves with the final status. */
  readonly ended: Promise<StatusObject>;
  close(): void;
}

/** Opens the transport's Exchange stream at `address`, claiming to be `claim`. */
export function openRawStream(address: string, credentials: ChannelCredentials, claim: string | undefined): RawStream {
  const client = new Client(address, credentials, { 'grpc.ssl_target_name_override': 'node.hypermesh', 'grpc.use_local_subchannel_pool': 1 });
  const metadata = new Metadata();
  if (claim !== undefined) metadata.set(NODE_METADATA_KEY, claim);
  const call = client.makeBidiStreamRequest(EXCHANGE_PATH, (b: Buffer) => b, (b: Buffer) => b, metadata);
  call.on('error', () => undefined);
  const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  const outcome = new Promise<{ accepted: true } | { accepted: false; status: StatusObject }>((resolve) => {
    call.on('metadata', () => resolve({ accepted: true }));
    void ended.then((status) => resolve({ accepted: false, status }));
  });
  return {
    call,
    outcome,
    ended,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

/** A logger that keeps its records in memory, for tests that check what was logged. */
export function captureLogger(): { logger: Logger; records: Array<Record<string, unknown> & { msg: string }> } {
  const records: Array<Record<string, unknown> & { msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { logger, records };
}
