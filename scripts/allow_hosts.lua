-- allow_hosts: forwards a request whose host matches one of a list of host
-- patterns unchanged, and denies every other one (reason "handler").
--
-- Params (declared below, so a binding without them is refused):
--   allowed_hostnames  list of host patterns, as in allowed_hosts:
--                      "github.com", "*.github.com", "{api,uploads}.github.com",
--                      "example.com:443", "10.0.0.0/8". Required.
--
-- Example binding (admin API):
--   PUT /v1/sandboxes/sb1/outbound
--   {"handler": "allow_hosts",
--    "params": {"allowed_hostnames": ["github.com", "*.github.com"]}}
--
-- Example binding (config):
--   classes:
--     default:
--       outbound:
--         handler: allow_hosts
--         params: { allowed_hostnames: ["github.com", "*.github.com"] }
return {
  params = {
    allowed_hostnames = { type = "list", required = true },
  },
  handler = function(req, ctx)
    if hosts.match(ctx.params.allowed_hostnames, req.host, req.port) then
      return fetch(req)
    end
    return deny()
  end,
}
