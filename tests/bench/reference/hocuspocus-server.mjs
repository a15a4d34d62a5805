// Hocuspocus as the benchmark runs it: no hooks (any token is accepted), no
// logging, in memory; with HOCUSPOCUS_SQLITE=FILE its SQLite extension
// stores every document (debounced, as Hocuspocus does by default: that is
// not durable before relay, unlike Touchpoint).
import { Server } from '@hocuspocus/server'

const port = Number(process.env.PORT || 1235)
const database = process.env.HOCUSPOCUS_SQLITE || ''
const extensions = []
if (database) {
  const { SQLite } = await import('@hocuspocus/extension-sqlite')
  extensions.push(new SQLite({ database }))
}
const server = new Server({ port, address: '127.0.0.1', quiet: true, extensions })
await server.listen()
console.log(`hocuspocus on 127.0.0.1:${port}${database ? ` with sqlite ${database}` : ' in memory'}`)
