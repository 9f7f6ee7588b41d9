-- inject_header: sets one request header from a secret, replacing any value
-- the sandbox sent, then forwards the request.
--
-- Params (declared below, so a binding that misses one is refused):
--   header  header name, e.g. "Authorization". Required.
--   secret  secret path under the secrets prefix; "{sandbox_id}" in it is
--           replaced by the sandbox's id, e.g. "sandboxes/{sandbox_id}".
--           Required.
--   field   field of that secret holding the value. Required.
--   prefix  text put before the value, e.g. "Bearer ". Optional (default "").
--
-- Example binding (admin API):
--   PUT /v1/sandboxes/sb1/outbound-by-host/api.example.com
--   {"handler": "inject_header",
--    "params": {"header": "Authorization", "secret": "sandboxes/{sandbox_id}",
--               "field": "example_token", "prefix": "Bearer "}}
--
-- Example binding (config):
--   classes:
--     default:
--       outbound_by_host:
--         api.example.com:
--           handler: inject_header
--           params:
--             header: X-Api-Key
--             secret: "teams/shared"
--             field: api_key
-- need returns params[name], a string (the declaration says so), which
-- must not be empty.
local function need(params, name)
  local v = params[name]
  if v == "" then
    error("inject_header: params." .. name .. " must not be empty")
  end
  return v
end

-- expand replaces every "{sandbox_id}" in path by id, literally (an id's
-- characters are never pattern syntax here).
local function expand(path, id)
  local i, j = path:find("{sandbox_id}", 1, true)
  if not i then
    return path
  end
  return path:sub(1, i - 1) .. id .. expand(path:sub(j + 1), id)
end

return {
  params = {
    header = { type = "string", required = true },
    secret = { type = "string", required = true },
    field = { type = "string", required = true },
    prefix = { type = "string", default = "" },
  },
  handler = function(req, ctx)
    local p = ctx.params
    local header = need(p, "header")
    local secret = need(p, "secret")
    local field = need(p, "field")
    local value = secrets.get(expand(secret, ctx.sandbox_id), field)
    req:set_header(header, p.prefix .. value)
    return fetch(req)
  end,
}
