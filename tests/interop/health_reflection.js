// An independent, other-language gRPC client (Node, @grpc/grpc-js) against a
// running sejfd over mutual TLS:
//   1. with the dev admin certificate: health Check → SERVING, and server
//      reflection lists sejf's services;
//   2. without a client certificate: the same call is refused.
// Usage: node health_reflection.js HOST:PORT CA_PEM CERT_PEM KEY_PEM
// Exit 0 only when every expectation holds.
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [rawAddress, caFile, certFile, keyFile] = process.argv.slice(2);
// The dev server certificate names localhost; TLS SNI takes no IP address.
const address = rawAddress.replace(/^127\.0\.0\.1:/, 'localhost:');
const protoRoot = '/usr/share/grpc-proto';
const packages = grpc.loadPackageDefinition(protoLoader.loadSync(
    ['grpc/health/v1/health.proto', 'grpc/reflection/v1alpha/reflection.proto'],
    {includeDirs: [protoRoot], keepCase: true, enums: String}));
const ca = fs.readFileSync(caFile);
const deadline = () => new Date(Date.now() + 10000);

function healthCheck(credentials) {
  const client = new packages.grpc.health.v1.Health(address, credentials);
  return new Promise((resolve) => client.Check({service: ''}, {deadline: deadline()},
      (err, res) => { client.close(); resolve({err, res}); }));
}

function listServices(credentials) {
  const client = new packages.grpc.reflection.v1alpha.ServerReflection(address, credentials);
  return new Promise((resolve) => {
    const call = client.ServerReflectionInfo({deadline: deadline()});
    call.on('data', (msg) => {
      call.end();
      client.close();
      resolve({services: msg.list_services_response.service.map((s) => s.name)});
    });
    call.on('error', (err) => { client.close(); resolve({err}); });
    call.write({list_services: ''});
  });
}

let failed = false;
function expect(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
}

(async () => {
  const admin = grpc.credentials.createSsl(ca, fs.readFileSync(keyFile), fs.readFileSync(certFile));
  const h = await healthCheck(admin);
  expect(!h.err && h.res.status === 'SERVING', `health with admin certificate: ${h.err ? h.err.message : h.res.status}`);
  const r = await listServices(admin);
  const names = r.services || [];
  for (const s of ['sejf.v1.KeyCustody', 'sejf.v1.TokenVault', 'sejf.v1.KsefAuth',
                   'sejf.v1.AuditLog', 'sejf.v1.Identity', 'grpc.health.v1.Health']) {
    expect(names.includes(s), `reflection lists ${s}`);
  }
  const anonymous = grpc.credentials.createSsl(ca);
  const denied = await healthCheck(anonymous);
  expect(denied.err && denied.err.code === grpc.status.UNAVAILABLE,
         `health without client certificate refused: ${denied.err ? denied.err.message : 'answered!'}`);
  const deniedReflection = await listServices(anonymous);
  expect(!!deniedReflection.err, 'reflection without client certificate refused');
  process.exit(failed ? 1 : 0);
})();
