-- github_auth: adds the sandbox's GitHub token as "Authorization: Bearer"
-- and forwards the request. The token is field github_token of secret
-- sandboxes/<sandbox id>.
--
-- Params: none (a binding that gives any is refused).
--
-- Example binding (admin API):
--   PUT /v1/sandboxes/sb1/outbound-by-host/api.github.com
--   {"handler": "github_auth"}
--
-- Example binding (config):
--   classes:
--     default:
--       outbound_by_host:
--         api.github.com: { handler: github_auth }
return {
  params = {},
  handler = function(req, ctx)
    local token = secrets.get("sandboxes/" .. ctx.sandbox_id, "github_token")
    req:set_header("Authorization", "Bearer " .. token)
    return fetch(req)
  end,
}
