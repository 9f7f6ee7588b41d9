-- Tests of github_auth.lua: run with `sandgate test scripts/`.

test("sends the sandbox's own token", function()
  for _, id in ipairs({ "one", "two" }) do
    local res, sent = run("github_auth", {
      url = "https://api.github.com/user",
      headers = { Authorization = "token forged-by-the-sandbox" },
    }, {
      sandbox_id = id,
      secrets = { ["sandboxes/one"] = { github_token = "ghp_one_123456" }, ["sandboxes/two"] = { github_token = "ghp_two_123456" } },
      upstream = { status = 200, body = "{}" },
    })
    eq(res.decision, "forward")
    eq(sent[1].headers.authorization, { "Bearer ghp_" .. id .. "_123456" })
  end
end)

test("a sandbox without a token fails closed", function()
  local res, sent = run("github_auth", { url = "https://api.github.com/user" }, { sandbox_id = "nobody", upstream = {} })
  eq({ res.decision, res.status, #sent }, { "error", 502, 0 })
end)
