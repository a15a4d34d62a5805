// What fits on the big screen. The projector is a stage, not a web page:
// nobody in the hall can scroll it, so each board is given a budget of lines
// and columns and chooses what to show within it (the hottest moments, the
// latest pledges, notes in turn) instead of letting the page grow. Sizes are
// in the projector's unit (styles.css: 1/33.75 of a 16:9 screen's height),
// so the same choice fits 720p, 1080p and 4K alike.

/** How many of the projector's text units the screen holds, across and down. */
export function stageSize() {
  const unit = Math.min(innerHeight / 33.75, innerWidth / 60)
  return { across: innerWidth / unit, down: innerHeight / unit }
}

/**
 * The `n` items with the largest `weight`, kept in their own order (a journey
 * stays a journey); the rest are returned apart so the board can name them.
 */
export function hottest(items, n, weight) {
  if (items.length <= n) return { shown: items, left: [] }
  const ranked = items.map((item, i) => ({ item, i, w: weight(item) })).sort((x, y) => y.w - x.w || x.i - y.i)
  const keep = new Set(ranked.slice(0, n).map((r) => r.i))
  return { shown: items.filter((_, i) => keep.has(i)), left: items.filter((_, i) => !keep.has(i)) }
}

/**
 * `n` of `items` (newest first), taking turns every `seconds`: the newest
 * always leads, and the places after it show older items in turn, so every
 * note reaches the screen without the screen growing.
 */
export function inTurn(items, n, seconds, now = Date.now()) {
  if (items.length <= n) return items
  const older = items.slice(1)
  const turn = Math.floor(now / 1000 / seconds)
  const start = (turn * (n - 1)) % older.length
  const out = [items[0]]
  for (let i = 0; i < n - 1; i++) out.push(older[(start + i) % older.length])
  return out
}
