return function(req, ctx)
  return deny("closed")
end
