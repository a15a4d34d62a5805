#!/usr/bin/env node
// Turns a results directory of run.sh (SERVER--RUN.json reports of
// touchpoint-bench, machine.json, the Touchpoint extras) into Markdown: one
// table per kind of run, ratios of Touchpoint to the best reference server,
// and the targets of issue 6 with met / missed. Plain Node, no packages.
//
//   node scripts/summarize.mjs tests/bench/results/DATE > results.md

import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node summarize.mjs RESULTS_DIR')
  process.exit(2)
}
const read = f => JSON.parse(readFileSync(join(dir, f), 'utf8'))
const TP = 'touchpoint'
const REFS = ['y-websocket', 'hocuspocus']
// The kernel's floor: a broadcaster that only relays (`touchpoint-bench floor`), not a reference.
const FLOOR = 'floor'
const SERVER_ORDER = [TP, ...REFS, FLOOR]

const runs = []
for (const f of readdirSync(dir)) {
  const m = f.match(/^([a-z-]+?)--(.+)\.json$/)
  if (!m || f.endsWith('.restart.json')) continue
  let r
  try { r = read(f) } catch { continue }
  if (r.tool !== 'touchpoint-bench/rust') continue
  runs.push({ server: m[1], name: m[2], r })
}
const byName = name => runs.filter(x => x.name === name)
  .sort((x, y) => SERVER_ORDER.indexOf(x.server) - SERVER_ORDER.indexOf(y.server))
const get = (server, name) => runs.find(x => x.server === server && x.name === name)?.r

const fmt = (v, d = 1) => v == null || Number.isNaN(v) ? 'n/a' : Number(v).toFixed(d)
const mib = kb => kb == null ? 'n/a' : (kb / 1024).toFixed(1)
const ratio = (v, b) => v == null || b == null || !b ? null : v / b

// Server CPU time per delivered update, µs: CPU seconds of the load phase
// over the deliveries received.
const cpuPerDelivery = r => {
  const l = r?.load
  if (!l?.cpu || l.cpu.server_cpu_pct == null || !l.received_deliveries) return null
  return l.cpu.server_cpu_pct / 100 * l.cpu.seconds / l.received_deliveries * 1e6
}
const p99 = r => r?.load?.latency_ms?.p99 ?? null
const checks = r => r.checks.passed ? 'passed' : `FAILED: ${r.checks.failed.join('; ')}`
// CPU other processes on the machine used during the main phase (% of a core).
const others = r => (r.load || r.idle)?.cpu?.others_cpu_pct
const noise = r => others(r) == null ? 'n/a' : `${fmt(others(r), 0)}${others(r) > 15 ? ' (disturbed)' : ''}`
const bestRef = (name, metric, higherIsBetter = false) => {
  let best = null
  for (const s of REFS) {
    const v = metric(get(s, name))
    if (v == null) continue
    if (!best || (higherIsBetter ? v > best.v : v < best.v)) best = { server: s, v }
  }
  return best
}

const out = []
const say = s => out.push(s)

// --- machine -------------------------------------------------------------------
if (existsSync(join(dir, 'machine.json'))) {
  const m = read('machine.json')
  say('## Machine and run\n')
  say(`- date: ${m.date}; command: \`${m.command}\` (commit ${m.commit}${m.dirty ? ', with uncommitted changes' : ''})`)
  say(`- ${m.nproc} cores (${m.cpu_model}), ${m.mem_gib} GiB RAM, Linux ${m.kernel}, Node ${m.node}, ${m.rustc}`)
  say(`- server pinned to core ${m.server_cpus}, load tool to core ${m.loadgen_cpus}; load average at start ${m.loadavg_at_start.map(v => v.toFixed(2)).join(' / ')}`)
  say(`- ${m.duration_s} s of load per scenario, idle hold ${m.hold_s} s, capacity steps of ${m.cap_duration_s} s\n`)
}

