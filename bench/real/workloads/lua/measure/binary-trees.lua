-- Measuring: allocation-heavy recursion (the Benchmarks Game's binary-trees).
local depth = tonumber(arg and arg[1]) or 14
local function bottomUp(d)
  if d == 0 then return {} end
  d = d - 1
  return { bottomUp(d), bottomUp(d) }
end
local function check(tree)
  if tree[1] then return 1 + check(tree[1]) + check(tree[2]) end
  return 1
end
local maxDepth = math.max(6, depth)
print("stretch", check(bottomUp(maxDepth + 1)))
local longLived = bottomUp(maxDepth)
for d = 4, maxDepth, 2 do
  local iterations = 1 << (maxDepth - d + 4)
  local sum = 0
  for _ = 1, iterations do sum = sum + check(bottomUp(d)) end
  print(iterations, d, sum)
end
print("long lived", check(longLived))
