import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { generateServerCertificate } from '../../bridges/terraform/plugin/self-signed-cert';

/**
 * The raw TLS loopback sink of the transport benchmark (the practical limit
 * for moving bytes over TLS on this machine): a separate process serving TLS
 * on 127.0.0.1 that writes what it receives to a file in the directory given
 * as argv[2]. Protocol per connection: 8-byte big-endian length, the bytes;
 * the sink answers "ok\n" once the file is closed. It prints
 * {"port","certPem"} as its first stdout line and exits on SIGTERM.
 */
const directory = process.argv[2];
if (directory === undefined) throw new Error('usage: tls-sink <directory>');
const certificate = generateServerCertificate();
let connections = 0;

const server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (socket) => {
  const file = createWriteStream(join(directory, `upload-${connections++}`));
  let expected: number | undefined;
  let received = 0;
  let header = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    let body = chunk;
    if (expected === undefined) {
      header = Buffer.concat([header, chunk]);
      if (header.length < 8) return;
      expected = Number(header.readBigUInt64BE(0));
      body = header.subarray(8);
    }
    received += body.length;
    // Respect the disk's pace: pause the socket while the file stream is full.
    if (!file.write(body)) {
      socket.pause();
      file.once('drain', () => socket.resume());
    }
    if (received >= expected) file.end(() => socket.end('ok\n'));
  });
  socket.on('error', () => file.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port, certPem: certificate.certPem })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
