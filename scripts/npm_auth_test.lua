-- Tests of npm_auth.lua: run with `sandgate test scripts/`.

test("sends the sandbox's npm token as a bearer token", function()
  local res, sent = run("npm_auth", { url = "https://registry.npmjs.org/left-pad" }, {
    sandbox_id = "sb1",
    secrets = { ["sandboxes/sb1"] = { npm_token = "npm_abcdef123" } },
    upstream = { status = 200, headers = { ["Content-Type"] = "application/json" }, body = "{}" },
  })
  eq(res.decision, "forward")
  eq(res:header("content-type"), "application/json")
  eq(sent[1].headers.authorization, { "Bearer npm_abcdef123" })
end)

test("the token is read from field npm_token only", function()
  local res = run("npm_auth", { url = "https://registry.npmjs.org/" }, {
    sandbox_id = "sb1",
    secrets = { ["sandboxes/sb1"] = { github_token = "ghp_123456" } },
    upstream = {},
  })
  eq(res.decision, "error")
end)
