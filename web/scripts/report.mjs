// The web client's figures: the JavaScript the catalog page (the first page) loads, gzipped, and
// Lighthouse's performance and accessibility scores of it, on phone (the default) and desktop.
// It also saves a screenshot of the catalog to docs/images/catalog.png.
//
//   node scripts/report.mjs              starts a stack of its own (python -m stack run), then measures
//   node scripts/report.mjs --url URL    measures a gateway that is already up (make run)
//
// The client must be built first (make web). Chromium is /usr/bin/chromium unless CHROME_PATH says.
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const web = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repo = resolve(web, '..')
const chrome = process.env.CHROME_PATH ?? '/usr/bin/chromium'
const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const KiB = 1024

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => done(port))
    })
  })
}

/** `python -m stack run` on free ports with databases of its own; resolves once it is ready. */
async function startStack(workDir) {
  const gatewayPort = await freePort()
  const basePort = 20000 + Math.floor(Math.random() * 9000)
  const python = process.env.PYTHON ?? join(repo, '.venv', 'bin', 'python')
  const child = spawn(
    python,
    ['-m', 'stack', 'run', '--fresh', '--db-suffix', '_web_report', '--gateway-port', String(gatewayPort)].concat([
      '--base-port',
      String(basePort),
      '--run-dir',
      join(workDir, 'run'),
      '--log-dir',
      join(workDir, 'logs'),
    ]),
    { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  await new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('the stack did not start within 240 s')), 240_000)
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (output.includes('STACK READY')) {
        clearTimeout(timer)
        ready()
      }
    })
    child.once('exit', (code) => fail(new Error(`the stack exited (${code}):\n${output}`)))
  })
  return { url: `http://127.0.0.1:${gatewayPort}`, stop }
}

async function lighthouse(url, preset) {
  const args = [url, '--output=json', '--output-path=stdout', '--quiet']
  args.push('--only-categories=performance,accessibility', `--chrome-flags=${CHROME_FLAGS.join(' ')}`)
  if (preset) args.push(`--preset=${preset}`)
  const { stdout } = await run(join(web, 'node_modules', '.bin', 'lighthouse'), args, {
    env: { ...process.env, CHROME_PATH: chrome },
    maxBuffer: 64 * 1024 * 1024,
  })
  return JSON.parse(stdout)
}

/** The scripts the page loaded, with the bytes that crossed the network and their gzip -9 size in the build. */
async function scriptsOf(result) {
  const requests = result.audits['network-requests'].details.items.filter((item) => item.resourceType === 'Script')
  return Promise.all(
    requests.map(async (item) => {
      const path = new URL(item.url).pathname
      const gzipped = await stat(join(web, 'dist', `${path}.gz`)).then((file) => file.size)
      return { path, transferred: item.transferSize, gzipped }
    }),
  )
}

async function screenshot(url) {
  const file = join(repo, 'docs', 'images', 'catalog.png')
  await run(
    chrome,
    [...CHROME_FLAGS, '--hide-scrollbars', '--window-size=1280,900', '--virtual-time-budget=10000'].concat([
      `--screenshot=${file}`,
      url,
    ]),
  )
  return file
}

async function main() {
  const given = process.argv.indexOf('--url')
  const workDir = await mkdtemp(join(tmpdir(), 'web-report-'))
  const stack = given > 0 ? { url: process.argv[given + 1], stop() {} } : await startStack(workDir)
  try {
    const catalog = `${stack.url}/`
    const phone = await lighthouse(catalog)
    const desktop = await lighthouse(catalog, 'desktop')
    const scripts = await scriptsOf(phone)
    const total = (key) => scripts.reduce((sum, script) => sum + script[key], 0)
    console.log(`JavaScript of the first page (${catalog}):`)
    for (const script of scripts) {
      console.log(`  ${script.path}  ${(script.gzipped / KiB).toFixed(1)} KiB gzipped`)
    }
    console.log(
      `  total: ${(total('gzipped') / KiB).toFixed(1)} KiB gzipped (${(total('transferred') / KiB).toFixed(1)} KiB transferred)`,
    )
    for (const [name, result] of [
      ['phone', phone],
      ['desktop', desktop],
    ]) {
      const score = (category) => Math.round(result.categories[category].score * 100)
      console.log(
        `Lighthouse ${result.lighthouseVersion}, ${name}: performance ${score('performance')}, accessibility ${score('accessibility')}`,
      )
    }
    console.log(`Screenshot of the catalog: ${await screenshot(catalog)}`)
  } finally {
    stack.stop()
    await rm(workDir, { recursive: true, force: true })
  }
}

await main()
