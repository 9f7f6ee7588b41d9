-- Tests of inject_header.lua: run with `sandgate test scripts/`.

local secrets = { ["sandboxes/sb1"] = { token = "tok-sb1-123456" }, ["teams/shared"] = { api_key = "shared-key-1" } }

-- echo answers with the Authorization and X-Api-Key the upstream received.
local function echo(req)
  local h = req.headers
  return response{ status = 200, body = json.encode({ auth = h.authorization, key = h["x-api-key"] }) }
end

test("replaces the sandbox's header with the secret, prefix first", function()
  local res, sent = run("inject_header", {
    url = "https://api.example.com/v1/x",
    headers = { Authorization = { "Bearer mine", "Basic other" } },
  }, {
    sandbox_id = "sb1",
    params = { header = "Authorization", secret = "sandboxes/{sandbox_id}", field = "token", prefix = "Bearer " },
    secrets = secrets,
    upstream = echo,
  })
  eq(res.decision, "forward")
  eq(sent[1].headers.authorization, { "Bearer tok-sb1-123456" })
  -- The secret never reaches the sandbox, even when the upstream echoes it.
  eq(json.decode(res:body()).auth, { "Bearer [redacted]" })
end)

test("prefix defaults to nothing", function()
  local _, sent = run("inject_header", { url = "https://api.example.com/" }, {
    params = { header = "X-Api-Key", secret = "teams/shared", field = "api_key" },
    secrets = secrets,
    upstream = echo,
  })
  eq(sent[1].headers["x-api-key"], { "shared-key-1" })
end)

test("a missing secret fails closed and sends nothing", function()
  local res, sent = run("inject_header", { url = "https://api.example.com/" }, {
    sandbox_id = "sb2",
    params = { header = "X-Api-Key", secret = "sandboxes/{sandbox_id}", field = "token" },
    secrets = secrets,
    upstream = echo,
  })
  eq(res.decision, "error")
  eq(res.reason, "handler_error")
  eq(res.status, 502)
  eq(#sent, 0)
end)

test("an empty param fails closed", function()
  local res = run("inject_header", { url = "https://api.example.com/" }, {
    params = { header = "", secret = "teams/shared", field = "api_key" },
    secrets = secrets,
  })
  eq(res.decision, "error")
end)
