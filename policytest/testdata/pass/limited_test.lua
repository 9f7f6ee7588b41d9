test("buckets are per sandbox and start full in each test", function()
  for i = 1, 2 do
    eq(run("limited", { url = "https://x.example/" }).status, 200, "call " .. i)
  end
  eq(run("limited", { url = "https://x.example/" }).status, 429)
  eq(run("limited", { url = "https://x.example/" }, { sandbox_id = "other" }).status, 200)
end)

test("a fresh test has fresh buckets", function()
  eq(run("limited", { url = "https://x.example/" }).status, 200)
end)

test("ctx carries the opts and the defaults", function()
  local res = run("limited", { url = "https://x.example/" }, {
    sandbox_id = "sb9", class = "gold", labels = { team = "blue" }, params = { burst = 5 },
  })
  eq(json.decode(res:body()), {
    sandbox = "sb9", class = "gold", handler = "limited", request = "test-1", team = "blue", tags = { "a" },
  })
end)

test("a protected token is scrubbed from the answer", function()
  local res, sent = run("limited", { url = "https://api.example.com/exchange" }, {
    upstream = function(req)
      if req.host == "auth.example.com" then
        return { status = 200, body = '{"token":"tok-0123456789"}' }
      end
      return response{ status = 200, headers = { ["X-Echo"] = req.headers.authorization[1] }, body = "hi tok-0123456789" }
    end,
  })
  eq(#sent, 2)
  eq({ sent[1].method, sent[1].url, sent[1].body }, { "POST", "https://auth.example.com/token", "code=1" })
  eq(sent[2].headers.authorization, { "Bearer tok-0123456789" })
  eq(res:header("x-echo"), "Bearer [redacted]")
  eq(res:body(), "hi [redacted]")
end)

test("an upstream that fails is an upstream error", function()
  local res = run("limited", { url = "https://api.example.com/exchange" }, {
    upstream = function() error("connection refused") end,
  })
  eq({ res.decision, res.reason, res.status }, { "error", "upstream_error", 502 })
end)

test("run errors can be caught", function()
  local ok, err = pcall(run, "limited", { url = "https://x.example/" }, { params = { burts = 1 } })
  eq(ok, false)
  assert(err:find("params.burts: not declared", 1, true), err)
end)
