test("passes", function()
  eq(run("shop", { url = "https://shop.example/" }).status, 200)
end)

test("eq fails", function()
  local res = run("shop", { url = "https://shop.example/" })
  eq({ status = res.status, body = res:body() }, { status = 201, body = "ok" })
end)

test("assert fails", function()
  assert(false, "not today")
end)

test("error without a position", function()
  error("plain", 0)
end)

test("fetch without an upstream", function()
  run("shop", { url = "https://shop.example/buy" })
end)

test("unknown handler", function()
  run("shopp", { url = "https://shop.example/" })
end)
