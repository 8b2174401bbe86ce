// A binary cache over HTTP for the fleet tests, as small as Nix needs one: GET and HEAD serve files of DIR, PUT
// writes one (through a temporary name, so a reader never sees half of it). Nix uploads narinfo and NAR files with
// PUT; nix-pgo writes its pointers the same way. Run inside a test host: node http-binary-cache.js DIR PORT.
import { createReadStream, createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, normalize } from 'node:path';

const [root, port] = process.argv.slice(2);
if (!root || !port) throw new Error('usage: http-binary-cache.js DIR PORT');

createServer((request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://cache').pathname));
  if (path.split('/').includes('..')) {
    response.writeHead(400).end();
    return;
  }
  const file = join(root, path);
  console.log(`${request.method} ${path}`);
  if (request.method === 'PUT') {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const out = createWriteStream(tmp);
    request.pipe(out);
    out.on('finish', () => {
      renameSync(tmp, file);
      response.writeHead(201).end();
    });
    out.on('error', () => response.writeHead(500).end());
    return;
  }
  let size: number;
  try {
    const info = statSync(file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-length': size });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
}).listen(Number(port));
