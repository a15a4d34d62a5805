// Unit tests of the client's pure functions, in Node: what the projector's
// stage chooses to show (client/src/projector/stage.js), and how the console
// words the board's size (client/src/console/boardsize.js).
//
//   node client-units.mjs
import assert from 'node:assert/strict'
import { hottest, inTurn } from '../../client/src/projector/stage.js'
import { boardSizeWords } from '../../client/src/console/boardsize.js'

function check(what, fn) {
  fn()
  console.log(`ok - ${what}`)
}

check('hottest keeps the n heaviest items in their own order, and names the rest', () => {
  const moments = ['booking', 'waiting', 'seeing', 'results', 'follow-up']
  const cards = { booking: 5, waiting: 1, seeing: 9, results: 5, 'follow-up': 0 }
  const { shown, left } = hottest(moments, 3, (m) => cards[m])
  assert.deepEqual(shown, ['booking', 'seeing', 'results'])
  assert.deepEqual(left, ['waiting', 'follow-up'])
  assert.deepEqual(hottest(moments, 9, (m) => cards[m]), { shown: moments, left: [] })
})

check('hottest breaks a tie by the order of the journey', () => {
  assert.deepEqual(hottest(['a', 'b', 'c'], 2, () => 1).shown, ['a', 'b'])
})

check('inTurn keeps the newest first and shows every older item in turn', () => {
  const notes = ['new', 'o1', 'o2', 'o3', 'o4', 'o5']
  const seen = new Set()
  for (let turn = 0; turn < 5; turn++) {
    const shown = inTurn(notes, 3, 8, turn * 8000)
    assert.equal(shown.length, 3)
    assert.equal(shown[0], 'new')
    assert.equal(new Set(shown).size, 3)
    shown.forEach((n) => seen.add(n))
  }
  assert.equal(seen.size, notes.length)
  assert.deepEqual(inTurn(['a', 'b'], 3, 8, 0), ['a', 'b'])
})

check('the console warns from 80 % of the board’s limit, and says it is full once a card no longer fits', () => {
  const limit = 4 << 20
  const at = (bytes) => boardSizeWords({ bytes, limit })
  assert.equal(at(1_200_000).level, 'ok')
  assert.match(at(1_200_000).text, /1\.2 MB of its 4\.2 MB limit \(28 %\)/)
  assert.equal(at(Math.ceil(limit * 0.8)).level, 'near')
  assert.match(at(Math.ceil(limit * 0.8)).text, /nearly full/)
  assert.equal(at(limit - 4096).level, 'near', 'one more card still fits')
  assert.equal(at(limit - 4095).level, 'full')
  assert.match(at(limit).text, /Phones can no longer add cards, notes or pledges; votes and your controls still work/)
  assert.match(at(12_345).text, /^The board holds 12 KB of its 4\.2 MB limit \(0 %\)\.$/)
  assert.deepEqual(boardSizeWords({ bytes: 10, limit: null }).text, 'The board holds 1 KB; this server sets no limit.')
})
