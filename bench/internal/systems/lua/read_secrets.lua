-- read_secrets (bench only): reads fields of the sandbox's secret
-- "sandboxes/<sandbox id>", sets a header to the first, then forwards. Every
-- value it read is scrubbed from the response.
--
-- Params:
--   header  header name, e.g. "X-Auth-Token". Required.
--   fields  field names separated by commas, e.g. "a,b,c". Required.
return function(req, ctx)
  local path = "sandboxes/" .. ctx.sandbox_id
  local first
  for field in ctx.params.fields:gmatch("[^,]+") do
    local v = secrets.get(path, field)
    first = first or v
  end
  req:set_header(ctx.params.header, first)
  return fetch(req)
end
