-- npm_auth: adds the sandbox's npm token as "Authorization: Bearer" (what
-- npm sends for an _authToken) and forwards the request. The token is field
-- npm_token of secret sandboxes/<sandbox id>.
--
-- Params: none (a binding that gives any is refused).
--
-- Example binding (admin API):
--   PUT /v1/sandboxes/sb1/outbound-by-host/registry.npmjs.org
--   {"handler": "npm_auth"}
--
-- Example binding (config):
--   classes:
--     default:
--       outbound_by_host:
--         registry.npmjs.org: { handler: npm_auth }
return {
  params = {},
  handler = function(req, ctx)
    local token = secrets.get("sandboxes/" .. ctx.sandbox_id, "npm_token")
    req:set_header("Authorization", "Bearer " .. token)
    return fetch(req)
  end,
}
