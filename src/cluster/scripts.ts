/**
 * The cluster's presence in Redis, kept by Lua scripts so each change is atomic: two servers can
 * never both give one name, and a dead server's peers are removed in one step by whichever
 * server notices first. Times are Redis's own (TIME), so servers on machines whose clocks
 * disagree still agree on who is alive.
 *
 * Keys, all under `udp-chat:ROOM:` (see keys.ts):
 * - `nodes`     sorted set: server name → the time (ms) it is dead by unless it beats again
 * - `instances` hash: server name → the id of the process using that name (a second process
 *               with a live server's name is refused; a restarted one takes it over once the
 *               old one is dead)
 * - `peers`     hash: a name's clash key → JSON {name, node, transport, ticket, shape}
 * - `shapes`    hash: a name's look-alike shape → its clash key (so `Ali` cannot pass for `AIi`)
 * - `seen`      sorted set: clash key → when its server last heard from the peer (ms)
 * - `node:NAME` set: the clash keys a server holds, so its death is cleaned up in its own size
 * - `door`      string: how the room's servers let peers in (a slow hash; see door.ts)
 * - `tickets`   hash: clash key → name, the names a ticket signed in this room (nobody else's)
 */

// Shared by every script: the time now in ms, whether a server is alive, and removing one entry.
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = KEYS[1]
local function alive(node)
  local s = redis.call('ZSCORE', prefix .. 'nodes', node)
  return s and tonumber(s) > now
end
local function drop(key, owner)
  local v = redis.call('HGET', prefix .. 'peers', key)
  if not v then return end
  local e = cjson.decode(v)
  if owner and e.node ~= owner then return end
  redis.call('HDEL', prefix .. 'peers', key)
  if redis.call('HGET', prefix .. 'shapes', e.shape) == key then redis.call('HDEL', prefix .. 'shapes', e.shape) end
  redis.call('ZREM', prefix .. 'seen', key)
  redis.call('SREM', prefix .. 'node:' .. e.node, key)
end
local function holder(key, shape, node)
  local v = redis.call('HGET', prefix .. 'peers', key)
  if v then
    local e = cjson.decode(v)
    if e.node ~= node and alive(e.node) then return e.name .. '\\t' .. e.node .. '\\t' .. (e.ticket and '1' or '0') end
  end
  local k = redis.call('HGET', prefix .. 'shapes', shape)
  if k and k ~= key then
    local w = redis.call('HGET', prefix .. 'peers', k)
    if w then
      local e = cjson.decode(w)
      if e.node ~= node and alive(e.node) then return e.name .. '\\t' .. e.node .. '\\t' .. (e.ticket and '1' or '0') end
    end
  end
  return false
end
local function put(key, shape, json, node)
  local old = redis.call('HGET', prefix .. 'peers', key)
  if old then drop(key, nil) end
  redis.call('HSET', prefix .. 'peers', key, json)
  redis.call('HSET', prefix .. 'shapes', shape, key)
  redis.call('SADD', prefix .. 'node:' .. node, key)
  redis.call('ZADD', prefix .. 'seen', now, key)
end
`;

/**
 * A server joins the cluster as NODE (ARGV 1) with process id ARGV 2, dead after ARGV 3 ms
 * without a beat, letting peers in as ARGV 4 says (a slow hash of its password and ticket
 * settings: see door.ts). Returns 1; 0 when a live server of another process has that name; -1
 * when live servers of the room let peers in otherwise (the first server of a room sets it).
 */
export const HELLO = `${PRELUDE}
local node, id, timeout, door = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local holderId = redis.call('HGET', prefix .. 'instances', node)
if holderId and holderId ~= id and alive(node) then return 0 end
local current = redis.call('GET', prefix .. 'door')
if current and current ~= door then
  for _, live in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'nodes', '(' .. now, '+inf')) do
    if live ~= node then return -1 end
  end
end
redis.call('SET', prefix .. 'door', door)
redis.call('HSET', prefix .. 'instances', node, id)
redis.call('ZADD', prefix .. 'nodes', now + timeout, node)
return 1
`;

/**
 * A server's beat (every second): it stays alive, its peers' last-seen times are written (ARGV 4..:
 * clash key, idle ms, pairs), and every server past its deadline is removed with its peers.
 * Returns the live servers' names, with 'reaped' first when this server had been taken for dead
 * (its entries are gone: it must register its peers again).
 */
export const BEAT = `${PRELUDE}
local node, id, timeout = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
if redis.call('HGET', prefix .. 'instances', node) ~= id then
  table.insert(out, 'reaped')
  redis.call('HSET', prefix .. 'instances', node, id)
