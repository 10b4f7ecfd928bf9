// Writes a gzip copy (level 9) beside every text file of the build, which the gateway sends to
// browsers that accept it (nginx gzip_static): the best compression, at no cost per request.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const dist = new URL('../dist/', import.meta.url).pathname
const TEXT = /\.(html|js|css|svg|json|txt)$/

for (const entry of await readdir(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !TEXT.test(entry.name)) continue
  const path = join(entry.parentPath, entry.name)
  await writeFile(`${path}.gz`, gzipSync(await readFile(path), { level: 9 }))
}
