-- inject_header: sets one request header from a secret, replacing any value
-- the sandbox sent, then forwards the request.
--
-- Params:
--   header  header name, e.g. "Authorization". Required.
--   secret  secret path under the secrets prefix; "{sandbox_id}" in it is
--           replaced by the sandbox's id, e.g. "sandboxes/{sandbox_id}".
--           Required.
--   field   field of that secret holding the value. Required.
--   prefix  text put before the value, e.g. "Bearer ". Optional.
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
return function(req, ctx)
  local p = ctx.params
  for _, name in ipairs({ "header", "secret", "field" }) do
    if type(p[name]) ~= "string" or p[name] == "" then
      error("inject_header: params." .. name .. " must be a non-empty string")
    end
  end
  local prefix = p.prefix or ""
  if type(prefix) ~= "string" then
    error("inject_header: params.prefix must be a string")
  end
  local path = p.secret:gsub("{sandbox_id}", function() return ctx.sandbox_id end)
  local value = secrets.get(path, p.field)
  req:set_header(p.header, prefix .. value)
  return fetch(req)
end
