-- openai_auth: adds the sandbox's OpenAI API key as "Authorization: Bearer"
-- and forwards the request. The key is field openai_api_key of secret
-- sandboxes/<sandbox id>. Works for any OpenAI-compatible API.
--
-- Params: none (a binding that gives any is refused).
--
-- Example binding (admin API):
--   PUT /v1/sandboxes/sb1/outbound-by-host/api.openai.com
--   {"handler": "openai_auth"}
--
-- Example binding (config):
--   classes:
--     default:
--       outbound_by_host:
--         api.openai.com: { handler: openai_auth }
return {
  params = {},
  handler = function(req, ctx)
    local key = secrets.get("sandboxes/" .. ctx.sandbox_id, "openai_api_key")
    req:set_header("Authorization", "Bearer " .. key)
    return fetch(req)
  end,
}
