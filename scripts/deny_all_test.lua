-- Tests of deny_all.lua: run with `sandgate test scripts/`.

test("denies every request with reason handler", function()
  for _, url in ipairs({ "https://api.github.com/", "http://10.0.0.1:8080/x" }) do
    local res, sent = run("deny_all", { method = "POST", url = url, body = "data" })
    eq(res.decision, "deny", url)
    eq(res.status, 403)
    eq(json.decode(res:body()).reason, "handler")
    eq(#sent, 0)
  end
end)
