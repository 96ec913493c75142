#!/usr/bin/env node
// dynalite_server.js: dynalite (a DynamoDB-compatible server, pinned by package-lock.json here)
// on a free loopback port, for the distributed-mode tests and scripts/cluster. dynalite's own
// CLI cannot listen on port 0 (it takes 0 for "unset"), so this starts it through its library
// API and prints the endpoint it got as the first line of stdout:
//   http://127.0.0.1:PORT
// Options: --port N (default 0: a free port), --path DIR (LevelDB store; default in memory),
// --createTableMs / --deleteTableMs / --updateTableMs N (how long tables stay CREATING etc.;
// default 50), --exit-on-stdin-eof (stop when whoever started us closes our stdin or dies).
// dynalite does not check request signatures; it answers throttling or 5xx never by itself.
'use strict'
const dynalite = require('dynalite')

const opts = { port: 0, createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 }
let exitOnEof = false
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--exit-on-stdin-eof') { exitOnEof = true; continue }
  const name = a.replace(/^--/, '')
  if (!a.startsWith('--') || !(name in opts || name === 'path') || i + 1 >= args.length) {
    console.error(`dynalite_server: bad argument ${a}`)
    process.exit(2)
  }
  const v = args[++i]
  if (name === 'path') {
    opts.path = v
  } else {
    if (!/^\d+$/.test(v)) {
      console.error(`dynalite_server: --${name} needs a number, got ${v}`)
      process.exit(2)
    }
    opts[name] = Number(v)
  }
}

const server = dynalite(opts)
server.on('error', (e) => {
  console.error(`dynalite_server: ${e.message}`)
  process.exit(1)
})
server.listen(opts.port, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`)
})
const stop = () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()  // keep-alive clients must not hold the stop up
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
if (exitOnEof) {
  process.stdin.on('end', stop)
  process.stdin.resume()
}
