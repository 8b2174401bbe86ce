-- Training: arrays, hash tables, sorting and removal.
local n = tonumber(arg and arg[1]) or 60000
local seed = 42
local function random(m)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % m
end
local a = {}
for i = 1, n do a[i] = random(100000) end
table.sort(a)
local h = {}
for i = 1, n do
  local k = "k" .. random(5000)
  h[k] = (h[k] or 0) + a[i] % 97
end
local keys = {}
for k in pairs(h) do keys[#keys + 1] = k end
table.sort(keys, function(x, y) return h[x] > h[y] or (h[x] == h[y] and x < y) end)
local removed = 0
for i = #a, #a - 3000, -3 do table.remove(a, i); removed = removed + 1 end
print(#keys, keys[1], h[keys[1]], removed, a[1], a[#a])
