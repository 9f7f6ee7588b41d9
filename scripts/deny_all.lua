-- deny_all: denies every request (reason "handler").
--
-- Params: none (a binding that gives any is refused).
--
-- Example binding (admin API):
--   PUT /v1/sandboxes/sb1/outbound-by-host/*.internal.example.com
--   {"handler": "deny_all"}
--
-- Example binding (config):
--   classes:
--     locked:
--       outbound: { handler: deny_all }
return {
  params = {},
  handler = function(req, ctx)
    return deny()
  end,
}
