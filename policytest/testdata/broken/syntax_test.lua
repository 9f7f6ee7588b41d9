test("x", function()
  eq(1, 1
end)
