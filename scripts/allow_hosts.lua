-- allow_hosts: forwards a request whose host matches one of a list of host
-- patterns unchanged, and denies every other one (reason "handler").
--
-- Params:
--   allowed_hostnames  list of host patterns, as in allowed_hosts:
--                      "github.com", "*.github.com", "example.com:443",
--                      "10.0.0.0/8". Required.
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
return function(req, ctx)
  local allowed = ctx.params.allowed_hostnames
  if type(allowed) ~= "table" then
    error("allow_hosts: params.allowed_hostnames must be a list of host patterns")
  end
  if hosts.match(allowed, req.host, req.port) then
    return fetch(req)
  end
  return deny()
end
