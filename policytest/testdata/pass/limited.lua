-- limited allows two requests per sandbox, then answers 429 itself; it
-- exchanges a code for a token, protects the token, and reports its call.
return {
  params = {
    burst = { type = "number", default = 2 },
    tags = { type = "list", default = { "a" } },
  },
  handler = function(req, ctx)
    if not ratelimit.take("calls", 0, ctx.params.burst) then
      return response{ status = 429, body = "slow down" }
    end
    if req.path == "/exchange" then
      local t = fetch{ method = "POST", url = "https://auth.example.com/token", body = "code=1" }
      local token = secrets.protect(json.decode(t:body()).token)
      req:set_header("Authorization", "Bearer " .. token)
      return fetch(req)
    end
    return response{ status = 200, body = json.encode({
      sandbox = ctx.sandbox_id, class = ctx.class, handler = ctx.handler,
      request = ctx.request_id, team = ctx.labels.team, tags = ctx.params.tags,
    }) }
  end,
}
