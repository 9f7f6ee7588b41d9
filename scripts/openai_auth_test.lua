-- Tests of openai_auth.lua: run with `sandgate test scripts/`.

test("sends the key and forwards the body unchanged", function()
  local res, sent = run("openai_auth", {
    method = "POST",
    url = "https://api.openai.com/v1/chat/completions",
    headers = { ["Content-Type"] = "application/json" },
    body = '{"model":"gpt"}',
  }, {
    sandbox_id = "sb1",
    secrets = { ["sandboxes/sb1"] = { openai_api_key = "sk-test-abcdef" } },
    upstream = function(req)
      return response{ status = 200, body = req.method .. " " .. req.body }
    end,
  })
  eq(res:body(), 'POST {"model":"gpt"}')
  eq(sent[1].headers.authorization, { "Bearer sk-test-abcdef" })
  eq(sent[1].host, "api.openai.com")
end)

test("params it does not declare are refused at bind time", function()
  local ok, err = pcall(run, "openai_auth", { url = "https://api.openai.com/" }, { params = { key = "x" } })
  assert(not ok)
  assert(err:find("params.key: not declared", 1, true), err)
end)
