// The peer that shows what node:dgram itself costs: answers every query with a prebuilt answer
// (only the message id and question are copied), no parsing, no cache, no hooks. Prints its port.
import dgram from 'node:dgram';

const answer = Buffer.from([
  0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, // header: response, RD RA, 1 question, 1 answer
  0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1, // A 192.0.2.1, TTL 3600, name → question
]);
const socket = dgram.createSocket('udp4');
socket.on('message', (query, rinfo) => {
  if (query.length < 17) return;
  // the question ends at the first zero label after offset 12, plus type and class
  let end = 12;
  while (end < query.length && query[end] !== 0) end += query[end]! + 1;
  end += 5;
  const out = Buffer.allocUnsafe(12 + (end - 12) + 16);
  answer.copy(out, 0, 0, 12);
  out[0] = query[0]!;
  out[1] = query[1]!;
  query.copy(out, 12, 12, end);
  answer.copy(out, 12 + (end - 12), 12);
  socket.send(out, rinfo.port, rinfo.address);
});
socket.bind(0, '127.0.0.1', () => {
  socket.setRecvBufferSize(4 * 1024 * 1024);
  console.log(`listening ${socket.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
