-- set_header (bench only): sets a header to a fixed value, then forwards. It
-- reads no secret, so the response is passed on untouched.
--
-- Params:
--   header  header name, e.g. "X-Auth-Token". Required.
--   value   its value. Required.
return function(req, ctx)
  req:set_header(ctx.params.header, ctx.params.value)
  return fetch(req)
end
