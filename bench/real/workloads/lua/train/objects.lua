-- Training: recursion, closures, metatables and coroutines.
local n = tonumber(arg and arg[1]) or 25
local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end

local Vec = {}
Vec.__index = Vec
Vec.__add = function(a, b) return setmetatable({ x = a.x + b.x, y = a.y + b.y }, Vec) end
function Vec.new(x, y) return setmetatable({ x = x, y = y }, Vec) end
function Vec:len2() return self.x * self.x + self.y * self.y end

local acc = Vec.new(0, 0)
for i = 1, n * 4000 do acc = acc + Vec.new(i % 7, i % 11) end

local function counter()
  local c = 0
  return function() c = c + 1; return c end
end
local total = 0
for _ = 1, n * 200 do
  local f = counter()
  for _ = 1, 10 do total = total + f() end
end

local gen = coroutine.wrap(function()
  for i = 1, n * 2000 do coroutine.yield(i) end
end)
local csum = 0
for _ = 1, n * 2000 do csum = csum + gen() end
print(fib(n), acc:len2(), total, csum)
