return function(req, ctx)
  return deny(
end
