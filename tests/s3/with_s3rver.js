#!/usr/bin/env node
// Starts s3rver (an S3-protocol server) on 127.0.0.1 on a free port with one bucket, in a
// fresh temporary directory. Without arguments it prints the port and serves until killed.
// With a command, it runs the command with AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION and CAIRN_TEST_S3_BUCKET set, stops the server and exits
// with the command's status. Exits 77 (skipped) when s3rver is not installed
// (`npm install --prefix tests/s3`).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');

const bucket = 'cairn-test';

// s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 keeps in
// its legacy provider: without it every truncated listing fails with HTTP 500. Re-run this
// script with the provider enabled when it is not.
function desAvailable() {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch (err) {
    return false;
  }
}
if (!desAvailable()) {
  if (process.execArgv.includes('--openssl-legacy-provider')) {
    console.error('with_s3rver: DES is unavailable even with the OpenSSL legacy provider');
    process.exit(1);
  }
  const rerun = spawnSync(
      process.execPath, ['--openssl-legacy-provider', __filename, ...process.argv.slice(2)],
      { stdio: 'inherit' });
  process.exit(rerun.status === null ? 1 : rerun.status);
}

let S3rver;
try {
  S3rver = require(path.join(__dirname, 'node_modules', 's3rver'));
} catch (err) {
  console.error('with_s3rver: s3rver is not installed (npm install --prefix tests/s3): skipped');
  process.exit(77);
}

async function main() {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const cleanup = async () => {
    await server.close();
    fs.rmSync(directory, { recursive: true, force: true });
  };
  const command = process.argv.slice(2);
  if (command.length === 0) {
    console.log(port);
    const stop = () => cleanup().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return;
  }
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    CAIRN_TEST_S3_BUCKET: bucket,
  };
  const child = spawn(command[0], command.slice(1), { env, stdio: 'inherit' });
  child.on('exit', async (code, signal) => {
    await cleanup();
    process.exit(code === null ? 128 + (os.constants.signals[signal] || 1) : code);
  });
}

main().catch((err) => {
  console.error(`with_s3rver: ${err.stack || err}`);
  process.exit(1);
});
