#!/usr/bin/env node
// Fills a new Touchpoint room with contributions the way phones make them:
// participants join over HTTP and each places emotion cards through the
// intents API (every card is checked, written to the board and the ledger,
// and committed before the answer). Used to measure loading a big room from
// the store. Plain Node 20 (fetch), no packages.
//
//   node seed-room.mjs --url http://127.0.0.1:8080 --admin-token T --cards 10000
//       [--participants 200] [--concurrency 32] [--out room.json]
// Prints (or writes) {"code", "cards", "seconds", "intents_per_s", ...}.
// The server's intent and join rates must be raised for this (see run.sh).

import { parseArgs } from 'node:util'
import { writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'

const { values: a } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    'admin-token': { type: 'string', default: process.env.TOUCHPOINT_ADMIN_TOKEN || '' },
    cards: { type: 'string', default: '10000' },
    participants: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '32' },
    out: { type: 'string' }
  }
})
const base = new URL(a.url)
if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) {
  console.error(`refusing non-loopback host ${base.hostname}`)
  process.exit(2)
}
const cards = Number(a.cards)
const people = Math.max(1, Math.min(Number(a.participants), cards))
const concurrency = Number(a.concurrency)

async function post (path, body, bearer) {
  const headers = { 'content-type': 'application/json' }
  if (bearer) headers.authorization = `Bearer ${bearer}`
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(new URL(path, base), { method: 'POST', headers, body: JSON.stringify(body) })
    const text = await res.text()
    if (res.ok) return JSON.parse(text)
    // 429/503 are the server asking us to slow down or retry: do, briefly.
    if ((res.status === 429 || res.status === 503) && attempt < 50) {
      await new Promise(resolve => setTimeout(resolve, 100 * (1 + Math.random())))
      continue
    }
    throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 200)}`)
  }
}

// Runs `jobs` (functions returning promises) at most `n` at a time.
async function pool (jobs, n) {
  let next = 0
  const worker = async () => { while (next < jobs.length) await jobs[next++]() }
  await Promise.all(Array.from({ length: n }, worker))
}

const room = await post('/api/rooms', { title: 'bench: load from store', template: 'current-experience' }, a['admin-token'])
const code = room.code
const fk = room.facilitator_key
await post(`/api/rooms/${code}/intents`, { key: randomUUID(), kind: 'open_activity', activity: 'current-map' }, fk)

const perspectives = ['person', 'carer', 'staff']
const touchpoints = ['noticing-a-problem', 'booking', 'waiting-room', 'seeing-the-gp', 'tests', 'results', 'follow-up', 'living-with-the-condition']
const emotions = ['anxious', 'confused', 'reassured', 'listened-to', 'frustrated', 'hopeful', 'ok', 'lonely']
const tokens = []
await pool(Array.from({ length: people }, (_, i) => async () => {
  const r = await post(`/api/rooms/${code}/participants`, { profile: { perspective: perspectives[i % 3] } })
  tokens.push(r.token)
}), concurrency)

const t0 = performance.now()
const latencies = []
await pool(Array.from({ length: cards }, (_, i) => async () => {
  const started = performance.now()
  await post(`/api/rooms/${code}/intents`, {
    key: randomUUID(),
    kind: 'add_card',
    activity: 'current-map',
    touchpoint: touchpoints[i % touchpoints.length],
    emotion: emotions[(i * 7) % emotions.length],
    note: `bench card ${i}: on hold for ${i % 60} minutes before anyone answered`
  }, tokens[i % tokens.length])
  latencies.push(performance.now() - started)
}), concurrency)
const seconds = (performance.now() - t0) / 1000
latencies.sort((x, y) => x - y)
const at = p => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] * 100) / 100
const out = {
  code,
  cards,
  participants: people,
  seconds: Math.round(seconds * 100) / 100,
  intents_per_s: Math.round(cards / seconds),
  intent_ms: { p50: at(0.5), p99: at(0.99), max: at(1) }
}
const json = JSON.stringify(out, null, 2)
if (a.out) writeFileSync(a.out, json + '\n')
console.log(json)
