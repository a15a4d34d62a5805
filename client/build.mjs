// Builds the web client into <out-dir>: index.html at the root, everything
// else under assets/. The server embeds that directory (server/touchpoint/build.rs).
//
//   node build.mjs <out-dir>
import { build } from 'esbuild'
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import path from 'node:path'

const out = process.argv[2]
if (!out) {
  console.error('usage: node build.mjs <out-dir>')
  process.exit(2)
}
const here = path.dirname(new URL(import.meta.url).pathname)
const assets = path.join(out, 'assets')
await rm(assets, { recursive: true, force: true })
await mkdir(assets, { recursive: true })

// One self-contained bundle per view: a phone loads only what a phone shows.
const views = {
  phone: 'src/phone/start.js',
  projector: 'src/projector/start.js',
  console: 'src/console/start.js',
  helper: 'src/helper/start.js',
  landing: 'src/landing.js',
  statement: 'src/statement.js',
}
const target = ['es2019', 'safari13', 'chrome80', 'firefox78']
await build({
  entryPoints: Object.fromEntries(Object.entries(views).map(([name, file]) => [name, path.join(here, file)])),
  bundle: true,
  minify: true,
  format: 'esm',
  // Old phones: Safari 13 and Chrome 80 era syntax is the floor.
  target,
  outdir: assets,
  legalComments: 'none',
  logLevel: 'warning',
})
// The router is inlined into the page, so the view's bundle is asked for at once.
const boot = await build({
  entryPoints: [path.join(here, 'src/boot.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target,
  write: false,
  logLevel: 'warning',
})
await build({
  entryPoints: { app: path.join(here, "src/styles.css") },
  bundle: true,
  minify: true,
  outdir: assets,
  logLevel: 'warning',
})
// The phone's offline shell, served from the root so that it may look after the phone's pages.
await build({
  entryPoints: [path.join(here, 'src/sw.js')],
  minify: true,
  target,
  outfile: path.join(out, 'sw.js'),
  logLevel: 'warning',
})
const html = (await readFile(path.join(here, 'src/index.html'), 'utf8'))
  .replace('<script type="module" src="/assets/app.js"></script>', () => `<script type="module">${boot.outputFiles[0].text.trim()}</script>`)
await writeFile(path.join(out, 'index.html'), html)

// The size of a phone's first load, as a phone on venue Wi-Fi pays for it.
let raw = 0
let zipped = 0
for (const file of ['index.html', 'assets/app.css', 'assets/phone.js']) {
  const bytes = await readFile(path.join(out, file))
  raw += bytes.length
  zipped += gzipSync(bytes, { level: 9 }).length
}
const shell = gzipSync(await readFile(path.join(out, 'sw.js')), { level: 9 }).length
console.log(`touchpoint client: a phone's first load is ${raw} bytes (${zipped} gzipped), in 3 requests; then its offline shell, ${shell} bytes gzipped`)
