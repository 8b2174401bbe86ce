-- Training: string building, formatting, pattern matching and splitting.
local n = tonumber(arg and arg[1]) or 20000
local parts = {}
for i = 1, n do
  parts[#parts + 1] = string.format("item%05d=%d;", i, (i * 7919) % 1000)
end
local s = table.concat(parts)
local sum, count = 0, 0
for key, value in s:gmatch("(%w+)=(%d+);") do
  sum = sum + tonumber(value) + #key
  count = count + 1
end
local upper = s:sub(1, 2000):upper():gsub("ITEM", "x")
local reversed = {}
for word in ("the quick brown fox jumps over the lazy dog "):rep(n // 10):gmatch("%a+") do
  reversed[#reversed + 1] = word:reverse()
end
print(count, sum, #upper, #reversed, s:find("item00500", 1, true))
