// The client's types, generated from the six services' OpenAPI documents.
//
//   node scripts/api-types.mjs          writes src/lib/api/<service>.d.ts
//   node scripts/api-types.mjs --check  fails when those files differ from what the API says now
//
// Each document is produced by the service itself (drf-spectacular), without a running stack.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'

const run = promisify(execFile)
const web = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repo = resolve(web, '..')
const python = process.env.PYTHON ?? join(repo, '.venv', 'bin', 'python')
const outDir = join(web, 'src', 'lib', 'api')

/** The gateway prefix (and the types file's name) of each service directory. */
const SERVICES = {
  auth: 'auth_service',
  bank: 'bank_service',
  catalog: 'catalog_service',
  orders: 'order_service',
  payments: 'payment_service',
  notifications: 'notification_service',
}

async function openApiDocument(directory, workDir) {
  const file = join(workDir, `${directory}.json`)
  await run(python, ['manage.py', 'spectacular', '--format', 'openapi-json', '--file', file], {
    cwd: join(repo, directory),
    env: { ...process.env, APP_ENV: 'test' },
  })
  return JSON.parse(await readFile(file, 'utf8'))
}

async function typesOf(directory, workDir) {
  const ast = await openapiTS(await openApiDocument(directory, workDir))
  return COMMENT_HEADER + astToString(ast)
}

async function main() {
  const check = process.argv.includes('--check')
  const workDir = await mkdtemp(join(tmpdir(), 'api-types-'))
  try {
    const generated = await Promise.all(
      Object.entries(SERVICES).map(async ([name, directory]) => [name, await typesOf(directory, workDir)]),
    )
    const stale = []
    for (const [name, types] of generated) {
      const path = join(outDir, `${name}.d.ts`)
      if (check) {
        const current = await readFile(path, 'utf8').catch(() => '')
        if (current !== types) stale.push(path)
      } else {
        await writeFile(path, types)
      }
    }
    if (stale.length > 0) {
      console.error(`The API changed; run \`make web-types\` and commit:\n  ${stale.join('\n  ')}`)
      process.exitCode = 1
    } else {
      console.log(check ? 'API types are up to date.' : `API types written to ${outDir}`)
    }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

await main()
