return function(req, ctx)
  if req.path == "/buy" then
    return fetch(req)
  end
  return response{ status = 200, body = "ok" }
end