// --- load scenarios ------------------------------------------------------------
const loadNames = [...new Set(runs.filter(x => x.r.load && /^[a-e]-/.test(x.name)).map(x => x.name))].sort()
if (loadNames.length) {
  say('## Load scenarios\n')
  say('Fan-out = time from a writer sending an entry to another client receiving it (same clock). CPU per delivery = server CPU time during the load / deliveries. "Others CPU" = what every other process on the machine used meanwhile (the machine is shared; above 15 % of a core the run is marked disturbed, and run.sh has tried it up to three times, keeping the least disturbed try).\n')
  say('| scenario | server | connected | open+sync p50 / p99 ms | fan-out p50 / p95 / p99 / max ms | deliveries/s | lost | server CPU % of a core | CPU µs / delivery | server RSS max MiB | tool CPU % / lag p99 ms | others CPU % | checks |')
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const name of loadNames) {
    for (const { server, r } of byName(name)) {
      const l = r.load, c = r.connect
      say(`| ${name} | ${server} | ${c.connected}/${c.attempted} | ${fmt(c.open_and_sync_ms.p50)} / ${fmt(c.open_and_sync_ms.p99)} | ${fmt(l.latency_ms.p50)} / ${fmt(l.latency_ms.p95)} / ${fmt(l.latency_ms.p99)} / ${fmt(l.latency_ms.max)} | ${l.delivered_per_s} | ${l.lost} | ${fmt(l.cpu?.server_cpu_pct)} | ${fmt(cpuPerDelivery(r), 2)} | ${mib(r.server?.rss_kb_max)} | ${fmt(r.loadgen.cpu_pct_mean_load, 0)}${r.loadgen.saturated ? ' SATURATED' : ''} / ${fmt(l.event_loop_lag_ms.p99)} | ${noise(r)} | ${checks(r)} |`)
    }
  }
  say('')
}

// --- idle ----------------------------------------------------------------------
const idleNames = [...new Set(runs.filter(x => x.r.idle && /^d-/.test(x.name)).map(x => x.name))].sort()
if (idleNames.length) {
  say('## Idle connections\n')
  say('Memory per connection = (server RSS after the hold − RSS before connecting) / connections; the second figure uses the mean RSS over the hold (steadier for garbage-collected servers).\n')
  say('| scenario | server | connected | open+sync p50 / p99 ms | RSS before → after MiB | KiB / connection (end / hold mean) | server CPU % idle | others CPU % | checks |')
  say('|---|---|---|---|---|---|---|---|---|')
  for (const name of idleNames) {
    for (const { server, r } of byName(name)) {
      const i = r.idle, c = r.connect
      say(`| ${name} | ${server} | ${c.connected}/${c.attempted} | ${fmt(c.open_and_sync_ms.p50)} / ${fmt(c.open_and_sync_ms.p99)} | ${mib(i.rss_kb_before)} → ${mib(i.rss_kb_after)} | ${fmt(i.rss_per_conn_kb)} / ${fmt(i.rss_per_conn_kb_hold_avg)} | ${fmt(i.cpu?.server_cpu_pct)} | ${noise(r)} | ${checks(r)} |`)
    }
  }
  say('')
}

// --- ratios --------------------------------------------------------------------
const ratioRows = []
for (const name of [...loadNames, ...idleNames]) {
  const tp = get(TP, name)
  if (!tp) continue
  const cell = (metric, higher = false) => {
    const b = bestRef(name, metric, higher)
    const v = metric(tp)
    const q = ratio(v, b?.v)
    return q == null ? 'n/a' : `${q.toFixed(2)} (${fmt(v, 2)} vs ${fmt(b.v, 2)} ${b.server})`
  }
  ratioRows.push(`| ${name} | ${cell(p99)} | ${cell(r => r?.load?.latency_ms?.p50 ?? null)} | ${cell(cpuPerDelivery)} | ${cell(r => r?.server?.rss_kb_max ?? null)} | ${cell(r => r?.idle?.rss_per_conn_kb ?? null)} |`)
}
if (ratioRows.length) {
  say('## Ratios: Touchpoint / best reference (lower is better)\n')
  say('| scenario | fan-out p99 | fan-out p50 | CPU / delivery | server RSS max | idle KiB / conn |')
  say('|---|---|---|---|---|---|')
  ratioRows.forEach(say)
  say('')
}

