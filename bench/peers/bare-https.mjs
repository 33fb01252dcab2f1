// The bare-node floor of bench/peers/webhooks.mjs, in its own process like the other servers: TLS with
// keep-alive, reads the AdmissionReview, answers `allowed` with no patch. Gets {cert, key} over IPC and
// answers with its port; exits on 'stop'.
import { createServer } from 'node:https';

process.once('message', ({ cert, key }) => {
  const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const uid = JSON.parse(Buffer.concat(chunks).toString('utf8')).request.uid;
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'stop') {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
});