end
redis.call('ZADD', prefix .. 'nodes', now + timeout, node)
for i = 4, #ARGV, 2 do
  redis.call('ZADD', prefix .. 'seen', 'XX', now - tonumber(ARGV[i + 1]), ARGV[i])
end
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'nodes', '-inf', now)) do
  for _, key in ipairs(redis.call('SMEMBERS', prefix .. 'node:' .. dead)) do drop(key, dead) end
  redis.call('DEL', prefix .. 'node:' .. dead)
  redis.call('ZREM', prefix .. 'nodes', dead)
  redis.call('HDEL', prefix .. 'instances', dead)
end
for _, live in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'nodes', '(' .. now, '+inf')) do table.insert(out, live) end
return out
`;

/**
 * Claims a name for a peer of server ARGV 1: clash key ARGV 2, shape ARGV 3, entry JSON ARGV 4,
 * ARGV 5 '1' for a ticket's name. Returns '' when it is this server's now; 'TICKET<TAB>NAME' when
 * a ticket signed that name in this room and this claim has none (as one server keeps a ticket's
 * name for it); else 'NAME<TAB>NODE<TAB>1|0' of the live peer that holds it or its look-alike,
 * 1 when by a ticket. A ticket's name, once claimed, stays the ticket's (`tickets`).
 */
export const CLAIM = `${PRELUDE}
local node, key, shape, json, ticket = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
if not ticket then
  local signed = redis.call('HGET', prefix .. 'tickets', key)
  if signed then return 'TICKET\\t' .. signed end
end
local held = holder(key, shape, node)
if held then return held end
put(key, shape, json, node)
if ticket then redis.call('HSET', prefix .. 'tickets', key, cjson.decode(json).name) end
return ''
`;

/** Writes a name no other server can hold (a first name, `x@NODE`): ARGV as CLAIM's. */
export const PUT = `${PRELUDE}
put(ARGV[2], ARGV[3], ARGV[4], ARGV[1])
return 1
`;

/** Removes names of server ARGV 1 (clash keys ARGV 2..); another server's are left alone. */
export const DROP = `${PRELUDE}
for i = 2, #ARGV do drop(ARGV[i], ARGV[1]) end
return 1
`;

/**
 * After a lost link: forgets everything server ARGV 1 held, then claims each of its peers again
 * (ARGV 2..: clash key, shape, entry JSON, in threes). Returns 'NAME<TAB>NODE' for each name
 * another server took meanwhile, in order, '' for each kept.
 */
export const REGISTER = `${PRELUDE}
local node = ARGV[1]
for _, key in ipairs(redis.call('SMEMBERS', prefix .. 'node:' .. node)) do drop(key, node) end
local out = {}
for i = 2, #ARGV, 3 do
  local held = holder(ARGV[i], ARGV[i + 1], node)
  if held then table.insert(out, held) else
    put(ARGV[i], ARGV[i + 1], ARGV[i + 2], node)
    table.insert(out, '')
  end
end
return out
`;

/** The whole presence: [now, live servers..., '', then entry JSON and idle ms, pairs]. */
export const READ = `${PRELUDE}
local out = {tostring(now)}
for _, live in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'nodes', '(' .. now, '+inf')) do table.insert(out, live) end
table.insert(out, '')
local all = redis.call('HGETALL', prefix .. 'peers')
for i = 1, #all, 2 do
  local seen = redis.call('ZSCORE', prefix .. 'seen', all[i])
  table.insert(out, all[i + 1])
  table.insert(out, tostring(seen and math.max(0, now - tonumber(seen)) or 0))
end
return out
`;

/**
 * A server leaving for good: its entries and its name go at once, not after its deadline, and
 * the room's door with the last live server (the names tickets signed stay, as the room's).
 */
export const BYE = `${PRELUDE}
local node, id = ARGV[1], ARGV[2]
if redis.call('HGET', prefix .. 'instances', node) ~= id then return 0 end
for _, key in ipairs(redis.call('SMEMBERS', prefix .. 'node:' .. node)) do drop(key, node) end
redis.call('DEL', prefix .. 'node:' .. node)
redis.call('ZREM', prefix .. 'nodes', node)
redis.call('HDEL', prefix .. 'instances', node)
-- The last server of the room to go takes its door with it: the next first server sets its own.
if #redis.call('ZRANGEBYSCORE', prefix .. 'nodes', '(' .. now, '+inf') == 0 then redis.call('DEL', prefix .. 'door') end
return 1
`;