// --- the floor ---------------------------------------------------------------------
const floorRows = []
for (const name of loadNames) {
  const floor = get(FLOOR, name)
  if (!floor) continue
  for (const server of [TP, ...REFS]) {
    const r = get(server, name)
    if (!r) continue
    const cell = (metric) => {
      const q = ratio(metric(r), metric(floor))
      return q == null ? 'n/a' : `${q.toFixed(2)} (${fmt(metric(r), 2)} vs ${fmt(metric(floor), 2)})`
    }
    floorRows.push(`| ${name} | ${server} | ${cell(p99)} | ${cell(cpuPerDelivery)} |`)
  }
}
if (floorRows.length) {
  say('## Ratios to the kernel\'s floor (lower is better; 1.3 is the target for Touchpoint)\n')
  say('The floor accepts the same clients and writes each update, framed once, to every other client of its room, and does nothing else: no document, no checks, no durability. What a server spends above it is its own work.\n')
  say('| scenario | server | fan-out p99 / floor | CPU per delivery / floor |')
  say('|---|---|---|---|')
  floorRows.forEach(say)
  say('')
}

// --- durability: Touchpoint's own commit-time histogram ---------------------------
// touchpoint--RUN.commits.txt holds the server's touchpoint_store_commit_seconds
// histogram at the end of the run: how many group commits the run took and how
// long each took (bucket bounds double from 0.1 ms, so percentiles are "at most").
const commitRows = []
for (const f of readdirSync(dir).filter(f => f.startsWith(`${TP}--`) && f.endsWith('.commits.txt')).sort()) {
  const name = f.slice(TP.length + 2, -'.commits.txt'.length)
  const text = readFileSync(join(dir, f), 'utf8')
  const buckets = [...text.matchAll(/_bucket\{le="([^"]+)"\} (\d+)/g)].map(m => ({ le: Number(m[1]), n: Number(m[2]) }))
  const count = Number((text.match(/_count (\d+)/) || [])[1] || 0)
  const sum = Number((text.match(/_sum ([0-9.e+-]+)/) || [])[1] || 0)
  if (!count) continue
  const at = p => {
    const b = buckets.find(b => b.n >= p * count)
    return b ? (Number.isFinite(b.le) ? `≤ ${fmt(b.le * 1000, 1)}` : '> 3277') : 'n/a'
  }
  const r = get(TP, name)
  const writes = r?.load?.writes
  commitRows.push(`| ${name} | ${count} | ${writes ?? 'n/a'} | ${writes ? fmt(writes / count, 2) : 'n/a'} | ${fmt(sum / count * 1000, 2)} | ${at(0.5)} / ${at(0.99)} / ${at(1)} |`)
}
if (commitRows.length) {
  say('## Touchpoint: the cost of durable-before-relay\n')
  say('Every batch of updates is committed (SQLite WAL, synchronous=FULL: one fsync) before anything is relayed. From the server\'s `touchpoint_store_commit_seconds` histogram (bucket bounds, ms); intents and joins make commits too, so "updates per commit" counts the load\'s writes only.\n')
  say('| run | commits | updates written | updates per commit | mean commit ms | commit p50 / p99 / max ms |')
  say('|---|---|---|---|---|---|')
  commitRows.forEach(say)
  say('')
}

// --- capacity ------------------------------------------------------------------
const capRuns = runs.filter(x => x.name.startsWith('cap-r'))
const capacity = {}
if (capRuns.length) {
  say('## Capacity: one room of 500, fan-out p99 < 50 ms, nothing lost\n')
  say('Each step: 25 writers at the given rate for the capacity duration, a fresh server. A step passes when p99 < 50 ms, no delivery is lost, replicas converge, and the load tool is not saturated.\n')
  say('| server | rate per writer /s | deliveries/s | fan-out p50 / p99 ms | server CPU % | tool CPU % | others CPU % | verdict |')
  say('|---|---|---|---|---|---|---|---|')
  const rate = x => Number(x.name.slice('cap-r'.length))
  for (const server of SERVER_ORDER) {
    const mine = capRuns.filter(x => x.server === server).sort((x, y) => rate(x) - rate(y))
    for (const x of mine) {
      const r = x.r, l = r.load
      const verdict = r.loadgen.saturated ? 'tool-bound'
        : !l || !r.checks.passed ? `failed: ${r.checks.failed.join('; ')}`
          : !(l.latency_ms.p99 < 50) ? 'p99 ≥ 50 ms' : 'pass'
      if (verdict === 'pass' && (!capacity[server] || l.delivered_per_s > capacity[server].v)) {
        capacity[server] = { v: l.delivered_per_s, rate: rate(x) }
      }
      if (verdict === 'tool-bound') capacity[server] = { ...(capacity[server] || { v: 0 }), toolBound: true }
      say(`| ${server} | ${rate(x)} | ${l?.delivered_per_s ?? 'n/a'} | ${fmt(l?.latency_ms.p50)} / ${fmt(l?.latency_ms.p99)} | ${fmt(l?.cpu?.server_cpu_pct)} | ${fmt(r.loadgen.cpu_pct_mean_load, 0)} | ${noise(r)} | ${verdict} |`)
    }
  }
  say('')
  say('| server | capacity (deliveries/s) |')
  say('|---|---|')
  for (const server of SERVER_ORDER) {
    if (!capRuns.some(x => x.server === server)) continue
    const c = capacity[server]
    say(`| ${server} | ${c && c.v ? c.v : 'below the first step'}${c?.toolBound ? ' (the load tool saturated first: a lower bound)' : ''} |`)
  }
  say('')
}

// --- targets -------------------------------------------------------------------
const targets = []
{
  const e = 'e-1x500'
  const tp = get(TP, e)
  const b = bestRef(e, p99)
  if (tp && b) {
    const q = p99(tp) / b.v
    targets.push(['fan-out p99 at 1×500', `${fmt(p99(tp))} ms`, `${fmt(b.v)} ms (${b.server})`, q, '≤ 0.50', q <= 0.5])
  }
  const bc = bestRef(e, cpuPerDelivery)
  if (tp && bc) {
    const q = cpuPerDelivery(tp) / bc.v
    targets.push(['server CPU per delivered update (1×500)', `${fmt(cpuPerDelivery(tp), 2)} µs`, `${fmt(bc.v, 2)} µs (${bc.server})`, q, '≤ 0.33', q <= 1 / 3])
  }
  const refCaps = REFS.filter(s => capacity[s]).map(s => ({ server: s, v: capacity[s].v }))
  if (capacity[TP] && refCaps.length) {
    const best = refCaps.reduce((x, y) => (y.v > x.v ? y : x))
    const q = best.v ? capacity[TP].v / best.v : null
    targets.push(['capacity in one room (p99 < 50 ms, no loss)', `${capacity[TP].v}/s${capacity[TP].toolBound ? ' (tool-bound)' : ''}`, `${best.v}/s (${best.server})`, q, '≥ 3', q != null && q >= 3])
  }
  for (const name of idleNames) {
    const t = get(TP, name)
    if (!t) continue
    const refs = REFS.map(s => ({ s, r: get(s, name) })).filter(x => x.r)
    const per = r => r.idle?.rss_per_conn_kb
    const perAvg = r => r.idle?.rss_per_conn_kb_hold_avg
    const below = refs.every(x => per(t) < per(x.r) && perAvg(t) < perAvg(x.r))
    const lowest = refs.reduce((x, y) => (per(y.r) < per(x.r) ? y : x), refs[0])
    if (lowest) {
      targets.push([`memory per idle connection (${name})`, `${fmt(per(t))} / ${fmt(perAvg(t))} KiB`,
        refs.map(x => `${x.s} ${fmt(per(x.r))} / ${fmt(perAvg(x.r))}`).join('; '), per(t) / per(lowest.r), '< every reference', below])
    }
  }
}
if (targets.length) {
  say('## Targets of issue 6\n')
  say('| target | Touchpoint | best reference | ratio | wanted | met |')
  say('|---|---|---|---|---|---|')
  for (const [what, tp, ref, q, want, met] of targets) {
    say(`| ${what} | ${tp} | ${ref} | ${q == null ? 'n/a' : q.toFixed(2)} | ${want} | ${met ? 'yes' : '**no**'} |`)
  }
  say('')
}

// --- Touchpoint extras ---------------------------------------------------------
const extra = f => existsSync(join(dir, f)) ? read(f) : null
const seed10k = extra('touchpoint--seed-10k.json')
const seed1k = extra('touchpoint--seed-1k.json')
const loads = ['load-10k-after-kill', 'load-10k-loaded', 'load-10k-after-stop', 'load-10k-loaded-2']
  .map(n => ({ n, r: get(TP, n) })).filter(x => x.r)
if (seed10k || loads.length) {
  say('## Touchpoint: a 10,000-card room from the store\n')
  for (const s of [seed10k, seed1k].filter(Boolean)) {
    say(`- seeding ${s.cards} cards through the intents API (${s.participants} participants, 32 at a time): ${s.seconds} s, ${s.intents_per_s} intents/s, intent round trip p50 ${s.intent_ms.p50} / p99 ${s.intent_ms.p99} ms (each committed before its answer)`)
  }
  if (loads.length) {
    say('\n| join | open+sync ms | bytes received | server RSS after MiB |')
    say('|---|---|---|---|')
    const label = {
      'load-10k-after-kill': 'first join after kill -9 (snapshot + log replay)',
      'load-10k-loaded': 'second join (room in memory)',
      'load-10k-after-stop': 'first join after a graceful stop (compacted snapshot)',
      'load-10k-loaded-2': 'second join (room in memory)'
    }
    for (const { n, r } of loads) {
      say(`| ${label[n]} | ${fmt(r.connect.open_and_sync_ms.max, 2)} | ${r.connect.bytes_in} | ${mib(r.idle?.rss_kb_after)} |`)
    }
  }
  say('')
}
const resyncs = ['resync-1k', 'resync-10k'].map(n => ({ n, r: get(TP, n), x: extra(`touchpoint--${n}.restart.json`) })).filter(x => x.r)
if (resyncs.length) {
  say('## Touchpoint: 500 clients resync after a restart\n')
  say('500 participants hold the room; the server is stopped gracefully and started again on the same port and data; every client reconnects with the web client\'s backoff (1 s, 2 s, 4 s… each × 50–100 % random) and resyncs. "Attempts per 100 ms" is the largest number of reconnects that hit the server within 100 ms.\n')
  say('| room | initial connect of 500 (wall s) | server stop / down ms | all back after ms (first close → last synced) | per client p50 / p99 ms | attempts (failed) | max attempts per 100 ms | room loads after restart | checks |')
  say('|---|---|---|---|---|---|---|---|---|')
  for (const { n, r, x } of resyncs) {
    const s = r.resync
    const peak = s ? Math.max(0, ...s.attempts_per_100ms) : null
    say(`| ${n === 'resync-1k' ? '1,000 cards' : '10,000 cards'} | ${r.connect.wall_s} | ${x?.stop_ms ?? 'n/a'} / ${x?.down_ms ?? 'n/a'} | ${fmt(s?.wall_ms, 0)} | ${fmt(s?.resync_ms.p50, 0)} / ${fmt(s?.resync_ms.p99, 0)} | ${s?.attempts} (${s?.failed_attempts}) | ${peak} | ${x?.room_loads_after_restart ?? 'n/a'} | ${checks(r)} |`)
  }
  say('')
}

console.log(out.join('\n'))
