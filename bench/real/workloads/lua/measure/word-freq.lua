-- Measuring: word frequencies of generated text (gmatch, lower, hash tables, sort).
local n = tonumber(arg and arg[1]) or 40000
local syllables = { "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "fa" }
local seed = 7
local function random(m)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % m
end
local lines = {}
for i = 1, n do
  local words = {}
  for w = 1, 8 do
    local word = syllables[random(10) + 1] .. syllables[random(10) + 1]
    if w == 1 then word = word:upper() end
    words[w] = word
  end
  lines[i] = table.concat(words, " ") .. "."
end
local text = table.concat(lines, "\n")
local freq = {}
for word in text:gmatch("%a+") do
  word = word:lower()
  freq[word] = (freq[word] or 0) + 1
end
local words = {}
for w in pairs(freq) do words[#words + 1] = w end
table.sort(words, function(a, b) return freq[a] > freq[b] or (freq[a] == freq[b] and a < b) end)
for i = 1, 5 do print(words[i], freq[words[i]]) end
print(#words)
