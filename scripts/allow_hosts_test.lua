-- Tests of allow_hosts.lua: run with `sandgate test scripts/`.

local ok = { status = 200, body = "from upstream" }

test("forwards a host in the list unchanged", function()
  local res, sent = run("allow_hosts", {
    url = "https://api.github.com/repos/o/r",
    headers = { Accept = "application/json" },
  }, { params = { allowed_hostnames = { "github.com", "*.github.com" } }, upstream = ok })
  eq(res.decision, "forward")
  eq(res.status, 200)
  eq(res:body(), "from upstream")
  eq(#sent, 1)
  eq(sent[1].url, "https://api.github.com/repos/o/r")
  eq(sent[1].headers.accept, { "application/json" })
end)

test("denies a host not in the list", function()
  local res, sent = run("allow_hosts", { url = "https://evil.example/" },
    { params = { allowed_hostnames = { "*.github.com" } }, upstream = ok })
  eq(res.decision, "deny")
  eq(res.status, 403)
  eq(res.reason, "handler")
  eq(res:header("Sandgate-Decision"), "deny; reason=handler")
  eq(#sent, 0)
end)

test("*.github.com does not match github.com itself", function()
  local res = run("allow_hosts", { url = "https://github.com/" },
    { params = { allowed_hostnames = { "*.github.com" } }, upstream = ok })
  eq(res.decision, "deny")
end)

test("glob syntax: alternatives, sets and ports", function()
  local params = { allowed_hostnames = { "{api,uploads}.github.com", "node[0-9].ci.example.com:443" } }
  for _, case in ipairs({
    { "https://uploads.github.com/x", "forward" },
    { "https://www.github.com/x", "deny" },
    { "https://node7.ci.example.com/", "forward" },
    { "http://node7.ci.example.com/", "deny" }, -- port 80
    { "https://nodex.ci.example.com/", "deny" },
  }) do
    local res = run("allow_hosts", { url = case[1] }, { params = params, upstream = ok })
    eq(res.decision, case[2], case[1])
  end
end)

test("an empty list allows nothing", function()
  local res = run("allow_hosts", { url = "https://github.com/" }, { params = { allowed_hostnames = {} } })
  eq(res.decision, "deny")
end)
